/**
 * Http2ServerRequest: node:http2's compatibility request, a `Readable` of the request body over
 * one of our streams (HTTP/2, or HTTP/1.1 under `allowHTTP1`).
 *
 * The body is pushed as the handler's `onData` delivers it; when the readable's buffer is full,
 * `onData` returns a promise that `_read()` resolves, and while it is pending the stream's
 * flow-control credit (the socket's reading, over HTTP/1.1) is held: a slow reader slows the
 * client, as in node. `headers` and `rawHeaders` are built on first use: many handlers never
 * read most of them.
 */
import { Readable } from 'node:stream';
import type { BaseRequestHandler } from '../request-handler.js';
import { compatErrors } from './compat-errors.js';
import { StreamTimeout } from './compat-timeout.js';
import type { CompatSocket } from './compat-socket.js';

/** A request's header fields as node gives them: names lowercased, duplicates joined, `set-cookie` an array. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** Node joins repeated fields with ", ", except these (first value wins), `cookie` ("; ") and `set-cookie` (an array). */
const FIRST_WINS = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent']);

/** The fields as node's object: for HTTP/2 with the pseudo-header fields (as node:http2), for HTTP/1.x without (as node:http). */
export function headersObjectOf(fields: ReadonlyArray<readonly [string, string]>, http2: boolean): IncomingHeaders {
  const out: IncomingHeaders = Object.create(null) as IncomingHeaders;
  let authority: string | undefined;
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!;
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':authority') authority = value;
      if (!http2) continue;
    }
    const had = out[name];
    if (had === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(had)) had.push(value);
    else if (name === 'cookie') out[name] = `${had}; ${value}`;
    else if (!FIRST_WINS.has(name)) out[name] = `${had}, ${value}`;
  }
  // An HTTP/1.1 request's Host became `:authority` on its way in: it is given back. Unlike
  // node:http2, an HTTP/2 request also gets `host` (from `:authority`) when it sent none:
  // adapters that do not know our class for an HTTP/2 one (@hono/node-server tests `instanceof`
  // node's) read the authority from `host`, as RFC 9113 section 8.3.1 has an HTTP/1.1 hop do.
  if (out.host === undefined && authority !== undefined) out.host = authority;
  return out;
}

/** What the request needs of the stream under it. */
export interface RequestStream {
  readonly handler: BaseRequestHandler;
  /** The socket facade shared by the stream's request and response. */
  socket(): CompatSocket;
  /** Resets the stream (CANCEL without an error, INTERNAL_ERROR with one). */
  abort(err?: Error): void;
}

export class Http2ServerRequest extends Readable {
  /** The stream under this request (null once it closed). */
  private readonly stream: RequestStream;
  private headersCache: IncomingHeaders | null = null;
  private urlOverride: string | null = null;
  private methodOverride: string | null = null;
  /** Resolves the pending onData promise (the readable wants more). */
  private wantMore: (() => void) | null = null;
  private timeout: StreamTimeout | null = null;
  /** True once the stream was reset or the connection lost before the request completed. */
  aborted = false;
  /** True once the whole body (and trailers) arrived. */
  complete = false;
  /** Trailer fields, once the request is complete (an empty object until then). */
  trailers: IncomingHeaders = {};
  /** Trailer fields as a flat `[name, value, ...]` list. */
  rawTrailers: string[] = [];

  /** @internal Made by the server for each stream. */
  constructor(stream: RequestStream) {
    super({ autoDestroy: false });
    this.stream = stream;
  }

  // ---- attributes ----

  get headers(): IncomingHeaders {
    return (this.headersCache ??= headersObjectOf(this.stream.handler.headers, this.stream.handler.httpVersion === '2'));
  }

  set headers(value: IncomingHeaders) {
    this.headersCache = value;
  }

  /** The fields as a flat `[name, value, ...]` list, in order (pseudo-header fields too, over HTTP/2). */
  get rawHeaders(): string[] {
    const fields = this.stream.handler.headers;
    const http2 = this.stream.handler.httpVersion === '2';
    const raw: string[] = [];
    let host = false;
    for (const [name, value] of fields) {
      if (name === 'host') host = true;
      if (http2 || name.charCodeAt(0) !== 0x3a) raw.push(name, value);
    }
    // As in `headers`: an HTTP/1.1 request's Host (now `:authority`) is given back.
    if (!http2 && !host && this.stream.handler.host !== '') raw.push('host', this.stream.handler.host);
    return raw;
  }

  get method(): string {
    return this.methodOverride ?? this.stream.handler.method;
  }

  set method(value: string) {
    if (typeof value !== 'string') throw compatErrors.argType('method', 'of type string', value);
    if (value.trim() === '') throw compatErrors.argValue('method', value, 'is invalid');
    this.methodOverride = value;
  }

  /** The request-target (`:path`); frameworks may rewrite it. */
  get url(): string {
    return this.urlOverride ?? this.stream.handler.path;
  }

  set url(value: string) {
    this.urlOverride = value;
  }

  get authority(): string {
    return this.stream.handler.host;
  }

  get scheme(): string {
    return this.stream.handler.scheme;
  }

  /** `'2.0'` over HTTP/2 (node:http2's value), `'1.1'`/`'1.0'` over HTTP/1.x. */
  get httpVersion(): string {
    const v = this.stream.handler.httpVersion;
    return v === '2' ? '2.0' : v;
  }

  get httpVersionMajor(): number {
    return this.stream.handler.httpVersion === '2' ? 2 : 1;
  }

  get httpVersionMinor(): number {
    return this.stream.handler.httpVersion === '1.1' ? 1 : 0;
  }

  /** A stand-in for the connection's socket: addresses, `encrypted`, events; reading or writing it is not allowed (as node:http2). */
  get socket(): CompatSocket {
    return this.stream.socket();
  }

  get connection(): CompatSocket {
    return this.stream.socket();
  }

  /** Calls `callback` (or emits 'timeout') after `ms` without the stream closing; 0 clears it. Without a listener, the stream is reset. */
  setTimeout(ms: number, callback?: () => void): this {
    (this.timeout ??= new StreamTimeout(this, () => this.stream.abort())).set(ms, callback, !this.destroyed);
    return this;
  }

  // ---- from the stream ----

  /** A chunk of body: returns a promise while the buffer is full (the credit waits for it). */
  pushBody(data: Buffer): Promise<void> | undefined {
    if (this.destroyed) return undefined;
    if (this.push(data)) return undefined;
    return new Promise<void>((resolve) => (this.wantMore = resolve));
  }

  /** The request is complete: trailers, then the end of the body. */
  endBody(trailers: ReadonlyArray<readonly [string, string]> | null): void {
    this.complete = true;
    if (trailers !== null) {
      this.trailers = headersObjectOf(trailers, false);
      for (const [name, value] of trailers) this.rawTrailers.push(name, value);
    }
    if (!this.destroyed) this.push(null);
  }

  /** The stream closed: 'aborted' when the request was not complete or the close was not clean, then 'close'. */
  streamClosed(errorCode: number): void {
    this.timeout?.clear();
    this.release();
    if (errorCode !== 0 && !this.aborted) {
      this.aborted = true;
      this.emit('aborted');
    }
    if (this.destroyed) return;
    if (errorCode === 0 && this.complete && !this.readableEnded) {
      // A clean close with body still buffered: 'end' comes first (what is unread is read and
      // dropped, as node does), then 'close'.
      this.once('end', () => this.destroy());
      if (this.readableFlowing !== true) this.resume();
      return;
    }
    this.destroy();
  }

  override _read(): void {
    this.release();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    this.timeout?.clear();
    // Destroying the request before it is complete abandons the stream (node: stream.destroy()).
    if (!this.complete) this.stream.abort(err ?? undefined);
    callback(err);
  }

  private release(): void {
    const wake = this.wantMore;
    this.wantMore = null;
    wake?.();
  }
}
