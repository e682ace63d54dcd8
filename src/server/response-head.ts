/**
 * What a handler's `sendResponse()` options make: `:status`, the header fields, the trailers,
 * the content-length the body must match, and the body as bytes (sent at once when the window
 * allows) or a body source (pumped). Every check of the handler's arguments is here, so the
 * session only sends. Every response it plans carries `date` (RFC 9110 section 6.6.1), the
 * handler's own if it set one; HTTP/1.1 plans (http1ResponsePlanOf) have none of ours, as node:http adds it.
 */
// The global `Buffer` is an accessor on globalThis (a getter call at each use); the import is a plain binding.
import { Buffer } from 'node:buffer';
import type { HeaderList } from '../connection/index.js';
import { UsageError } from '../errors.js';
import { bodySourceOf, type BodySource } from '../io/body-source.js';
import { appendHeaders, appendHeadersFlat, contentLengthOf, type HeadersInput } from '../io/header-input.js';
import { httpDate } from '../io/http-date.js';
import { PreparedHeaders } from '../io/prepared-headers.js';
import type { LateTrailers, ResponseOptions } from './request-handler.js';

export interface ResponseHead {
  status: number;
  headers: HeaderList;
  /** null: none (an empty trailer list is none). */
  trailers: HeaderList | null;
  /** The content-length field's value, -1 when there is none. */
  declaredLength: number;
  /**
   * The fields were checked before (PreparedHeaders), and what the plan adds is ours: the
   * connection need not check the list again.
   */
  checked: boolean;
}

/** Validates `options` (status, fields, content-length) into a plan with no body yet; throws UsageError. */
function responseHeadOf(options: ResponseOptions, date: boolean): ResponsePlan {
  const status = finalStatusOf(options);
  const given = options.trailers;
  const trailers = typeof given === 'function' ? null : trailerListOf(given);
  const lateTrailers = typeof given === 'function' ? given : null;
  const fields = options.headers;
  if (fields instanceof PreparedHeaders) {
    // Checked and lowercased when prepared: the pairs are copied as they are.
    const headers: HeaderList = [[':status', statusText(status)]];
    if (date && !fields.hasDate && options.sendDate !== false) headers.push(['date', httpDate()]);
    fields.appendTo(headers);
    return { status, headers, trailers, lateTrailers, declaredLength: fields.contentLength, bytes: null, source: null, checked: true };
  }
  // `date` goes right after `:status`, where nghttpd puts it too. Its place costs nothing in
  // HPACK: the value changes once a second, so the encoder adds one table entry per second and
  // connection and every other response of that second refers to it in one octet.
  const headers: HeaderList = date ? [[':status', statusText(status)], ['date', httpDate()]] : [[':status', statusText(status)]];
  appendHeaders(headers, fields, 'response headers');
  let declaredLength = -1;
  let ownDate = false;
  for (let i = date ? 2 : 1; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    if (name === 'date') ownDate = true;
    if (name !== 'content-length') continue;
    declaredLength = contentLengthOf(value, declaredLength);
  }
  // The handler's date wins (a proxy passing on the origin's, say); ours would be a second one.
  // Ours goes when the handler gave its own or asked for none (and was only there when `date`).
  if (date && (ownDate || options.sendDate === false)) headers.splice(1, 1);
  return { status, headers, trailers, lateTrailers, declaredLength, bytes: null, source: null, checked: false };
}

/** The status of a final response (200 by default). Throws UsageError. */
function finalStatusOf(options: ResponseOptions): number {
  const status = options.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new UsageError(`response status must be an integer from 200 to 599, got ${String(status)}`, 'response_bad_status');
  }
  return status;
}

/** Trailer fields as a list, checked; null for none (an empty list is none). Throws UsageError. */
export function trailerListOf(input: HeadersInput | null | undefined): HeaderList | null {
  if (input === undefined || input === null) return null;
  const trailers: HeaderList = [];
  appendHeaders(trailers, input, 'response trailers');
  return trailers.length === 0 ? null : trailers;
}

/** A streamed body's late trailers, called once it has ended. Throws UsageError for bad fields. */
export function lateTrailerListOf(late: LateTrailers): HeaderList | null {
  const given = late();
  if (typeof given === 'function') throw new UsageError('late trailers must be fields, not another function', 'response_bad_trailers');
  return trailerListOf(given);
}

/**
 * The fields of an interim (1xx) response: 100 to 199 except 101 (no HTTP/2 upgrade, RFC 9113
 * section 8.6), before the final response. Throws UsageError.
 */
export function informationalHeadOf(status: number, headers: HeadersInput | null | undefined, responded: boolean): HeaderList {
  if (responded) throw new UsageError('an interim (1xx) response must come before the final response', 'informational_after_response');
  if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
    throw new UsageError(`an interim response status must be an integer from 100 to 199 other than 101, got ${String(status)}`, 'informational_bad_status');
  }
  const fields: HeaderList = [[':status', statusText(status)]];
  appendHeaders(fields, headers, 'interim response headers');
  return fields;
}

/** A response ready to send: its head, and its body as bytes or as a source (or neither). */
export interface ResponsePlan extends ResponseHead {
  bytes: Buffer | null;
  source: BodySource | null;
  /** Trailers asked for when the streamed body (`source`) ends; null for none. */
  lateTrailers: LateTrailers | null;
}

/**
 * Plans the response for `options`: HEAD, 204 and 304 get no body (nor trailers); a known body
 * length becomes the content-length, and one that contradicts a given content-length is refused.
 * `connection` is what a file body's descriptors count against. `date` false: the plan gets no
 * `date` of ours.
 */
export function responsePlanOf(options: ResponseOptions, isHead: boolean, connection: object, date = true): ResponsePlan {
  const plan = responseHeadOf(options, date);
  const length = planBody(plan, options.body, isHead, connection);
  if (length >= 0) plan.headers.push(['content-length', lengthText(length)]);
  return plan;
}

/**
 * A response planned for node:http (HTTP/1.1), which writes the status line and `date` itself:
 * the same checks and body rules as responsePlanOf, its fields one flat `[name, value, ...]`
 * list, what `writeHead` takes, rather than a pair per field.
 */
export interface Http1ResponsePlan extends BodyPlan {
  fields: string[];
}

/** responsePlanOf for node:http: see Http1ResponsePlan. */
export function http1ResponsePlanOf(options: ResponseOptions, isHead: boolean, connection: object): Http1ResponsePlan {
  const status = finalStatusOf(options);
  const given = options.trailers;
  const trailers = typeof given === 'function' ? null : trailerListOf(given);
  const headers = options.headers;
  let fields: string[];
  let declaredLength = -1;
  if (headers instanceof PreparedHeaders) {
    // Made flat once, when prepared; copied, as the content-length may be pushed onto it.
    fields = headers.flatCopy();
    declaredLength = headers.contentLength;
  } else {
    fields = [];
    appendHeadersFlat(fields, headers, 'response headers');
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'content-length') declaredLength = contentLengthOf(fields[i + 1]!, declaredLength);
    }
  }
  const plan: Http1ResponsePlan = { status, fields, trailers, lateTrailers: typeof given === 'function' ? given : null, declaredLength, bytes: null, source: null };
  const length = planBody(plan, options.body, isHead, connection);
  if (length >= 0) fields.push('content-length', lengthText(length));
  return plan;
}

/** What both kinds of plan share: everything but the header fields. */
interface BodyPlan {
  status: number;
  trailers: HeaderList | null;
  lateTrailers: LateTrailers | null;
  declaredLength: number;
  bytes: Buffer | null;
  source: BodySource | null;
}

/**
 * Gives `plan` its body: HEAD, 204 and 304 get none (nor trailers); a known body length becomes
 * the declared length, and one that contradicts a given content-length is refused. Returns the
 * content-length field to add (the body's length where the handler gave none), -1 for none.
 */
function planBody(plan: BodyPlan, body: ResponseOptions['body'], isHead: boolean, connection: object): number {
  const status = plan.status;
  // In-memory bodies (the common case) skip the body source and the pump when the window takes them whole.
  let bytes: Buffer | null = null;
  let source: BodySource | null = null;
  if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else source = bodySourceOf(body, connection);
  const noBody = isHead || status === 204 || status === 304;
  // -1: no body at all (no content-length is added), or a streaming one of unknown length.
  const knownLength = bytes !== null ? bytes.length : source !== null ? source.knownLength : -1;
  let addLength = -1;
  if (knownLength >= 0) {
    if (plan.declaredLength === -1) {
      plan.declaredLength = knownLength;
      if (status !== 204 && status !== 304) addLength = knownLength;
    } else if (plan.declaredLength !== knownLength && !noBody) {
      source?.destroy();
      throw new UsageError(`response content-length ${plan.declaredLength} does not match the body of ${knownLength} bytes`, 'response_content_length_mismatch');
    }
  }
  if (noBody || knownLength === 0) {
    source?.destroy();
    source = null;
    bytes = null;
  }
  if (noBody) {
    plan.trailers = null;
    plan.lateTrailers = null;
    plan.declaredLength = -1;
  } else if (plan.lateTrailers !== null && source === null) {
    // The body is whole already: its end is now.
    plan.trailers = lateTrailerListOf(plan.lateTrailers);
    plan.lateTrailers = null;
  }
  plan.bytes = bytes;
  plan.source = source;
  return addLength;
}

const STATUS_TEXT: string[] = [];

/** `String(status)`, made once per status code. */
function statusText(status: number): string {
  return (STATUS_TEXT[status] ??= String(status));
}

let lastLength = -1;
let lastLengthText = '';

/**
 * `String(length)` of the last content-length made, kept: a server sends the same file (the same
 * length) many times in a row, and the same string object also lets the connection's and the
 * HPACK encoder's compare with the last list end at a pointer compare.
 */
function lengthText(length: number): string {
  if (length !== lastLength) {
    lastLength = length;
    lastLengthText = String(length);
  }
  return lastLengthText;
}
