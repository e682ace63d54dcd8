/**
 * Http1Session: one HTTP/1.1 connection, serving the same `BaseRequestHandler` API as an HTTP/2
 * session. Node's `node:http` parses the requests and frames the responses (keep-alive,
 * pipelining, chunked bodies, HEAD); this class runs the handler's callbacks in order through
 * the same callback queue as HTTP/2, pulls response bodies through the same body sources, and
 * answers a failure the way HTTP/1.1 can: a 500 if nothing was sent yet, else a cut connection
 * (the only way to tell a client that a body is incomplete).
 *
 * Each request gets a handler `streamId` (1, 3, 5... in order); `canPush` is false and `push()`
 * throws PushRefusedError, as for an HTTP/2 client that disabled push.
 */
import type http from 'node:http';
import type net from 'node:net';
import { ErrorCode } from '../errors.js';
import { UsageError } from '../errors.js';
import { PULL_SIZE } from '../io/body-pump.js';
import { CallbackQueue, type CallbackQueueOwner } from '../io/callback-queue.js';
import { failpoint, type FailpointName } from '../io/failpoints.js';
import { readRequestBody, RequestBodyError, type BodyOptions } from './body-reader.js';
import { HandlerError, Http1RequestError } from './errors.js';
import { addTrailers, CLOSE_CANCEL_ITEM, CLOSE_NO_ERROR_ITEM, Http1Exchange, pairsOf, HEADERS_ITEM, REQUEST_DONE_ITEM, skipDrain, writeResponseHead, type Http1Item, type Http1Response } from './http1-exchange.js';
import { Http1ExchangeList } from './http1-exchange-list.js';
import { Http1RequestReader } from './http1-request.js';
import { setRequestAttributes } from './request-attributes.js';
import { BaseRequestHandler, type HandlerSession, type HeadersInput, type ResponseOptions } from './request-handler.js';
import { http1ResponsePlanOf, informationalHeadOf, lateTrailerListOf } from './response-head.js';
import { accessLogEntryOf, callbackName, callHandler, runOnCloseNow } from './server-stream.js';
import type { SessionContext } from './session-context.js';

/** What the session needs of the HTTP/1.1 side of its server. */
export interface Http1SessionHost {
  readonly ctx: SessionContext;
  /** The session's socket closed (it is forgotten). */
  closed(session: Http1Session): void;
}

export class Http1Session implements HandlerSession, CallbackQueueOwner<Http1Exchange, Http1Item> {
  readonly clientAddress: [string, number];
  readonly scheme: 'http' | 'https';
  readonly socket: net.Socket;
  private readonly host: Http1SessionHost;
  private readonly ctx: SessionContext;
  private readonly exchanges = new Http1ExchangeList();
  private readonly callbacks: CallbackQueue<Http1Exchange, Http1Item>;
  private nextId = 1;
  /** shutdown() was called: no keep-alive after the responses in flight. */
  private closing = false;
  private gone = false;
  /** An exception h2kit did not expect ended this connection. */
  private faulted = false;
  /** ownAuthority(), once known. */
  private authority: string | null = null;
  /** Turns each request head into the handler's fields. */
  private readonly reader: Http1RequestReader;

  constructor(host: Http1SessionHost, socket: net.Socket, scheme: 'http' | 'https') {
    this.host = host;
    this.ctx = host.ctx;
    this.socket = socket;
    this.scheme = scheme;
    this.clientAddress = [socket.remoteAddress ?? '', socket.remotePort ?? 0];
    this.callbacks = new CallbackQueue<Http1Exchange, Http1Item>(this, true);
    this.reader = new Http1RequestReader(scheme, () => this.ownAuthority());
    // Teardown paths have no failpoint: whatever failed before, the exchanges close and the server forgets this session.
    socket.once('close', () => this.socketClosed());
  }

  /** Requests whose exchange is still open. */
  get openExchanges(): number {
    return this.exchanges.size;
  }

  /** A request from Node's parser: build its handler and start its callbacks. */
  onRequest(req: http.IncomingMessage, res: Http1Response): void {
    const ex = new Http1Exchange(this, this.nextId, req, res);
    this.nextId += 2;
    if (this.closing) res.shouldKeepAlive = false;
    const reader = this.reader;
    // The common request is judged without making its fields (the handler's `headers` makes them if asked).
    const authority = reader.scan(req);
    let fields: Array<[string, string]> | null = null;
    if (authority === null) {
      try {
        fields = reader.readUncommon(req);
      } catch (err) {
        if (!(err instanceof Http1RequestError)) throw err;
        refuse(res, err.status, err.message);
        return;
      }
    }
    // From here the response's end ends the exchange (Http1Response.detachSocket, or the socket's close).
    this.exchanges.add(ex);
    let handler: BaseRequestHandler;
    try {
      handler = new this.ctx.handlerClass(this, ex.id);
    } catch (err) {
      ex.failed = true;
      this.ctx.log.error('handler', `h2kit: ${describe(ex)}: the handler constructor failed`, err);
      refuse(res, 500, 'Internal Server Error');
      return;
    }
    handler.httpVersion = req.httpVersionMinor === 0 ? '1.0' : '1.1';
    if (fields === null) {
      // What setRequestAttributes would find in the fields commonFields makes.
      handler.method = req.method ?? 'GET';
      handler.scheme = this.scheme;
      handler.host = authority!;
      handler.path = req.url ?? '/';
      ex.reader = reader;
      ex.authority = authority!;
      ex.teTrailers = reader.teTrailers;
      handler.deferHeaders(ex);
    } else {
      setRequestAttributes(handler, fields);
    }
    ex.handler = handler;
    if (!reader.hasBody) {
      // No content-length and no transfer-encoding: the request ends with its head (RFC 9112 section 6.3),
      // as an HTTP/2 HEADERS frame with END_STREAM does. The request stream is never read: there is
      // nothing in it, and node:http is told not to drain it either (skipDrain).
      skipDrain(req);
      this.callbacks.deliver(ex, HEADERS_ITEM);
      ex.requestEnded = true;
      if (!this.faulted) this.callbacks.deliver(ex, REQUEST_DONE_ITEM);
      return;
    }
    req.on('data', (chunk: Buffer) => this.guarded('http1-event', () => this.onRequestData(ex, chunk)));
    req.on('end', () =>
      this.guarded('http1-event', () => {
        const trailers = pairsOf(req.rawTrailers);
        if (trailers.length > 0) handler.trailers = trailers;
        ex.requestEnded = true;
        this.callbacks.deliver(ex, REQUEST_DONE_ITEM);
      }),
    );
    this.callbacks.deliver(ex, HEADERS_ITEM);
  }

  /** Read from the socket when asked (a getsockname call): most handlers never ask. */
  get localAddress(): readonly [string, number] {
    return [this.socket.localAddress ?? '', this.socket.localPort ?? 0];
  }

  /** The authority of an HTTP/1.0 request without Host (RFC 9112 section 3.3): the address it came to. */
  private ownAuthority(): string {
    // Once per connection: socket.localAddress asks the kernel (getsockname) each time.
    if (this.authority === null) {
      const host = this.socket.localAddress ?? '';
      this.authority = `${host.includes(':') ? `[${host}]` : host}:${this.socket.localPort ?? 0}`;
    }
    return this.authority;
  }

  private onRequestData(ex: Http1Exchange, chunk: Buffer): void {
    if (ex.failed || ex.closed) return;
    ex.bytesReceived += chunk.length;
    this.callbacks.deliver(ex, { type: 'data', data: chunk });
    // A pending onData promise holds the rest of the body back, as the flow-control credit does in HTTP/2
    // (not while body() takes the chunks: the callback pending is the one awaiting them).
    if (ex.calls.busy && ex.tap === null) ex.req.pause();
  }

  // ---- the callback queue's owner ----

  /** @internal */
  invoke(ex: Http1Exchange, item: Http1Item): unknown {
    return callHandler(ex, item);
  }

  /** @internal */
  afterCallback(ex: Http1Exchange, item: Http1Item): void {
    if (item.type === 'data' && (!ex.calls.busy || ex.tap !== null) && ex.req.isPaused()) ex.req.resume();
    else if (item.type === 'close') this.exchanges.delete(ex.id);
  }

  /** @internal */
  callbackFailed(ex: Http1Exchange, item: Http1Item, err: unknown): void {
    if (item.type === 'close') {
      this.ctx.log.error('handler', `h2kit: ${describe(ex)}: onClose threw`, err);
      return;
    }
    // readBody() already answered the client (413, 400) or found the request gone: nothing to log.
    if (err instanceof RequestBodyError) return;
    this.failExchange(ex, err, callbackName(item));
  }

  /** A callback or the body failed: 500 if the response has not started, else the connection is cut. */
  private failExchange(ex: Http1Exchange, err: unknown, what: string): void {
    if (ex.failed) return;
    ex.failed = true;
    const error = new HandlerError(ex.id, `${describe(ex)}: ${what} failed`, err);
    this.ctx.log.error('handler', error.message, err);
    this.stopBody(ex);
    if (ex.req.isPaused()) ex.req.resume();
    if (!ex.res.headersSent && !ex.closed) {
      ex.responded = true;
      ex.status = 500;
      refuse(ex.res, 500, 'Internal Server Error');
    } else {
      this.socket.destroy();
    }
  }

  /** @internal node:http is done with `res` (Http1Response.detachSocket): its exchange has finished. */
  responseFinished(res: Http1Response): void {
    const ex = this.exchanges.withResponse(res);
    if (ex !== undefined) this.responseClosed(ex, true);
  }

  /** @internal The response finished (`finished`), or the socket went before it did: onClose, once. */
  responseClosed(ex: Http1Exchange, finished: boolean): void {
    if (ex.closed) return;
    ex.closed = true;
    this.stopBody(ex);
    const errorCode = finished ? ErrorCode.NO_ERROR : ErrorCode.CANCEL;
    if (ex.responded && this.ctx.accessLog !== null && ex.handler !== null) {
      try {
        this.ctx.accessLog(accessLogEntryOf(ex, this.clientAddress, errorCode));
      } catch (err) {
        this.ctx.log.error('handler', 'h2kit: the access log failed:', err);
      }
    }
    if (ex.handler === null || ex.calls.busy) {
      // A pending callback (onData awaiting a backend) must not hold onClose back: it runs now, once.
      ex.calls.queue = null;
      // A readBody() awaited by the pending callback learns that the request is gone.
      if (ex.tap !== null) ex.tap(errorCode === ErrorCode.NO_ERROR ? CLOSE_NO_ERROR_ITEM : CLOSE_CANCEL_ITEM);
      if (ex.handler !== null) runOnCloseNow(ex.handler, errorCode, this.ctx.log, describe(ex));
      this.exchanges.delete(ex.id);
      return;
    }
    // A handler without an onClose of its own, with nothing queued or waiting: the exchange just ends.
    if (ex.handler.onClose === BaseRequestHandler.prototype.onClose && ex.tap === null && !ex.running && (ex.queue === null || ex.queue.length === 0)) {
      this.exchanges.delete(ex.id);
      return;
    }
    this.callbacks.deliver(ex, errorCode === ErrorCode.NO_ERROR ? CLOSE_NO_ERROR_ITEM : CLOSE_CANCEL_ITEM);
  }

  private socketClosed(): void {
    if (this.gone) return;
    this.gone = true;
    // Every exchange still open lost its connection: the one being answered, and pipelined ones
    // queued behind it (node:http detaches only finished responses: Http1Response).
    if (this.exchanges.size > 0) {
      for (const ex of [...this.exchanges.values()]) {
        try {
          this.responseClosed(ex, false);
        } catch (err) {
          this.fault(err, 'http1-event');
        }
      }
    }
    this.host.closed(this);
  }

  // ---- commands from handlers (HandlerSession) ----

  sendResponse(streamId: number, options: ResponseOptions): void {
    const ex = this.exchanges.get(streamId);
    if (ex === undefined || ex.closed || ex.failed || this.gone) return;
    if (ex.responded) throw new UsageError(`sendResponse() was already called for stream ${streamId}`, 'response_already_sent');
    // No date of ours: node:http adds one (res.sendDate) when the handler gave none, so there is exactly one.
    const plan = http1ResponsePlanOf(options, ex.handler?.method === 'HEAD', this);
    if (options.sendDate === false) ex.res.sendDate = false;
    try {
      writeResponseHead(ex.res, plan);
    } catch (err) {
      plan.source?.destroy();
      throw new UsageError(`the response cannot be sent over HTTP/1.1: ${err instanceof Error ? err.message : String(err)}`, 'response_bad_field');
    }
    ex.responded = true;
    ex.status = plan.status;
    if (plan.source === null) {
      const bytes = plan.bytes;
      if (bytes !== null) ex.bytesSent = bytes.length;
      addTrailers(ex.res, plan.trailers);
      if (bytes === null) ex.res.end();
      else ex.res.end(bytes);
      return;
    }
    ex.source = plan.source;
    ex.trailers = plan.trailers;
    ex.lateTrailers = plan.lateTrailers;
    ex.declaredLength = plan.declaredLength;
    ex.source.onWake = () => this.guarded('http1-event', () => this.pump(ex));
    this.pump(ex);
  }

  /** Writes what the body source has, until it is empty, ended, failed, or the socket is full. */
  private pump(ex: Http1Exchange): void {
    const source = ex.source;
    if (source === null || ex.waitingDrain) return;
    const res = ex.res;
    for (;;) {
      if (res.destroyed) return;
      let chunk: Buffer | null;
      try {
        chunk = source.pull(PULL_SIZE);
      } catch (err) {
        this.failExchange(ex, err, 'the response body');
        return;
      }
      if (chunk === null) {
        if (source.error !== undefined) this.failExchange(ex, source.error, 'the response body');
        else if (source.ended) this.endBody(ex);
        return;
      }
      ex.bytesSent += chunk.length;
      if (ex.declaredLength >= 0 && ex.bytesSent > ex.declaredLength) {
        this.failExchange(ex, new UsageError(`the body is longer than its content-length ${ex.declaredLength}`, 'response_content_length_mismatch'), 'the response body');
        return;
      }
      if (!res.write(chunk)) {
        ex.waitingDrain = true;
        res.once('drain', () =>
          this.guarded('http1-event', () => {
            ex.waitingDrain = false;
            this.pump(ex);
          }),
        );
        return;
      }
    }
  }

  private endBody(ex: Http1Exchange): void {
    ex.source = null;
    if (ex.declaredLength >= 0 && ex.bytesSent !== ex.declaredLength) {
      this.failExchange(ex, new UsageError(`the body ended after ${ex.bytesSent} of its content-length ${ex.declaredLength} bytes`, 'response_content_length_mismatch'), 'the response body');
      return;
    }
    let trailers = ex.trailers;
    if (ex.lateTrailers !== null) {
      try {
        trailers = lateTrailerListOf(ex.lateTrailers);
      } catch (err) {
        this.failExchange(ex, err, 'the response trailers');
        return;
      }
    }
    // Trailers need chunked framing (no content-length); Node drops them otherwise, as RFC 9112 allows.
    addTrailers(ex.res, trailers);
    ex.res.end();
  }

  private stopBody(ex: Http1Exchange): void {
    const source = ex.source;
    if (source === null) return;
    ex.source = null;
    try {
      source.destroy();
    } catch (err) {
      this.ctx.log.error('handler', `h2kit: ${describe(ex)}: destroying the body failed`, err);
    }
  }

  canPush(): boolean {
    return false;
  }

  /** HTTP/1.1 has no server push: nothing is sent (a push is only an optimisation). */
  push(): null {
    return null;
  }

  promise(): null {
    return null;
  }

  /** Node writes 100, 102 and 103 itself (in order with pipelined responses); other 1xx codes have no use over HTTP/1.1 and are dropped. */
  sendInformational(streamId: number, status: number, headers?: HeadersInput | null): void {
    const ex = this.exchanges.get(streamId);
    if (ex === undefined || ex.closed || ex.failed || this.gone) return;
    const fields = informationalHeadOf(status, headers, ex.responded);
    if (ex.handler?.httpVersion === '1.0') return; // RFC 9110 section 15.2: never a 1xx to an HTTP/1.0 client
    if (status === 100) ex.res.writeContinue();
    else if (status === 102) ex.res.writeProcessing();
    else if (status === 103) {
      const hints: Record<string, string | string[]> = {};
      for (let i = 1; i < fields.length; i++) {
        const [name, value] = fields[i]!;
        const had = hints[name];
        hints[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
      }
      if (hints.link !== undefined) ex.res.writeEarlyHints(hints);
    }
  }

  /** HTTP/1.1 cannot end one exchange alone: the connection closes (what a reset means to the client). */
  readBody(streamId: number, options?: BodyOptions): Promise<Buffer> {
    const ex = this.exchanges.get(streamId);
    if (ex === undefined || ex.closed || ex.failed || ex.handler === null || this.gone) {
      return Promise.reject(new RequestBodyError('the request ended before its body was read (the connection is closed)', 'request_body_aborted', 0));
    }
    return readRequestBody(this.callbacks, ex, ex.handler, options);
  }

  reset(streamId: number, errorCode?: number): void {
    const ex = this.exchanges.get(streamId);
    if (ex === undefined || ex.closed || this.gone) return;
    // NO_ERROR after the response: node:http already reads and drops (or cuts) an unread body.
    if (errorCode === 0 && ex.responded) return;
    this.stopBody(ex);
    ex.res.destroy();
  }

  resume(streamId: number): void {
    this.exchanges.get(streamId)?.source?.resume();
  }

  /** No keep-alive after the responses in flight; an idle connection closes now. */
  shutdown(): void {
    if (this.closing || this.gone) return;
    this.closing = true;
    let open = 0;
    for (const ex of this.exchanges.values()) {
      if (ex.res.headersSent) continue;
      ex.res.shouldKeepAlive = false;
      open++;
    }
    if (open === 0 && this.exchanges.size === 0) this.socket.end();
  }

  /** The socket became HTTP/2's (an h2c upgrade): this session lets go of it. */
  detach(): void {
    this.gone = true;
  }

  /** Ends the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- fault containment ----

  /** Runs `fn`; an exception h2kit did not expect ends this connection only, and is reported. */
  private guarded(where: FailpointName, fn: () => void): void {
    // After a fault the connection is being destroyed: events already queued for it are dropped.
    if (this.faulted) return;
    try {
      failpoint(where);
      fn();
    } catch (err) {
      this.fault(err, where);
    }
  }

  /** @internal A pending callback settled: nothing to flush (node:http writes at once). */
  settled(): void {}

  /** @internal An exception h2kit did not expect: this connection ends, the server counts it. */
  fault(err: unknown, where: FailpointName = 'http1-event'): void {
    if (this.faulted) return;
    this.faulted = true;
    try {
      this.ctx.unexpectedError(err, where, this.clientAddress);
    } finally {
      this.socket.destroy();
    }
  }
}

function describe(ex: Http1Exchange): string {
  const h = ex.handler;
  return h === null ? `HTTP/1.1 request ${ex.id}` : `HTTP/1.1 request ${ex.id} (${h.method} ${h.path})`;
}

/** A short plain-text answer that ends the connection (after a refused or failed request). */
export function refuse(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = message + '\n';
  res.shouldKeepAlive = false;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
