/**
 * HTTP2Client: one HTTP/2 connection to one origin, on the same sans-I/O Connection core as
 * the server. It is the glue between a socket and the Connection, and between the
 * Connection's events and response handlers, wired the way the server's session is:
 *
 *   socket 'data' -> connection.receive() -> events -> handler callbacks (per stream, in order)
 *   requests and body pumps -> connection -> takeOutput() -> socket.write (corked: one writev a burst)
 *   nextDeadline() -> one timer -> tick()
 *
 * Requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS wait in a queue and start as
 * streams close. Request bodies are pulled from their source only while the stream's window,
 * the connection's window and the socket can take more (body sources and the pump are shared
 * with the server: src/io/).
 * Three faces over one path: `send()` with a BaseResponseHandler (the seed's style),
 * `request()` (a promise of the whole response), `stream()` (a promise of the head, body as a
 * Readable).
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Connection } from '../connection/index.js';
import { StreamTable } from '../connection/stream-table.js';
import type { ConnectionEvent, HeaderList, PushPromiseEvent, Settings } from '../connection/index.js';
import { ErrorCode, errorCodeName, H2Error, UsageError } from '../errors.js';
import { bodySourceOf } from '../io/body-source.js';
import { BodyPump, type BodyPumpOwner } from '../io/body-pump.js';
import { CallbackQueue, type CallbackQueueOwner } from '../io/callback-queue.js';
import { appendHeaders } from '../io/header-input.js';
import { ClientStream, DONE_ITEM, HEADERS_ITEM, type Item } from './client-stream.js';
import { ClientConnectionError, ConnectError, RequestRefusedError, RequestTimeoutError, ResponseHandlerError, StreamResetError } from './errors.js';
import { FrameTracer } from './frame-trace.js';
import { BaseResponseHandler, type PushPromise, type ResponseHandlerClass } from './response-handler.js';
import { CollectingHandler, type ClientResponse, type PushCallback, StreamingHandler, type StreamingResponse } from './responses.js';
import { openTransport, type Target, targetOf } from './transport.js';

import type { HTTP2ClientOptions, PromiseRequestOptions, RequestOptions } from './options.js';

export type { RequestBody, RequestOptions, PromiseRequestOptions, HTTP2ClientOptions } from './options.js';

function uncork(client: HTTP2Client): void {
  client.uncork();
}

function noop(): void {}

/** Client connection states. */
const State = { IDLE: 0, CONNECTING: 1, OPEN: 2, ENDED: 3 } as const;
type State = (typeof State)[keyof typeof State];

export class HTTP2Client {
  /** Where the client connects (parsed from the URL). */
  readonly target: Target;
  private readonly options: HTTP2ClientOptions;
  private readonly enablePush: boolean;
  private state: State = State.IDLE;
  private socket: Socket | null = null;
  private conn: Connection | null = null;
  private readonly streams = new StreamTable<ClientStream>();
  /** Requests waiting for a stream (concurrency limit, or the connection is still opening). */
  private readonly pending: ClientStream[] = [];
  /** Request streams open on the connection (pushes excluded): what MAX_CONCURRENT_STREAMS bounds. */
  private openRequests = 0;
  private readonly pump: BodyPump<ClientStream>;
  /** Items run at once even while a callback runs (a handler's cancel() delivers onClose from within it). */
  private readonly callbacks = new CallbackQueue<ClientStream, Item>(this.callbackOwner(), false);
  private settingsSeen = false;
  private corked = false;
  private flushScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private deadline = Infinity;
  private goawayLastId = -1;
  private goawayCode = 0;
  /** Why the connection failed (connection error, socket error), for the streams it takes down. */
  private failure: ClientConnectionError | null = null;
  private closing = false;
  private connecting: Promise<void> | null = null;
  private readyResolve: (() => void) | null = null;
  private readyReject: ((err: unknown) => void) | null = null;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private sendTrace: FrameTracer | null = null;
  private recvTrace: FrameTracer | null = null;

  constructor(url: string | URL, options: HTTP2ClientOptions = {}) {
    this.target = targetOf(url);
    this.options = options;
    this.enablePush = options.enablePush ?? true;
    this.pump = new BodyPump(this.pumpOwner, { socketHighWaterMark: Math.max(16384, options.socketHighWaterMark ?? 262144), wholeWindowForKnownLength: false });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  // ---------------------------------------------------------------------------------------
  // Public API
  // ---------------------------------------------------------------------------------------

  /**
   * Opens the connection (requests do it on their own). Resolves once the server's SETTINGS
   * arrived; rejects with ConnectError (TCP, TLS, ALPN) or ClientConnectionError.
   */
  connect(): Promise<void> {
    if (this.connecting !== null) return this.connecting;
    if (this.closing || this.state === State.ENDED) {
      return Promise.reject(new ClientConnectionError('the client is closed', ErrorCode.NO_ERROR, 'client_closed'));
    }
    this.state = State.CONNECTING;
    this.connecting = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.connecting.catch(noop);
    openTransport(this.target, {
      ca: this.options.ca,
      rejectUnauthorized: this.options.rejectUnauthorized,
      servername: this.options.servername,
      tls: this.options.tls,
      connectTimeout: this.options.connectTimeout ?? 10000,
    }).then(
      (socket) => this.onConnected(socket),
      (err: unknown) => this.onConnectFailed(err),
    );
    return this.connecting;
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
    const stream = new ClientStream(this.pumpStream, h, false, headers, source, trailers, options.timeout ?? this.options.requestTimeout ?? 0);
    if (this.closing || this.state === State.ENDED) {
      const why = this.closing
        ? new ClientConnectionError('the client is closed: no new requests', ErrorCode.NO_ERROR, 'client_closed', true)
        : new ClientConnectionError(`the connection to ${this.target.authority} has ended; use a new HTTP2Client`, ErrorCode.NO_ERROR, 'connection_ended', true, this.failure);
      this.failUnsent(stream, why);
      return h;
    }
    if (this.goawayLastId >= 0) {
      this.failUnsent(stream, new RequestRefusedError(0, 'the server is going away (GOAWAY received): the request was not sent', 'goaway_not_sent'));
      return h;
    }
    h.canceller = (code) => this.cancel(stream, code);
    if (stream.timeout > 0) stream.timer = setTimeout(() => this.onRequestTimeout(stream), stream.timeout);
    const signal = options.signal;
    if (signal !== undefined && signal !== null) {
      if (signal.aborted) {
        this.failUnsent(stream, new StreamResetError(0, ErrorCode.CANCEL, false));
        return h;
      }
      stream.signal = signal;
      stream.onAbort = () => this.cancel(stream, ErrorCode.CANCEL);
      signal.addEventListener('abort', stream.onAbort, { once: true });
    }
    this.pending.push(stream);
    if (this.state === State.IDLE) void this.connect();
    else if (this.state === State.OPEN) {
      this.startPending();
      this.scheduleFlush();
    }
    return h;
  }

  /** Sends a request and resolves with the whole response (body collected in one Buffer). */
  request(options: PromiseRequestOptions = {}): Promise<ClientResponse> {
    const handler = new CollectingHandler(this.pushCallback(options));
    this.send(options, handler);
    return handler.response;
  }

  /** Sends a request and resolves with the response head; the body is a Readable (also async-iterable) with backpressure. */
  stream(options: PromiseRequestOptions = {}): Promise<StreamingResponse> {
    const handler = new StreamingHandler(this.pushCallback(options));
    this.send(options, handler);
    return handler.response;
  }

  /**
   * Graceful close: no new requests; queued and in-flight ones (and accepted pushes) finish,
   * then GOAWAY(NO_ERROR) and the socket closes. Resolves when it has.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      if (this.state === State.IDLE) {
        this.end();
      } else {
        this.maybeFinishClose();
        const force = setTimeout(() => {
          if (this.state !== State.ENDED) this.destroy(new ClientConnectionError(`close() gave up after ${this.options.closeTimeout ?? 30000} ms`, ErrorCode.CANCEL, 'close_timeout'));
        }, this.options.closeTimeout ?? 30000);
        force.unref();
        void this.closed.then(() => clearTimeout(force));
      }
    }
    return this.closed;
  }

  /** Ends the connection at once: every request not complete fails with `error` (or a ClientConnectionError). */
  destroy(error?: H2Error): void {
    this.closing = true;
    if (this.failure === null) {
      this.failure = error instanceof ClientConnectionError ? error : new ClientConnectionError(error?.message ?? 'the client was destroyed', error?.code ?? ErrorCode.CANCEL, error?.token ?? 'client_destroyed', false, error);
    }
    if (this.conn !== null && !this.conn.isClosed) {
      this.conn.goaway(ErrorCode.CANCEL);
      this.writeOutput();
    }
    if (this.socket !== null) this.socket.destroy();
    else this.end();
  }

  /** The server's settings (protocol defaults until its SETTINGS arrive). */
  get peerSettings(): Readonly<Settings> | null {
    return this.conn?.peerSettings ?? null;
  }

  /** Requests on the wire now (pushes excluded). */
  get activeRequests(): number {
    return this.openRequests;
  }

  /** Requests waiting for a stream. */
  get queuedRequests(): number {
    return this.pending.length;
  }

  /** True once the connection is finished (closed, failed, or never to be used again). */
  get isClosed(): boolean {
    return this.state === State.ENDED;
  }

  /**
   * True when this connection takes no new requests: closing, ended, or the server sent GOAWAY
   * (requests in flight may still complete). Time for a new HTTP2Client (ReconnectingHTTP2Client does this).
   */
  get isDraining(): boolean {
    return this.closing || this.state === State.ENDED || this.goawayLastId >= 0;
  }

  /** The connection's low-level core, for tools and tests (null before connecting). */
  get connection(): Connection | null {
    return this.conn;
  }

  // ---------------------------------------------------------------------------------------
  // Connecting and the socket
  // ---------------------------------------------------------------------------------------

  private onConnected(socket: Socket): void {
    if (this.state === State.ENDED) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.state = State.OPEN;
    const settings: Partial<Settings> = { enablePush: this.enablePush, ...this.options.connection?.settings };
    this.conn = new Connection({ ...this.options.connection, settings, role: 'client', now: performance.now() });
    this.pump.start(this.conn, socket);
    const observer = this.options.onFrame;
    if (observer !== undefined && observer !== null) {
      this.sendTrace = new FrameTracer('send', observer);
      this.recvTrace = new FrameTracer('recv', observer);
    }
    socket.on('data', this.onSocketData);
    socket.on('drain', this.onDrain);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    this.startPending();
    this.flush();
    if (this.closing) this.maybeFinishClose();
  }

  private onConnectFailed(err: unknown): void {
    const error = err instanceof ClientConnectionError ? err : new ConnectError(`cannot connect: ${String(err)}`, 'connect_failed', err);
    this.failure = error;
    this.readyReject?.(error);
    this.readyResolve = this.readyReject = null;
    this.end();
  }

  private readonly onSocketData = (chunk: Buffer): void => {
    const conn = this.conn;
    if (conn === null || this.state !== State.OPEN) return;
    this.recvTrace?.push(chunk);
    this.options.onBytes?.('recv', chunk);
    this.handleEvents(conn.receive(chunk, performance.now()));
    this.flush();
  };

  private readonly onDrain = (): void => {
    if (this.pump.resumeDrained()) this.flush();
  };

  private readonly onSocketError = (err: NodeJS.ErrnoException): void => {
    this.failure ??= new ClientConnectionError(`the connection to ${this.target.authority} failed: ${err.message}`, ErrorCode.INTERNAL_ERROR, 'connection_lost', false, err);
  };

  private readonly onSocketClose = (): void => {
    this.end();
  };

  private readonly onTimer = (): void => {
    this.timer = null;
    this.deadline = Infinity;
    if (this.conn === null) return;
    this.handleEvents(this.conn.tick(performance.now()));
    this.flush();
  };

  /** The connection is over: everything not complete fails, timers stop, `close()` resolves. */
  private end(): void {
    if (this.state === State.ENDED) return;
    this.state = State.ENDED;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pump.stop();
    const lost =
      this.failure ??
      new ClientConnectionError(
        this.goawayLastId >= 0
          ? `the server closed the connection after GOAWAY ${errorCodeName(this.goawayCode)}`
          : `the connection to ${this.target.authority} closed before the response completed`,
        this.goawayLastId >= 0 ? this.goawayCode : ErrorCode.CANCEL,
        'connection_lost',
      );
    for (const stream of [...this.streams.values()]) {
      if (!stream.closed) this.closeStream(stream, ErrorCode.CANCEL, lost);
    }
    const unsent = new ClientConnectionError(`the connection ended before the request was sent: ${lost.message}`, lost.code, 'connection_closed_before_send', true, lost);
    for (const stream of this.pending.splice(0)) this.failUnsent(stream, this.failure instanceof ConnectError ? this.failure : unsent);
    this.readyReject?.(lost);
    this.readyResolve = this.readyReject = null;
    this.socket?.destroy();
    this.resolveClosed();
  }

  uncork(): void {
    this.corked = false;
    this.socket?.uncork();
  }

  /** Writes what the connection has gathered, corked so that a burst leaves in one writev. */
  private writeOutput(): void {
    this.pump.unwritten = 0;
    const conn = this.conn;
    const socket = this.socket;
    if (conn === null || socket === null) return;
    const output = conn.takeOutput();
    if (output.length === 0 || socket.destroyed || socket.writableEnded) return;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    const trace = this.sendTrace;
    const onBytes = this.options.onBytes;
    for (let i = 0; i < output.length; i++) {
      socket.write(output[i]!);
      if (trace !== null) trace.push(output[i]!);
      if (onBytes !== undefined && onBytes !== null) onBytes('send', output[i]!);
    }
  }

  /** Processes events caused by commands, writes the output, re-arms the timer. */
  private flush(): void {
    const conn = this.conn;
    if (conn === null || this.state !== State.OPEN) return;
    for (let guard = 0; guard < 64; guard++) {
      const events = conn.takeEvents();
      if (events.length === 0) break;
      this.handleEvents(events);
    }
    this.writeOutput();
    this.armTimer();
    if (conn.isClosed) this.endSocket();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private armTimer(): void {
    const deadline = this.conn?.nextDeadline() ?? Infinity;
    if (deadline === this.deadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.deadline = deadline;
    if (deadline !== Infinity) {
      this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(deadline - performance.now())));
      // The SETTINGS ACK deadline alone must not keep a finished program alive.
      this.timer.unref();
    }
  }

  /** The core is finished (`closed`): the last output is written, then the socket ends. */
  private endSocket(): void {
    const socket = this.socket;
    if (socket === null || socket.writableEnded) return;
    this.writeOutput();
    // The core ignores input once closed, so nothing is left to read: close as soon as our last bytes are out.
    socket.end(() => socket.destroy());
    setTimeout(() => socket.destroy(), 2000).unref();
  }

  /** After close(): once nothing is queued or in flight, GOAWAY(NO_ERROR) and end. */
  private maybeFinishClose(): void {
    if (!this.closing || this.state !== State.OPEN || this.pending.length > 0 || this.streams.size > 0) return;
    const conn = this.conn!;
    if (!conn.isClosed) conn.goaway(ErrorCode.NO_ERROR);
    this.scheduleFlush();
    // The core ends once its own streams are gone; ours are, so end the socket even if it lingers.
    queueMicrotask(() => this.endSocket());
  }

  // ---------------------------------------------------------------------------------------
  // Starting requests
  // ---------------------------------------------------------------------------------------

  /** Starts queued requests while the server's concurrency limit allows. */
  private startPending(): void {
    const conn = this.conn;
    // Requests wait for the server's SETTINGS (it sends them at once, so this costs at most half
    // a round trip): opening streams past a limit we do not know yet would get them refused.
    if (conn === null || this.state !== State.OPEN || !this.settingsSeen) return;
    while (this.pending.length > 0 && conn.canOpenStream && this.openRequests < conn.peerSettings.maxConcurrentStreams) {
      const stream = this.pending.shift()!;
      this.start(conn, stream);
    }
  }

  private start(conn: Connection, stream: ClientStream): void {
    const headers = stream.requestHeaders!;
    stream.requestHeaders = null;
    const endStream = stream.source === null && stream.trailers === null;
    let id: number;
    try {
      id = conn.request(headers, endStream);
    } catch (err) {
      if (err instanceof UsageError && err.token === 'max_concurrent_streams') {
        // The core's count includes streams we closed that it still keeps: wait for one to go.
        stream.requestHeaders = headers;
        this.pending.unshift(stream);
        return;
      }
      this.failUnsent(stream, err instanceof H2Error ? err : new UsageError(`the request could not be sent: ${String(err)}`, 'client_request_failed'));
      return;
    }
    stream.id = id;
    stream.handler.streamId = id;
    this.streams.set(id, stream);
    this.openRequests++;
    if (stream.source !== null) {
      stream.source.onWake = stream.wake;
      this.pumpStream(stream);
    } else if (stream.trailers !== null) {
      conn.sendHeaders(id, stream.trailers, true);
      stream.trailers = null;
    }
  }

  /** A request that never reached the wire fails: its handler gets `error` and onClose. */
  private failUnsent(stream: ClientStream, error: H2Error): void {
    if (stream.closed) return;
    stream.source?.destroy();
    stream.source = null;
    this.closeStream(stream, error.code, error);
  }

  private onRequestTimeout(stream: ClientStream): void {
    stream.timer = null;
    if (stream.closed || stream.done) return;
    const error = new RequestTimeoutError(stream.id, `${stream.handler.method} ${stream.handler.path}: no complete response within ${stream.timeout} ms`, 'request_timeout');
    if (stream.id === 0) {
      const i = this.pending.indexOf(stream);
      if (i >= 0) this.pending.splice(i, 1);
      this.failUnsent(stream, error);
      this.maybeFinishClose();
      return;
    }
    if (stream.handler.error === null) stream.handler.error = error;
    this.resetStream(stream, ErrorCode.CANCEL);
  }

  /** The handler's cancel(): drop a queued request, reset a stream. */
  private cancel(stream: ClientStream, code: number): void {
    if (stream.closed) return;
    if (stream.id === 0) {
      const i = this.pending.indexOf(stream);
      if (i >= 0) this.pending.splice(i, 1);
      this.failUnsent(stream, new StreamResetError(0, code, false));
      this.maybeFinishClose();
      return;
    }
    this.resetStream(stream, code);
  }

  private resetStream(stream: ClientStream, code: number): void {
    if (stream.resetCode < 0) {
      stream.resetCode = code;
      stream.resetByPeer = false;
    }
    const conn = this.conn;
    if (conn !== null && this.state === State.OPEN && !stream.closed) {
      conn.resetStream(stream.id, code);
      this.scheduleFlush();
    } else if (!stream.closed) {
      this.closeStream(stream, code, stream.handler.error ?? new StreamResetError(stream.id, code, false));
    }
  }

  // ---------------------------------------------------------------------------------------
  // Connection events
  // ---------------------------------------------------------------------------------------

  private handleEvents(events: ConnectionEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      switch (ev.type) {
        case 'headers': {
          const stream = this.streams.get(ev.streamId);
          if (stream === undefined) break;
          const handler = stream.handler;
          if (ev.kind === 'response') {
            setResponseHead(handler, ev.headers);
            this.callbacks.deliver(stream, HEADERS_ITEM);
          } else if (ev.kind === 'informational') {
            handler.informational.push([statusOf(ev.headers), ev.headers.filter((f) => f[0] !== ':status')]);
          } else if (ev.kind === 'trailers') {
            handler.trailers = ev.headers;
          }
          if (ev.endStream) {
            stream.done = true;
            this.callbacks.deliver(stream, DONE_ITEM);
          }
          break;
        }
        case 'data': {
          const stream = this.streams.get(ev.streamId);
          if (stream === undefined || stream.failed) {
            this.conn!.consume(ev.streamId, ev.data.length);
            break;
          }
          if (ev.data.length > 0) this.callbacks.deliver(stream, ev);
          if (ev.endStream) {
            stream.done = true;
            this.callbacks.deliver(stream, DONE_ITEM);
          }
          break;
        }
        case 'pushPromise':
          this.onPushPromise(ev);
          break;
        case 'streamReset': {
          const stream = this.streams.get(ev.streamId);
          if (stream !== undefined) {
            stream.resetCode = ev.errorCode;
            stream.resetByPeer = ev.byPeer;
            this.stopBody(stream);
          }
          break;
        }
        case 'streamClosed': {
          const stream = this.streams.get(ev.streamId);
          if (stream !== undefined && !stream.closed) this.closeStream(stream, ev.errorCode, this.errorFor(stream, ev.errorCode));
          break;
        }
        case 'writable': {
          const stream = this.streams.get(ev.streamId);
          if (stream !== undefined) this.pumpStream(stream);
          break;
        }
        case 'settings':
          this.settingsSeen = true;
          this.readyResolve?.();
          this.readyResolve = this.readyReject = null;
          this.startPending();
          break;
        case 'goaway':
          this.onGoaway(ev.lastStreamId, ev.errorCode, ev.debugData);
          break;
        case 'connectionError':
          this.failure ??= new ClientConnectionError(`connection error: ${ev.error.message}`, ev.error.code, ev.error.token, false, ev.error);
          break;
        case 'closed':
          // Written and ended by flush() (conn.isClosed).
          break;
        default:
          // settingsAck, ping
          break;
      }
    }
  }

  /** The error a stream closing with `code` before its response completed gets. */
  private errorFor(stream: ClientStream, code: number): H2Error | null {
    if (stream.done && !stream.failed) return null;
    if (stream.handler.error !== null) return stream.handler.error;
    if (code === ErrorCode.REFUSED_STREAM) {
      const aboveGoaway = this.goawayLastId >= 0 && stream.id > this.goawayLastId;
      return new RequestRefusedError(
        stream.id,
        aboveGoaway
          ? `stream ${stream.id} was not processed: the server sent GOAWAY with last stream id ${this.goawayLastId}`
          : `stream ${stream.id} was refused by the server (REFUSED_STREAM): not processed`,
        aboveGoaway ? 'goaway_not_processed' : 'stream_refused',
      );
    }
    if (this.failure !== null && stream.resetCode < 0) return this.failure;
    return new StreamResetError(stream.id, stream.resetCode >= 0 ? stream.resetCode : code, stream.resetCode >= 0 ? stream.resetByPeer : true);
  }

  private onGoaway(lastStreamId: number, errorCode: number, debugData: Buffer): void {
    this.goawayLastId = lastStreamId;
    this.goawayCode = errorCode;
    if (errorCode !== ErrorCode.NO_ERROR) {
      const debug = debugData.length > 0 ? ` (${debugData.toString('latin1').slice(0, 200)})` : '';
      this.failure ??= new ClientConnectionError(`the server ended the connection with GOAWAY ${errorCodeName(errorCode)}${debug}`, errorCode, 'goaway_error');
    }
    const notSent = new RequestRefusedError(0, `the server is going away (GOAWAY, last stream id ${lastStreamId}): the request was not sent`, 'goaway_not_sent');
    for (const stream of this.pending.splice(0)) this.failUnsent(stream, notSent);
  }

  private onPushPromise(ev: PushPromiseEvent): void {
    const parent = this.streams.get(ev.streamId);
    const push = pushPromiseOf(ev);
    let handler: BaseResponseHandler | null = null;
    if (parent !== undefined && !parent.failed) {
      try {
        handler = parent.handler.onPushPromise(push) ?? null;
      } catch (err) {
        this.callbackFailed(parent, err, 'onPushPromise');
      }
    }
    if (handler === null || !(handler instanceof BaseResponseHandler)) {
      this.conn!.resetStream(ev.promisedStreamId, ErrorCode.CANCEL);
      return;
    }
    handler.streamId = ev.promisedStreamId;
    handler.pushed = true;
    handler.method = push.method;
    handler.scheme = push.scheme;
    handler.authority = push.authority;
    handler.path = push.path;
    const stream = new ClientStream(this.pumpStream, handler, true, null, null, null, 0);
    stream.id = ev.promisedStreamId;
    handler.canceller = (code) => this.cancel(stream, code);
    this.streams.set(stream.id, stream);
  }

  // ---------------------------------------------------------------------------------------
  // Callbacks, in order per stream
  // ---------------------------------------------------------------------------------------

  /** The callback queue's view of this client: made once per client. */
  private callbackOwner(): CallbackQueueOwner<ClientStream, Item> {
    return {
      invoke: (stream, item) => this.invoke(stream, item),
      afterCallback: (stream, item) => this.afterItem(stream, item),
      callbackFailed: (stream, item, err) => this.itemFailed(stream, item, err),
      settled: () => this.scheduleFlush(),
      fault: (err) =>
        this.destroy(new ClientConnectionError(`unexpected error after a response callback settled: ${String(err)}`, ErrorCode.INTERNAL_ERROR, 'client_internal_error', false, err)),
    };
  }

  private invoke(stream: ClientStream, item: Item): unknown {
    const handler = stream.handler;
    if (item.type === 'close') return handler.onClose(item.errorCode);
    if (stream.failed) return undefined;
    switch (item.type) {
      case 'headers':
        return handler.onHeaders();
      case 'data':
        return handler.onData(item.data);
      case 'done':
        return handler.onResponseDone();
    }
  }

  private afterItem(stream: ClientStream, item: Item): void {
    if (item.type === 'data') {
      // Credit goes back once the handler is done with the bytes (after an async onData settles).
      if (this.state === State.OPEN) this.conn!.consume(item.streamId, item.data.length);
    } else if (item.type === 'close') {
      if (stream.id !== 0 && this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
      this.maybeFinishClose();
    }
  }

  private itemFailed(stream: ClientStream, item: Item, err: unknown): void {
    if (item.type === 'close') return; // the exchange is over; there is nothing left to reset
    const name = item.type === 'headers' ? 'onHeaders' : item.type === 'data' ? 'onData' : 'onResponseDone';
    this.callbackFailed(stream, err, name);
  }

  private callbackFailed(stream: ClientStream, err: unknown, name: string): void {
    if (stream.failed) return;
    stream.failed = true;
    if (stream.handler.error === null) {
      stream.handler.error = new ResponseHandlerError(stream.id, `stream ${stream.id} (${stream.handler.method} ${stream.handler.path}): ${name} failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    this.stopBody(stream);
    this.resetStream(stream, ErrorCode.CANCEL);
  }

  private closeStream(stream: ClientStream, errorCode: number, error: H2Error | null): void {
    stream.closed = true;
    if (error !== null && stream.handler.error === null) stream.handler.error = error;
    if (stream.timer !== null) clearTimeout(stream.timer);
    stream.timer = null;
    if (stream.signal !== null) {
      stream.signal.removeEventListener('abort', stream.onAbort!);
      stream.signal = null;
    }
    this.stopBody(stream);
    if (stream.id !== 0 && !stream.pushed && this.streams.get(stream.id) === stream) {
      this.openRequests--;
      this.startPending();
      this.scheduleFlush();
    }
    this.callbacks.deliver(stream, { type: 'close', errorCode });
  }

  private stopBody(stream: ClientStream): void {
    const source = stream.source;
    if (source === null) return;
    stream.source = null;
    this.pump.forget(stream);
    try {
      source.destroy();
    } catch {
      // A body that fails to clean up is not the response's problem.
    }
  }

  // ---------------------------------------------------------------------------------------
  // The request body pump
  // ---------------------------------------------------------------------------------------

  /** Pumps `stream`'s request body (on a `writable` event, or when its source wakes). */
  readonly pumpStream = (stream: ClientStream): void => {
    this.pump.pump(stream);
  };

  /** The pump's view of this client: made once per client. */
  private readonly pumpOwner: BodyPumpOwner<ClientStream> = {
    writeOutput: () => this.writeOutput(),
    scheduleFlush: () => this.scheduleFlush(),
    bodyFailed: (stream, err) => this.bodyFailed(stream, err),
    stopBody: (stream) => this.stopBody(stream),
  };

  /** The request body failed: the stream is reset (CANCEL) and the handler gets the cause. */
  private bodyFailed(stream: ClientStream, err: unknown): void {
    if (stream.handler.error === null) {
      const error = err instanceof H2Error ? err : new UsageError(`the request body failed: ${err instanceof Error ? err.message : String(err)}`, 'request_body_failed');
      stream.handler.error = error;
    }
    this.stopBody(stream);
    this.resetStream(stream, ErrorCode.CANCEL);
  }

  private pushCallback(options: PromiseRequestOptions): PushCallback | null {
    return options.onPush !== undefined ? options.onPush : (this.options.onPush ?? null);
  }
}

function statusOf(headers: HeaderList): number {
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === ':status') return Number(headers[i]![1]);
  return 0;
}

function setResponseHead(handler: BaseResponseHandler, fields: HeaderList): void {
  const headers: HeaderList = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f[0] === ':status') handler.status = Number(f[1]);
    else headers.push(f);
  }
  handler.headers = headers;
}

function pushPromiseOf(ev: PushPromiseEvent): PushPromise {
  let method = '';
  let scheme = '';
  let authority = '';
  let path = '';
  for (const [name, value] of ev.headers) {
    if (name === ':method') method = value;
    else if (name === ':scheme') scheme = value;
    else if (name === ':authority') authority = value;
    else if (name === ':path') path = value;
    else if (name === 'host' && authority === '') authority = value;
  }
  return { parentStreamId: ev.streamId, streamId: ev.promisedStreamId, method, scheme, authority, path, headers: ev.headers };
}

export type { ClientResponse, StreamingResponse, PushCallback, Readable };
