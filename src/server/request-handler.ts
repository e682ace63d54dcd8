/**
 * BaseRequestHandler: one instance per stream, the seed's handler API. Users subclass it and
 * override the callbacks; the session sets the request attributes before `onHeaders()`.
 *
 * The handler is a thin face over its connection: every method forwards to the `HandlerSession`
 * that carries the stream (the seed's `http2`), a narrow interface of exactly what a handler may
 * ask. Calls on a stream that has already closed (the client went away while a backend was slow)
 * are ignored, not errors.
 */
import type { Readable } from 'node:stream';
import type { BodyChunk, BodyGenerator, ResponseBody } from '../io/body-source.js';
import { fieldValue, type HeadersInput } from '../io/header-input.js';
import { UsageError } from '../errors.js';
import { readJson, readText, type BodyOptions } from './body-reader.js';

export type { HeaderInput, HeadersInput } from '../io/header-input.js';

export interface ResponseOptions {
  /** HTTP status code (200 by default); `:status` is added by the library. */
  status?: number;
  /**
   * Additional response header fields (names are lowercased). The library adds `date` unless
   * one is given here, and `content-length` when the body's length is known. Fields sent with
   * many responses can be checked once with `prepareHeaders()` and given here each time: the
   * response then skips reading, lowercasing and checking them.
   */
  headers?: HeadersInput | null;
  /** Add a `date` field when `headers` has none (RFC 9110 section 6.6.1). Default true; false for a server without a clock. */
  sendDate?: boolean;
  /** The body: null, a string (UTF-8), a Uint8Array, a Readable, an AsyncIterable, a body generator or a `fileBody()`. */
  body?: ResponseBody;
  /**
   * Trailer fields sent after the body (e.g. gRPC's `grpc-status`), or a function called once
   * when a streamed body has ended, for fields known only then (a checksum, a status).
   */
  trailers?: HeadersInput | LateTrailers | null;
}

/** Trailers computed when the body has ended (null or undefined: none). */
export type LateTrailers = () => HeadersInput | null | undefined;

/** The request of a promised (pushed) stream, without its response. */
export interface PushRequest {
  /** Path of the pushed resource (`:path`). */
  path: string;
  /** Method of the promised request; GET by default (a push must be safe and cacheable). */
  method?: string;
  /** Additional request header fields of the promised request. */
  requestHeaders?: HeadersInput | null;
}

export interface PushOptions extends ResponseOptions, PushRequest {}

export type { BodyChunk, BodyGenerator, ResponseBody, Readable };

/**
 * What a request handler may ask of the connection that carries its stream (the seed's
 * `http2` argument). The server's session implements it; a test can too.
 */
export interface HandlerSession {
  /** `[host, port]` of the client. */
  readonly clientAddress: [string, number];
  /** `https` over TLS, `http` for cleartext. */
  readonly scheme: 'http' | 'https';
  /** `[host, port]` the client connected to (this server's side of the connection). */
  readonly localAddress?: readonly [string, number];
  sendResponse(streamId: number, options: ResponseOptions): void;
  push(streamId: number, options: PushOptions): BaseRequestHandler | null;
  /**
   * PUSH_PROMISE only: the pushed stream's handler is returned with no response yet; its
   * `sendResponse()` sends one later (node:http2's `pushStream`). Returns null and throws as `push()` does.
   */
  promise(streamId: number, request: PushRequest): BaseRequestHandler | null;
  canPush(streamId: number): boolean;
  /**
   * Sends an interim (1xx) response before the final one: 100 Continue, 103 Early Hints.
   * Throws UsageError after the response started; ignored on a closed stream.
   */
  sendInformational(streamId: number, status: number, headers?: HeadersInput | null): void;
  /**
   * Ends the stream at once: RST_STREAM with `errorCode` (HTTP/2; CANCEL by default), or the
   * connection closes (HTTP/1.1). NO_ERROR after `sendResponse()` only refuses the rest of the
   * request body, once the response has left (RFC 9113 section 8.1).
   */
  reset(streamId: number, errorCode?: number): void;
  resume(streamId: number): void;
  /** Graceful close of this connection: GOAWAY(NO_ERROR), streams in flight finish, then it closes (node:http2's `session.close()`). */
  shutdown(): void;
  /** The request body as one Buffer, for the handler's `readBody()` (src/server/body-reader.ts); a session without it cannot offer that. */
  readBody?(streamId: number, options?: BodyOptions): Promise<Buffer>;
}

/** @internal Makes a request's header fields when its handler first asks (BaseRequestHandler.deferHeaders). */
export interface DeferredFields {
  requestFields(): Array<[string, string]>;
}

/** The protocol that carried a request. */
export type HttpVersion = '1.0' | '1.1' | '2';

export class BaseRequestHandler {
  /** The connection this stream belongs to (only what a handler may ask of it). */
  readonly http2: HandlerSession;
  /** Stream ID of this stream. */
  readonly streamId: number;
  /** `[host, port]` of the client. */
  clientAddress: [string, number];
  /** `:scheme` of the request. */
  scheme = '';
  /** `:method` of the request. */
  method = '';
  /** `:authority`, or the `host` header field when there is no `:authority`. */
  host = '';
  /** `:path` of the request. */
  path = '';
  /** The request's fields once made (see `headers`). */
  private fieldList: Array<[string, string]> = [];
  /** Makes the fields on first use (`headers`); null once made, or when they were given whole. */
  private fieldSource: DeferredFields | null = null;
  /** Request trailer fields, when the request had any. */
  trailers: Array<[string, string]> | null = null;
  /** True for the handler of a pushed stream (returned by `push()`). */
  pushed = false;
  /** The protocol that carried the request: `'2'`, or `'1.1'`/`'1.0'` for an HTTP/1.x client (`allowHTTP1`). */
  httpVersion: HttpVersion = '2';
  private parsedUrl: URL | undefined = undefined;

  constructor(http2: HandlerSession, streamId: number) {
    this.http2 = http2;
    this.streamId = streamId;
    this.clientAddress = http2.clientAddress;
  }

  /** Request header fields in order, pseudo-headers first; several `cookie` fields are joined with `; `. */
  get headers(): Array<[string, string]> {
    const source = this.fieldSource;
    if (source !== null) {
      this.fieldSource = null;
      this.fieldList = source.requestFields();
    }
    return this.fieldList;
  }

  set headers(fields: Array<[string, string]>) {
    this.fieldSource = null;
    this.fieldList = fields;
  }

  /**
   * @internal The fields are made by `source` when first asked for (HTTP/1.1: from node:http's
   * raw list, as node:http makes `req.headers`): a handler that never reads them costs nothing.
   */
  deferHeaders(source: DeferredFields): void {
    this.fieldSource = source;
  }

  /**
   * The value of a request header field (`name` in any case), or undefined: several fields of
   * that name are joined with ", " (cookies are one field already, joined with "; ").
   */
  getHeader(name: string): string | undefined {
    return fieldValue(this.headers, name);
  }

  /**
   * The request's URL (scheme, authority and `path`): `url.pathname`, `url.searchParams`... Made
   * on first use; throws TypeError when the authority is not one a URL can hold.
   */
  get url(): URL {
    return (this.parsedUrl ??= new URL(this.path, `${this.scheme || this.http2.scheme}://${this.host || 'localhost'}`));
  }

  /** Called when the request HEADERS arrived; the attributes are set. */
  onHeaders(): void | Promise<void> {}

  /** Called for each chunk of request body. If it returns a promise, flow-control credit for the chunk waits for it. */
  onData(_data: Buffer): void | Promise<void> {}

  /** Called when the whole request (body and trailers) was received. */
  onRequestDone(): void | Promise<void> {}

  /** Called once when the stream is closed; `errorCode` is 0 (NO_ERROR) after a clean close. */
  onClose(_errorCode: number): void | Promise<void> {}

  /**
   * Sends the response: `:status` plus `headers`, then `body`, then `trailers`. May be called
   * from any callback or later, once. Throws UsageError on a second call or bad arguments.
   */
  sendResponse(options: ResponseOptions = {}): void {
    this.http2.sendResponse(this.streamId, options);
  }

  /**
   * Pushes a resource (PUSH_PROMISE on this stream); must come before `sendResponse()`.
   * Returns the pushed stream's handler (an instance of the server's handler class), whose
   * response is already under way; or null, with nothing sent, when a push cannot be made now:
   * the client disabled push (every current browser and curl do), the request came over
   * HTTP/1.1, the push limit is reached, the connection is closing or the stream is gone. Push is
   * an optimisation: the response goes out either way. Throws for misuse only (UsageError after
   * `sendResponse()` or for bad arguments; PushRefusedError on a pushed stream).
   */
  push(options: PushOptions): BaseRequestHandler | null {
    return this.http2.push(this.streamId, options);
  }

  /** Whether `push()` would be accepted now (the client allows push, limits not reached, no response sent yet). */
  get canPush(): boolean {
    return this.http2.canPush(this.streamId);
  }

  /** Restarts a body generator paused by DATA_DEFERRED. Harmless when nothing is paused. */
  resume(): void {
    this.http2.resume(this.streamId);
  }

  /** Sends an interim (1xx) response before `sendResponse()`: 100 Continue, 103 Early Hints (`link` fields). */
  sendInformational(status: number, headers?: HeadersInput | null): void {
    this.http2.sendInformational(this.streamId, status, headers);
  }

  /**
   * The whole request body, once it has arrived: call it from `onHeaders` (before `onData` got any
   * of it); its chunks then go here, not to `onData`. More than `limit` octets (1 MiB by default),
   * or a larger `content-length`, gets the client `413` and rejects with `RequestBodyError`
   * (the server logs nothing for it: the client was answered). Rejects the same way if the client
   * cancels the request first. Once per request.
   */
  readBody(options?: BodyOptions): Promise<Buffer> {
    if (this.http2.readBody === undefined) return Promise.reject(new UsageError('this connection cannot read a body for readBody()', 'body_unsupported'));
    try {
      return this.http2.readBody(this.streamId, options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** The request body as UTF-8 text: `readBody()`, decoded. */
  readText(options?: BodyOptions): Promise<string> {
    return readText(this, options);
  }

  /** The request body parsed as JSON: `readBody()`, parsed; a body that is not JSON gets the client `400` and rejects with `RequestBodyError`. */
  readJson(options?: BodyOptions): Promise<unknown> {
    return readJson(this, options);
  }

  /** Abandons the stream: RST_STREAM (`errorCode`, CANCEL by default) over HTTP/2; over HTTP/1.1 the connection closes. */
  reset(errorCode?: number): void {
    this.http2.reset(this.streamId, errorCode);
  }
}

export type RequestHandlerClass<H extends BaseRequestHandler = BaseRequestHandler> = new (http2: HandlerSession, streamId: number) => H;
