/**
 * The request handler behind `serve()`: one class per `serve()` call (it closes over that call's
 * `fetch` and `onError`), one instance per stream, on the public handler API only.
 *
 *   onHeaders      -> build the Request, call fetch (not awaited by the callback queue, so the
 *                     body's onData keeps flowing to a fetch that reads it)
 *   onData         -> the request body stream (a promise while its queue is full holds the credit)
 *   onRequestDone  -> the body stream ends
 *   onClose(code)  -> code != 0 (a reset, a lost connection, a failed stream), or 0 before the
 *                     whole response was handed over (the client reset with NO_ERROR): the
 *                     client went away; the signal aborts, the request body errors, the
 *                     response body is cancelled
 *
 * fetch throwing or rejecting goes to `onError` (default: a logged 500); a value that is not a
 * Response is logged and answered 500. Nothing a client does can make this throw out of a callback.
 */
import type { LogLimiter } from '../../io/log-limiter.js';
import { isThenable } from '../../io/callback-queue.js';
import { BaseRequestHandler, type HandlerSession, type HttpVersion, type RequestHandlerClass } from '../request-handler.js';
import { methodHasBody, RequestBody, requestOf, ServedRequest } from './fetch-request.js';
import { discardPrepared, isResponse, prepareResponse, ResponseBodyReader, type PreparedResponse } from './fetch-response.js';

/** What a fetch handler learns about the connection besides the Request. */
export interface FetchInfo {
  /** The client's address. */
  remoteAddress: string;
  /** The client's port. */
  remotePort: number;
  /** The protocol that carried the request: `'2'`, `'1.1'` or `'1.0'`. */
  httpVersion: HttpVersion;
}

/** The application function of `serve()`: a Request in, a Response (or a promise of one) out. */
export type FetchFunction = (request: Request, info: FetchInfo) => Response | Promise<Response>;

/** Turns an error of `fetch` into a response. */
export type FetchErrorHandler = (error: unknown, request: Request) => Response | Promise<Response>;

/** What the handler class of one `serve()` call needs. */
export interface FetchApp {
  readonly fetch: FetchFunction;
  /** null: the default (log, then 500). */
  readonly onError: FetchErrorHandler | null;
  /** The server's logger behind a rate limit: a client can make these lines come at will. */
  readonly log: LogLimiter;
}

const TEXT_PLAIN = 'text/plain; charset=utf-8';
const PLAIN_HEADERS: Array<[string, string]> = [['content-type', TEXT_PLAIN]];
const INTERNAL_ERROR_TEXT = 'Internal Server Error\n';

function noop(): void {}

/** A short plain-text answer made by the adapter itself (not the application's). */
function plainResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'content-type': TEXT_PLAIN } });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name.length > 0 ? `an object (${name})` : 'an object';
}

/** Methods undici's Request refuses (WHATWG "forbidden methods"): 501, the server does not do them. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** The reason the signal, the request body and the response body are given when the client goes away. */
function clientGone(errorCode: number): DOMException {
  return new DOMException(`the client went away before the response finished (stream closed with error code ${errorCode})`, 'AbortError');
}

/** A handler class serving `app`: give it to an HTTP2Server. */
export function fetchHandlerClass(app: FetchApp): RequestHandlerClass {
  return class FetchHandler extends BaseRequestHandler {
    /** The request body's producer; null for GET and HEAD (their body, if any, is dropped). */
    private requestBody: RequestBody | null = null;
    private request: ServedRequest | null = null;
    private responseBody: ResponseBodyReader | null = null;
    /** onClose has run: nothing more is sent. */
    private closed = false;
    /** A response without a body was sent (the end of a streamed one is `responseBody.finished`). */
    private sentWhole = false;

    constructor(http2: HandlerSession, streamId: number) {
      super(http2, streamId);
    }

    override onHeaders(): void {
      // Not returned: the callback queue would hold onData back until fetch settles, and a fetch
      // that reads its body would wait for itself.
      this.respond().catch(this.lastResort);
    }

    override onData(data: Buffer): Promise<void> | undefined {
      return this.requestBody?.push(data);
    }

    override onRequestDone(): void {
      this.requestBody?.end();
    }

    override onClose(errorCode: number): void {
      this.closed = true;
      // A clean close comes only after the whole response; before it, a 0 is the client's
      // RST_STREAM(NO_ERROR) (what node:http2's stream.destroy() sends): it went away too.
      if (errorCode === 0 && (this.sentWhole || this.responseBody?.finished === true)) {
        // Complete. A body still open here was left unread by an HTTP/1.1 response that ended first.
        this.requestBody?.fail(new DOMException('the response was sent before the request body was read', 'AbortError'));
        return;
      }
      const reason = clientGone(errorCode);
      if (this.request !== null) ServedRequest.abort(this.request, reason);
      this.requestBody?.fail(reason);
      this.responseBody?.cancel(reason);
    }

    private async respond(): Promise<void> {
      let request: ServedRequest;
      try {
        if (methodHasBody(this.method)) this.requestBody = new RequestBody();
        request = this.request = requestOf(this, this.requestBody);
      } catch (err) {
        // A request undici will not represent: a bad authority, or a method it forbids.
        this.requestBody?.fail(err);
        const forbidden = FORBIDDEN_METHODS.has(this.method.toUpperCase());
        this.answer(forbidden ? 501 : 400, forbidden ? 'Not Implemented\n' : 'Bad Request\n');
        return;
      }
      let response: unknown;
      try {
        const result = app.fetch(request, { remoteAddress: this.clientAddress[0], remotePort: this.clientAddress[1], httpVersion: this.httpVersion });
        response = isThenable(result) ? await result : result;
      } catch (err) {
        response = await this.errorResponse(err, request);
      }
      if (!isResponse(response)) {
        app.log.error('fetch', `h2kit: serve(): fetch returned ${describe(response)}, not a Response, for ${this.method} ${this.path}; answered 500`);
        this.answer(500, INTERNAL_ERROR_TEXT);
        return;
      }
      await this.send(response);
    }

    /** `onError`'s response, or the default: the error logged, a 500. */
    private async errorResponse(err: unknown, request: Request): Promise<unknown> {
      if (app.onError !== null) {
        try {
          return await app.onError(err, request);
        } catch (err2) {
          app.log.error('fetch', `h2kit: serve(): onError threw for ${this.method} ${this.path} (after fetch failed); answered 500`, err2, err);
          return plainResponse(500, INTERNAL_ERROR_TEXT);
        }
      }
      app.log.error('fetch', `h2kit: serve(): fetch failed for ${this.method} ${this.path}; answered 500`, err);
      return plainResponse(500, INTERNAL_ERROR_TEXT);
    }

    /** respond() rejected: only a logger that throws gets here. Answer 500 if nothing was sent, so the stream does not wait for the request timeout. */
    private readonly lastResort = (): void => {
      this.answer(500, INTERNAL_ERROR_TEXT);
    };

    /** Sends `response` unless the client is gone; one that cannot be sent (a used body, a bad field, a body failing before its first byte) becomes a 500. */
    private async send(response: Response): Promise<void> {
      if (this.closed) {
        response.body?.cancel().catch(noop);
        return;
      }
      let prepared: PreparedResponse;
      try {
        const p = prepareResponse(response, this.method === 'HEAD');
        prepared = isThenable(p) ? await p : p;
      } catch (err) {
        this.sendFailed(response, err);
        return;
      }
      // An upload nobody took is dropped, so it holds neither credit nor the stream.
      this.requestBody?.discardIfUnread();
      if (this.closed) {
        discardPrepared(prepared, undefined);
        return;
      }
      try {
        this.sendResponse(prepared);
      } catch (err) {
        discardPrepared(prepared, err);
        this.sendFailed(response, err);
        return;
      }
      if (prepared.body instanceof ResponseBodyReader) this.responseBody = prepared.body;
      else this.sentWhole = true;
    }

    private sendFailed(response: Response, err: unknown): void {
      app.log.error('fetch', `h2kit: serve(): the Response to ${this.method} ${this.path} could not be sent (status ${String(response.status)}); answered 500`, err);
      this.answer(500, INTERNAL_ERROR_TEXT);
    }

    /** A short plain-text answer of the adapter's own; nothing when the client is gone or a response left already (the server's 408). */
    private answer(status: number, text: string): void {
      if (this.closed) return;
      this.sentWhole = true;
      try {
        this.sendResponse({ status, headers: PLAIN_HEADERS, body: text });
      } catch {
        // A response was on its way already.
      }
    }
  };
}
