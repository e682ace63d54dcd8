/**
 * A WHATWG `Response` as the handler API's `sendResponse()` options: its status, its header
 * fields (each `set-cookie` a field of its own, connection-specific fields left out: HTTP/2
 * forbids them and HTTP/1.1 framing is node:http's), and its body: bytes when it is whole at
 * once, else a reader the pump pulls as fast as the windows and the socket take it
 * (fetch-response-body.ts).
 */
import { isConnectionSpecificField, type HeaderList } from '../../connection/index.js';
import { collectBody, ResponseBodyReader } from './fetch-response-body.js';

export { ResponseBodyReader } from './fetch-response-body.js';

function noop(): void {}

/** Whether `value` can be sent as a Response (a `Response`, or an object shaped like one, e.g. from another fetch implementation). */
export function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  if (value === null || typeof value !== 'object') return false;
  const r = value as Partial<Response>;
  return typeof r.status === 'number' && typeof r.headers === 'object' && r.headers !== null && typeof r.headers.forEach === 'function' && 'body' in r;
}

/** A Response's header fields as the handler API takes them: `set-cookie` values one field each. */
export function responseHeadersOf(headers: Headers): HeaderList {
  const out: HeaderList = [];
  let cookies = false;
  headers.forEach((value, name) => {
    if (name === 'set-cookie') cookies = true;
    // Fields about one connection (a Response carried over from a proxied fetch() may have them) are never sent.
    else if (!isConnectionSpecificField(name)) out.push([name, value]);
  });
  if (cookies) {
    // Iteration would join them with ", ", which breaks dates in Expires: getSetCookie() keeps each.
    for (const value of headers.getSetCookie()) out.push(['set-cookie', value]);
  }
  return out;
}

/** A Response made ready for `sendResponse()`. */
export interface PreparedResponse {
  status: number;
  headers: HeaderList;
  /** Bytes (the whole body), a reader to pump, or null (none). */
  body: Buffer | ResponseBodyReader | null;
}

/**
 * `response` ready to send; a promise when its body must be read first (see collectBody). HEAD
 * responses (and 204/304) carry no body: theirs is cancelled unread. Throws (or rejects) when
 * the body is used already or fails before its first byte: nothing is sent then.
 */
export function prepareResponse(response: Response, isHead: boolean): PreparedResponse | Promise<PreparedResponse> {
  const status = response.status;
  const headers = responseHeadersOf(response.headers);
  const stream = response.body;
  if (stream === null) return { status, headers, body: null };
  if (isHead || status === 204 || status === 304) {
    stream.cancel().catch(noop);
    return { status, headers, body: null };
  }
  return collectBody(stream).then((body) => ({ status, headers, body }));
}

/** Releases the body of a prepared response that will not be sent. */
export function discardPrepared(prepared: PreparedResponse, reason: unknown): void {
  if (prepared.body instanceof ResponseBodyReader) prepared.body.cancel(reason);
}
