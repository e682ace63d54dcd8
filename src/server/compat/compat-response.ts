/**
 * Http2ServerResponse: node:http2's compatibility response over one of our streams (HTTP/2, or
 * HTTP/1.1 under `allowHTTP1`). Like node's, it is a legacy `Stream` with the writable surface
 * (write/end with callbacks, 'drain', 'finish', 'close'), so `pipe()` and `pipeline()` feed it.
 *
 * How it maps onto one `sendResponse()`:
 * - `end(body)` before anything was sent (the common case: a JSON or HTML body) is one response
 *   with the whole body: content-length known, one HEADERS and one DATA frame.
 * - `writeHead()` or a first `write()` marks the head sent and starts the response at the end of
 *   the current microtask queue, so `writeHead(); end(body)` in one tick is still the case above.
 * - Otherwise the body streams: writes are queued and handed over by a body generator that
 *   defers when the queue is empty (the seed's DATA_DEFERRED), woken by the next write or `end()`.
 *   Write callbacks run when their chunk is taken; `write()` returns false above the high-water
 *   mark and 'drain' follows once the queue falls below it.
 * - 'finish' and 'close' come when the stream closes (the response has left and the request ended).
 */
import { Stream } from 'node:stream';
import { DATA_DEFERRED, DATA_EOF, DATA_OK, type DataFlag } from '../../io/data-flags.js';
import type { BodyChunk } from '../../io/body-source.js';
import { PushRefusedError } from '../errors.js';
import type { BaseRequestHandler, PushRequest, ResponseOptions } from '../request-handler.js';
import { compatErrors } from './compat-errors.js';
import { StreamTimeout } from './compat-timeout.js';
import { checkedName, emptyFields, entriesOf, fieldListOf, joinedValue, storedValue, type OutgoingFields, type OutgoingValue } from './compat-fields.js';
import type { Http2ServerRequest, RequestStream } from './compat-request.js';
import type { CompatSocket } from './compat-socket.js';
import { HIGH_WATER_MARK, WriteQueue } from './compat-write-queue.js';

/** A write's callback: called once its chunk is taken, or with an error when the stream closed first. */
export type WriteCallback = (err?: Error | null) => void;

/** What the response needs of its stream beyond the request's needs: a pushed stream's response. */
export interface ResponseStream extends RequestStream {
  /** PUSH_PROMISE for `request`; the pushed stream's response object, not started; null when no push can be made now. */
  pushResponse(request: PushRequest): Http2ServerResponse | null;
}

function toBuffer(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw compatErrors.argType('chunk', 'of type string or an instance of Buffer or Uint8Array', chunk);
}

function emitDrain(res: Http2ServerResponse): void {
  res.emit('drain');
}

function refuseRest(res: Http2ServerResponse): void {
  res.refuseRequestRest();
}

function emitClosed(res: Http2ServerResponse, finished: boolean): void {
  res.emitClosed(finished);
}

export class Http2ServerResponse extends Stream {
  /** The request this responds to (null for a pushed response). */
  readonly req: Http2ServerRequest | null;
  /** Add a `date` field unless one is set (node's `sendDate`). */
  sendDate = true;
  private readonly stream: ResponseStream;
  private code = 200;
  /** By lowercase name, in the order first set (a Map: V8 keeps a null-prototype object in slow dictionary mode). */
  private readonly fields = new Map<string, OutgoingValue>();
  private trailerFields: Map<string, OutgoingValue> | null = null;
  private headSent = false;
  private started = false;
  private startQueued = false;
  private ending = false;
  private finishedSending = false;
  private closed = false;
  private readonly queue = new WriteQueue();
  private paused = false;
  private timeout: StreamTimeout | null = null;

  /** @internal Made by the server for each stream. */
  constructor(stream: ResponseStream, req: Http2ServerRequest | null) {
    super();
    this.stream = stream;
    this.req = req;
  }

  // ---- status and head ----

  get statusCode(): number {
    return this.code;
  }

  set statusCode(code: number) {
    code |= 0;
    if (code >= 100 && code < 200) throw compatErrors.infoStatusNotAllowed();
    if (code < 100 || code > 599) throw compatErrors.statusInvalid(code);
    this.code = code;
  }

  /** HTTP/2 has no reason phrase: always '' (node:http2's value); setting it does nothing. */
  get statusMessage(): string {
    return '';
  }

  set statusMessage(_message: string) {}

  get headersSent(): boolean {
    return this.headSent;
  }

  setHeader(name: string, value: OutgoingValue): this {
    if (this.headSent) throw compatErrors.headersSent();
    const key = checkedName(name, value);
    this.fields.set(key, storedValue(value));
    return this;
  }

  /** Adds a value to a field (node:http's `appendHeader`). */
  appendHeader(name: string, value: OutgoingValue): this {
    if (this.headSent) throw compatErrors.headersSent();
    const key = checkedName(name, value);
    const had = this.fields.get(key);
    this.fields.set(key, had === undefined ? storedValue(value) : joinedValue(had, value));
    return this;
  }

  getHeader(name: string): OutgoingValue | undefined {
    if (typeof name !== 'string') throw compatErrors.argType('name', 'of type string', name);
    return this.fields.get(name.trim().toLowerCase());
  }

  getHeaders(): OutgoingFields {
    const out = emptyFields();
    for (const [name, value] of this.fields) out[name] = value;
    return out;
  }

  getHeaderNames(): string[] {
    return [...this.fields.keys()];
  }

  hasHeader(name: string): boolean {
    if (typeof name !== 'string') throw compatErrors.argType('name', 'of type string', name);
    return this.fields.has(name.trim().toLowerCase());
  }

  removeHeader(name: string): void {
    if (typeof name !== 'string') throw compatErrors.argType('name', 'of type string', name);
    if (this.headSent) throw compatErrors.headersSent();
    this.fields.delete(name.trim().toLowerCase());
  }

  /** `writeHead(status[, statusMessage][, headers])`; headers as an object, a flat list or pairs, over those set before. */
  writeHead(statusCode: number, statusMessageOrHeaders?: string | unknown, headers?: unknown): this {
    if (this.closed) return this;
    if (this.headSent) throw compatErrors.headersSent();
    const given = typeof statusMessageOrHeaders === 'string' ? headers : statusMessageOrHeaders;
    this.statusCode = statusCode;
    // A name repeated within these headers keeps every value (a list form may repeat names).
    const named = new Set<string>();
    for (const [name, value] of entriesOf(given)) {
      const key = checkedName(name, value);
      const had = this.fields.get(key);
      if (named.has(key) && had !== undefined) this.fields.set(key, joinedValue(had, value as OutgoingValue));
      else this.fields.set(key, storedValue(value as OutgoingValue));
      named.add(key);
    }
    this.headSent = true;
    this.queueStart();
    return this;
  }

  /** Sends the head now, without waiting for a write. */
  flushHeaders(): void {
    if (this.closed || this.started) return;
    this.headSent = true;
    this.startStreaming();
  }

  /** Fields sent after the body (over HTTP/1.1 only with chunked framing, i.e. without content-length). */
  addTrailers(headers: unknown): void {
    for (const [name, value] of entriesOf(headers)) {
      const key = checkedName(name, value);
      (this.trailerFields ??= new Map()).set(key, storedValue(value as OutgoingValue));
    }
  }

  /** A 100 Continue before the response (after a request with `expect: 100-continue`). */
  writeContinue(): void {
    if (this.closed || this.headSent) return;
    this.stream.handler.sendInformational(100);
  }

  /** A 103 Early Hints response with `link` (and other) fields. */
  writeEarlyHints(hints: Record<string, string | string[]>, callback?: () => void): void {
    if (!this.closed && !this.headSent) this.stream.handler.sendInformational(103, hints);
    if (callback !== undefined) process.nextTick(callback);
  }

  // ---- the body ----

  get writableEnded(): boolean {
    return this.ending;
  }

  get finished(): boolean {
    return this.ending;
  }

  get writableFinished(): boolean {
    return this.finishedSending;
  }

  get writable(): boolean {
    return !this.ending && !this.closed;
  }

  get writableLength(): number {
    return this.queue.length;
  }

  get writableHighWaterMark(): number {
    return HIGH_WATER_MARK;
  }

  get writableNeedDrain(): boolean {
    return this.queue.needDrain;
  }

  get writableCorked(): number {
    return 0;
  }

  cork(): void {}

  uncork(): void {}

  write(chunk: BodyChunk, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
    const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : typeof callback === 'function' ? callback : undefined;
    if (this.ending || this.closed) {
      const err = this.ending ? compatErrors.writeAfterEnd() : compatErrors.invalidStream();
      if (cb !== undefined) process.nextTick(cb, err);
      if (this.ending) this.destroy(err);
      return false;
    }
    const buf = toBuffer(chunk, encoding);
    this.headSent = true;
    const more = this.enqueue(buf, cb ?? null);
    if (!this.started) this.queueStart();
    else if (this.paused) this.wake();
    return more;
  }

  end(chunkOrCallback?: BodyChunk | (() => void) | null, encodingOrCallback?: BufferEncoding | (() => void), callback?: () => void): this {
    // Any argument may be null or undefined (Fastify calls end(payload, null, null)).
    let chunk: BodyChunk | null | undefined;
    let cb: (() => void) | undefined;
    let encoding: BufferEncoding | undefined;
    if (typeof chunkOrCallback === 'function') cb = chunkOrCallback;
    else {
      chunk = chunkOrCallback;
      if (typeof encodingOrCallback === 'function') cb = encodingOrCallback;
      else {
        encoding = encodingOrCallback ?? undefined;
        cb = typeof callback === 'function' ? callback : undefined;
      }
    }
    if (this.ending || this.closed) {
      if (cb !== undefined) {
        if (this.closed) process.nextTick(cb);
        else this.once('finish', cb);
      }
      return this;
    }
    if (chunk !== null && chunk !== undefined) this.enqueue(toBuffer(chunk, encoding), null);
    this.ending = true;
    this.headSent = true;
    if (cb !== undefined) this.once('finish', cb);
    // A request body nobody reads would hold the stream open: it is read and dropped (node does too).
    const req = this.req;
    if (req !== null && !req.complete) {
      if (req.readableFlowing === null) req.resume();
      // A client still uploading once the response is done is asked to stop (RST_STREAM
      // NO_ERROR, as node does); what has already arrived by the next turn is still read.
      setImmediate(refuseRest, this);
    }
    if (!this.started) this.sendWhole();
    else if (this.paused) this.wake();
    return this;
  }

  /** Abandons the response: the stream is reset (INTERNAL_ERROR with an error, CANCEL without), then 'close'. */
  destroy(err?: Error): this {
    if (!this.closed) this.stream.abort(err);
    return this;
  }

  get socket(): CompatSocket {
    return this.stream.socket();
  }

  get connection(): CompatSocket {
    return this.stream.socket();
  }

  /** Calls `callback` (or emits 'timeout') after `ms` unless the stream has closed; without a listener, the stream is reset. */
  setTimeout(ms: number, callback?: () => void): this {
    (this.timeout ??= new StreamTimeout(this, () => this.stream.abort())).set(ms, callback, !this.closed);
    return this;
  }

  /** Pushes a resource (node:http2's API): `callback(err, pushResponse)`; the pushed response is written like this one. */
  createPushResponse(headers: Record<string, string | string[]>, callback: (err: Error | null, res?: Http2ServerResponse) => void): void {
    if (typeof callback !== 'function') throw compatErrors.argType('callback', 'of type function', callback);
    if (this.closed) {
      process.nextTick(callback, compatErrors.invalidStream());
      return;
    }
    const requestHeaders: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (name.charCodeAt(0) === 0x3a) continue;
      for (const v of Array.isArray(value) ? value : [value]) requestHeaders.push([name, String(v)]);
    }
    const path = headers?.[':path'];
    const method = headers?.[':method'];
    try {
      const pushed = this.stream.pushResponse({ path: typeof path === 'string' ? path : '', method: typeof method === 'string' ? method : undefined, requestHeaders });
      if (pushed === null) process.nextTick(callback, this.closed ? compatErrors.invalidStream() : compatErrors.pushDisabled());
      else process.nextTick(callback, null, pushed);
    } catch (err) {
      if (!(err instanceof PushRefusedError)) throw err;
      const refused = err.token === 'push_stream_closed' ? compatErrors.invalidStream() : compatErrors.pushDisabled();
      (refused as Error & { cause?: unknown }).cause = err;
      process.nextTick(callback, refused);
    }
  }

  // ---- from the stream ----

  /** The stream closed: pending write callbacks fail, then 'finish' (a clean end) and 'close'. */
  streamClosed(errorCode: number): void {
    if (this.closed) return;
    this.closed = true;
    this.timeout?.clear();
    // An Error (and its stack) only for callbacks that are really waiting: making one per stream cost 10% of a request.
    if (!this.queue.empty) this.queue.clear(compatErrors.invalidStream());
    // On the next tick: the stream can close inside sendResponse() (a whole response to a
    // complete request), and 'finish' listeners must not run inside end(), nor before the
    // callbacks of earlier writes.
    process.nextTick(emitClosed, this, this.ending && errorCode === 0);
  }

  /** @internal */
  refuseRequestRest(): void {
    if (!this.closed && this.req !== null && !this.req.complete) this.stream.handler.reset(0);
  }

  /** @internal */
  emitClosed(finished: boolean): void {
    if (finished) {
      this.finishedSending = true;
      this.emit('finish');
    }
    this.emit('close');
  }

  // ---- sending ----

  /** Queues a write (an empty one, or one for a response without a body, is done at once); false: wait for 'drain'. */
  private enqueue(buf: Buffer, cb: WriteCallback | null): boolean {
    if (buf.length === 0 || this.bodyless()) {
      if (cb !== null) process.nextTick(cb);
      return true;
    }
    return this.queue.push(buf, cb);
  }

  private queueStart(): void {
    if (this.startQueued || this.started) return;
    this.startQueued = true;
    queueMicrotask(() => {
      // A response without a body waits for end(), which sends its head with END_STREAM: sent
      // earlier, the stream could close before end() and 'finish' would never come.
      if (!this.started && !this.closed && !this.ending && !this.bodyless()) this.startStreaming();
    });
  }

  /** A response with no body (HEAD, 204, 304): writes are accepted and dropped, as node:http does. */
  private bodyless(): boolean {
    return this.code === 204 || this.code === 304 || this.stream.handler.method === 'HEAD';
  }

  private head(): ResponseOptions {
    const handler = this.stream.handler;
    const http2 = handler.httpVersion === '2';
    return { status: this.code, headers: fieldListOf(this.fields, http2), sendDate: this.sendDate };
  }

  /** `end()` came before the response started: one response with the whole body. */
  private sendWhole(): void {
    this.started = true;
    const body = this.queue.takeAll();
    const options = this.head();
    options.body = body;
    if (this.trailerFields !== null) options.trailers = fieldListOf(this.trailerFields, false);
    this.stream.handler.sendResponse(options);
  }

  /** The head goes now; the body follows as it is written. */
  private startStreaming(): void {
    this.started = true;
    const handler: BaseRequestHandler = this.stream.handler;
    const options = this.head();
    if (this.bodyless()) {
      this.queue.clear(undefined);
    } else {
      options.body = this.generate;
      options.trailers = () => (this.trailerFields === null ? null : fieldListOf(this.trailerFields, false));
    }
    handler.sendResponse(options);
  }

  private wake(): void {
    this.paused = false;
    this.stream.handler.resume();
  }

  /** The body generator the stream pulls: the next queued chunk, or DATA_DEFERRED until a write. */
  private readonly generate = (): [Buffer | null, DataFlag] => {
    const chunk = this.queue.shift();
    if (chunk === undefined) {
      if (this.ending) return [null, DATA_EOF];
      this.paused = true;
      return [null, DATA_DEFERRED];
    }
    if (this.queue.drained()) process.nextTick(emitDrain, this);
    return [chunk, this.ending && this.queue.empty ? DATA_EOF : DATA_OK];
  };
}
