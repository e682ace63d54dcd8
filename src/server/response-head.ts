/**
 * The response head a handler's `sendResponse()` options make: `:status`, the header fields,
 * the trailers, and the content-length the body must match. Every check of the handler's
 * arguments is here, so the session only sends.
 */
import type { HeaderList } from '../connection/index.js';
import { UsageError } from '../errors.js';
import { appendHeaders } from '../io/header-input.js';
import type { ResponseOptions } from './request-handler.js';

export interface ResponseHead {
  status: number;
  headers: HeaderList;
  /** null: none (an empty trailer list is none). */
  trailers: HeaderList | null;
  /** The content-length field's value, -1 when there is none. */
  declaredLength: number;
}

/** Validates `options` (status, fields, content-length) into a head; throws UsageError. */
export function responseHeadOf(options: ResponseOptions): ResponseHead {
  const status = options.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new UsageError(`response status must be an integer from 200 to 599, got ${String(status)}`, 'response_bad_status');
  }
  const headers: HeaderList = [[':status', statusText(status)]];
  appendHeaders(headers, options.headers, 'response headers');
  let trailers: HeaderList | null = null;
  if (options.trailers !== undefined && options.trailers !== null) {
    trailers = [];
    appendHeaders(trailers, options.trailers, 'response trailers');
    if (trailers.length === 0) trailers = null;
  }
  let declaredLength = -1;
  for (const [name, value] of headers) {
    if (name !== 'content-length') continue;
    if (declaredLength !== -1 || !isDigits(value)) {
      throw new UsageError(`response content-length must be one non-negative integer, got ${JSON.stringify(value)}`, 'response_bad_content_length');
    }
    declaredLength = Number(value);
  }
  return { status, headers, trailers, declaredLength };
}

const STATUS_TEXT: string[] = [];

/** `String(status)`, made once per status code. */
function statusText(status: number): string {
  return (STATUS_TEXT[status] ??= String(status));
}

function isDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
