/**
 * Sending a WHATWG `Response` through a handler's `sendResponse()`: its status, its header
 * fields (each `set-cookie` a field of its own, connection-specific fields left out: HTTP/2
 * forbids them and HTTP/1.1 framing is node:http's), and its body, read from the web
 * ReadableStream as fast as the stream window, the connection window and the socket take it.
 */
import type { HeaderList } from '../../connection/index.js';
import type { BaseRequestHandler } from '../request-handler.js';

function noop(): void {}

/**
 * Fields that describe one connection, not the message (RFC 9113 section 8.2.2, RFC 9110
 * section 7.6.1): a Response carried over from a proxied fetch() may have them; none is sent.
 */
const CONNECTION_FIELDS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

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
    else if (!CONNECTION_FIELDS.has(name)) out.push([name, value]);
  });
  if (cookies) {
    // Iteration would join them with ", ", which breaks dates in Expires: getSetCookie() keeps each.
    for (const value of headers.getSetCookie()) out.push(['set-cookie', value]);
  }
  return out;
}

/**
 * A Response body as the AsyncIterable the handler API pumps: one `read()` at a time, asked only
 * when the windows and the socket have room. `cancel()` (the client went away, or the stream was
 * reset) cancels the web stream at once, even while a read is pending, so its producer can stop.
 */
export class ResponseBodyReader implements AsyncIterableIterator<Uint8Array> {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private cancelled = false;
  /** The source ended: every chunk was handed to the pump. */
  finished = false;

  /** Locks `stream`; throws a TypeError when it is locked or disturbed already. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    return this.reader.read().then(this.onRead);
  }

  private readonly onRead = (result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>): IteratorResult<Uint8Array> => {
    if (result.done) this.finished = true;
    return result as IteratorResult<Uint8Array>;
  };

  /** The pump stopped early (the stream was reset or the response is not sent): cancel the source. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.cancel(undefined);
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Cancels the source stream (once); its producer's `cancel(reason)` runs. */
  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reader.cancel(reason).catch(noop);
  }
}

/**
 * Sends `response` on the handler's stream. HEAD responses (and 204/304) carry no body: their
 * body is cancelled unread. Returns the reader of a body being streamed, else null. Throws what
 * `sendResponse` throws (a bad status, a bad field), and a TypeError when the body is already
 * used: nothing has been sent then, and the body is cancelled.
 */
export function sendFetchResponse(handler: BaseRequestHandler, response: Response, isHead: boolean): ResponseBodyReader | null {
  const status = response.status;
  const headers = responseHeadersOf(response.headers);
  const stream = response.body;
  let body: ResponseBodyReader | null = null;
  if (stream !== null) {
    if (isHead || status === 204 || status === 304) stream.cancel().catch(noop);
    else body = new ResponseBodyReader(stream);
  }
  try {
    handler.sendResponse({ status, headers, body });
  } catch (err) {
    body?.cancel(err);
    throw err;
  }
  return body;
}
