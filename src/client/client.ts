/**
 * HTTP2Client: one HTTP/2 connection to one origin, on the same sans-I/O Connection core and
 * the same ConnectionDriver as the server. This is the public face: it checks and builds
 * requests; its ClientSession (client-session.ts) runs the connection.
 *
 * Three faces over one path: `send()` with a BaseResponseHandler (the seed's style),
 * `request()` (a promise of the whole response), `stream()` (a promise of the head, body as a
 * Readable).
 */
import type { Readable } from 'node:stream';
import type { HeaderList, Settings } from '../connection/index.js';
import { H2Error, UsageError } from '../errors.js';
import { bodySourceOf } from '../io/body-source.js';
import { OutgoingBody } from '../io/body-pump.js';
import { appendHeaders } from '../io/header-input.js';
import { ClientSession } from './client-session.js';
import { ClientStream } from './client-stream.js';
import { BaseResponseHandler, type ResponseHandlerClass } from './response-handler.js';
import { CollectingHandler, type ClientResponse, type PushCallback, StreamingHandler, type StreamingResponse } from './responses.js';
import { type Target, targetOf } from './transport.js';
import type { HTTP2ClientOptions, PromiseRequestOptions, RequestOptions } from './options.js';

export type { RequestBody, RequestOptions, PromiseRequestOptions, HTTP2ClientOptions } from './options.js';

export class HTTP2Client {
  /** Where the client connects (parsed from the URL). */
  readonly target: Target;
  readonly #options: HTTP2ClientOptions;
  readonly #session: ClientSession;

  constructor(url: string | URL, options: HTTP2ClientOptions = {}) {
    this.target = targetOf(url);
    this.#options = options;
    this.#session = new ClientSession(this.target, options);
  }

  /**
   * Opens the connection (requests do it on their own). Resolves once the server's SETTINGS
   * arrived; rejects with ConnectError (TCP, TLS, ALPN) or ClientConnectionError.
   */
  connect(): Promise<void> {
    return this.#session.connect();
  }

  /**
   * Sends a request; `handler` (an instance, or a class to instantiate) gets the response's
   * callbacks. Returns the handler. Errors come to the handler (`error`, then onClose), never as throws,
   * except for bad arguments (UsageError).
   */
  send<H extends BaseResponseHandler>(options: RequestOptions, handler: H | ResponseHandlerClass<H>): H {
    const h: H = typeof handler === 'function' ? new handler() : handler;
    if (!(h instanceof BaseResponseHandler)) {
      throw new UsageError('a response handler must be a BaseResponseHandler (or subclass) instance or class', 'client_bad_handler');
    }
    const method = options.method ?? 'GET';
    const path = options.path ?? '/';
    if (typeof method !== 'string' || method.length === 0) throw new UsageError(`method must be a non-empty string, got ${JSON.stringify(method)}`, 'client_bad_method');
    if (typeof path !== 'string' || path.length === 0) throw new UsageError(`path must be a non-empty string, got ${JSON.stringify(path)}`, 'client_bad_path');
    const scheme = options.scheme ?? (this.target.secure ? 'https' : 'http');
    const authority = options.authority ?? this.target.authority;
    const headers: HeaderList = [
      [':method', method],
      [':scheme', scheme],
      [':authority', authority],
      [':path', path],
    ];
    appendHeaders(headers, options.headers, 'request headers');
    let trailers: HeaderList | null = null;
    if (options.trailers !== undefined && options.trailers !== null) {
      trailers = [];
      appendHeaders(trailers, options.trailers, 'request trailers');
      if (trailers.length === 0) trailers = null;
    }
    let source = bodySourceOf(options.body);
    if (source !== null && source.knownLength >= 0) {
      if (!headers.some((f) => f[0] === 'content-length')) headers.push(['content-length', String(source.knownLength)]);
      if (source.knownLength === 0) source = null;
    }
    h.method = method;
    h.scheme = scheme;
    h.authority = authority;
    h.path = path;
    // A body carries its trailers (sent after it); a request without one sends them after its headers.
    const body = source === null ? null : new OutgoingBody(source, trailers, -1);
    const stream = new ClientStream(h, false, headers, body, body === null ? trailers : null, options.timeout ?? this.#options.requestTimeout ?? 0);
    this.#session.submit(stream, options.signal);
    return h;
  }

  /** Sends a request and resolves with the whole response (body collected in one Buffer). */
  request(options: PromiseRequestOptions = {}): Promise<ClientResponse> {
    const handler = new CollectingHandler(this.#pushCallback(options));
    this.send(options, handler);
    return handler.response;
  }

  /** Sends a request and resolves with the response head; the body is a Readable (also async-iterable) with backpressure. */
  stream(options: PromiseRequestOptions = {}): Promise<StreamingResponse> {
    const handler = new StreamingHandler(this.#pushCallback(options));
    this.send(options, handler);
    return handler.response;
  }

  /**
   * Graceful close: no new requests; queued and in-flight ones (and accepted pushes) finish,
   * then GOAWAY(NO_ERROR) and the socket closes. Resolves when it has.
   */
  close(): Promise<void> {
    return this.#session.close();
  }

  /** Ends the connection at once: every request not complete fails with `error` (or a ClientConnectionError). */
  destroy(error?: H2Error): void {
    this.#session.destroy(error);
  }

  /** The server's settings (protocol defaults until its SETTINGS arrive; null before connecting). */
  get peerSettings(): Readonly<Settings> | null {
    return this.#session.peerSettings;
  }

  /** Requests on the wire now (pushes excluded). */
  get activeRequests(): number {
    return this.#session.activeRequests;
  }

  /** Requests waiting for a stream. */
  get queuedRequests(): number {
    return this.#session.queuedRequests;
  }

  /** True once the connection is finished (closed, failed, or never to be used again). */
  get isClosed(): boolean {
    return this.#session.isClosed;
  }

  /**
   * True when this connection takes no new requests: closing, ended, or the server sent GOAWAY
   * (requests in flight may still complete). Time for a new HTTP2Client (ReconnectingHTTP2Client does this).
   */
  get isDraining(): boolean {
    return this.#session.isDraining;
  }

  #pushCallback(options: PromiseRequestOptions): PushCallback | null {
    return options.onPush !== undefined ? options.onPush : (this.#options.onPush ?? null);
  }
}

export type { ClientResponse, StreamingResponse, PushCallback, Readable };
