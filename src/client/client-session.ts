/**
 * ClientSession: the client's one HTTP/2 connection to one origin, as a per-stream dispatcher on
 * the same ConnectionDriver as the server's sessions (src/io/connection-driver.ts, which owns the
 * socket, the timer, the write policy and the request-body pump):
 *
 *   driver -> handleEvents() -> response handler callbacks (per stream, in order)
 *   send() -> a queued ClientStream -> a stream once the server's limits allow -> driver.scheduleFlush()
 *
 * Requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS wait in a queue and start as
 * streams close. HTTP2Client (client.ts) is the public face over it.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Connection } from '../connection/index.js';
import type { ConnectionEvent, PushPromiseEvent, Settings } from '../connection/index.js';
import { ErrorCode, H2Error, UsageError } from '../errors.js';
import { ConnectionDriver, type DriverDelegate } from '../io/connection-driver.js';
import type { FailpointName } from '../io/failpoints.js';
import { traceObserver } from '../io/trace-observer.js';
import { ClientExchanges } from './client-exchanges.js';
import { ClientStream, DONE_ITEM, HEADERS_ITEM } from './client-stream.js';
import { ClientConnectionError, ConnectError, RequestRefusedError, StreamResetError } from './errors.js';
import { BaseResponseHandler } from './response-handler.js';
import { closeErrorOf, connectionLostOf, goawayFailureOf } from './close-errors.js';
import { pushPromiseOf, setResponseHead, statusOf } from './response-head.js';
import { openTransport, type Target } from './transport.js';
import type { HTTP2ClientOptions } from './options.js';

function noop(): void {}

/** Client connection states. */
const State = { IDLE: 0, CONNECTING: 1, OPEN: 2, ENDED: 3 } as const;
type State = (typeof State)[keyof typeof State];

/** The session is itself the delegate its driver and callback queue call: those methods are for them. */
export class ClientSession extends ClientExchanges implements DriverDelegate<ClientStream> {
  /** Where the client connects. */
  readonly target: Target;
  private readonly options: HTTP2ClientOptions;
  private readonly enablePush: boolean;
  private state: State = State.IDLE;
  private settingsSeen = false;
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

  constructor(target: Target, options: HTTP2ClientOptions) {
    super();
    this.target = target;
    this.options = options;
    this.enablePush = options.enablePush ?? true;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /**
   * Opens the connection (requests do it on their own). Resolves once the server's SETTINGS
   * arrived; rejects with ConnectError (TCP, TLS, ALPN) or ClientConnectionError.
   */
  connect(): Promise<void> {
    if (this.connecting !== null) return this.connecting;
    if (this.closing || this.state === State.ENDED) {
      return Promise.reject(new ClientConnectionError('the client is closed', undefined, 'client_closed'));
    }
    this.state = State.CONNECTING;
    this.connecting = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.connecting.catch(noop);
    const create = this.options.createConnection ?? null;
    const opening =
      create !== null
        ? Promise.resolve()
            .then(() => create(this.target))
            .then((socket) => socket as Socket)
        : openTransport(this.target, {
            ca: this.options.ca,
            rejectUnauthorized: this.options.rejectUnauthorized,
            servername: this.options.servername,
            tls: this.options.tls,
            connectTimeout: this.options.connectTimeout ?? 10000,
          });
    opening.then(
      (socket) => this.onConnected(socket),
      (err: unknown) => this.onConnectFailed(err),
    );
    return this.connecting;
  }

  /**
   * Takes a request made by HTTP2Client.send(): it waits in the queue for a stream (and for the
   * connection, which this opens if it is not yet). Errors go to its handler, never as throws.
   */
  submit(stream: ClientStream, signal: AbortSignal | null | undefined): void {
    const h = stream.handler;
    if (this.closing || this.state === State.ENDED) {
      const why = this.closing
        ? new ClientConnectionError('the client is closed: no new requests', undefined, 'client_closed', true)
        : new ClientConnectionError(`the connection to ${this.target.authority} has ended; use a new HTTP2Client`, undefined, 'connection_ended', true, this.failure);
      this.failUnsent(stream, why, ErrorCode.NO_ERROR);
      return;
    }
    if (this.goawayLastId >= 0) {
      this.failUnsent(stream, new RequestRefusedError(0, 'the server is going away (GOAWAY received): the request was not sent', 'goaway_not_sent'), ErrorCode.REFUSED_STREAM);
      return;
    }
    h.canceller = (code) => this.cancel(stream, code);
    if (stream.timeout > 0) stream.timer = setTimeout(() => this.onRequestTimeout(stream), stream.timeout);
    if (signal !== undefined && signal !== null) {
      if (signal.aborted) {
        this.failUnsent(stream, new StreamResetError(0, ErrorCode.CANCEL, false), ErrorCode.CANCEL);
        return;
      }
      stream.signal = signal;
      stream.onAbort = () => this.cancel(stream, ErrorCode.CANCEL);
      signal.addEventListener('abort', stream.onAbort, { once: true });
    }
    this.pending.push(stream);
    if (this.state === State.IDLE) void this.connect();
    else if (this.state === State.OPEN) {
      this.startPending();
      this.driver!.scheduleFlush();
    }
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
          if (this.state !== State.ENDED) this.destroy(new ClientConnectionError(`close() gave up after ${this.options.closeTimeout ?? 30000} ms`, undefined, 'close_timeout'));
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
      this.failure = error instanceof ClientConnectionError ? error : new ClientConnectionError(error?.message ?? 'the client was destroyed', error?.code, error?.token ?? 'client_destroyed', false, error);
    }
    const driver = this.driver;
    if (driver !== null && !driver.connection.isClosed) {
      driver.connection.goaway(ErrorCode.CANCEL);
      driver.writeOutput();
    }
    if (driver !== null) driver.destroy();
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

  // ---------------------------------------------------------------------------------------
  // Connecting and the socket
  // ---------------------------------------------------------------------------------------

  private onConnected(socket: Socket): void {
    if (this.state === State.ENDED) {
      socket.destroy();
      return;
    }
    this.state = State.OPEN;
    const settings: Partial<Settings> = { enablePush: this.enablePush, ...this.options.connection?.settings };
    const conn = new Connection({ ...this.options.connection, settings, role: 'client', now: performance.now() });
    this.driver = new ConnectionDriver<ClientStream>(socket, conn, this, {
      socketHighWaterMark: Math.max(16384, this.options.socketHighWaterMark ?? 262144),
      wholeWindowForKnownLength: false,
      onBytes: traceObserver(this.options.onFrame ?? null, this.options.onBytes ?? null, 'send'),
      unrefTimer: true,
    });
    this.startPending();
    this.driver.flush();
    if (this.closing) this.maybeFinishClose();
  }

  private onConnectFailed(err: unknown): void {
    const error = err instanceof ClientConnectionError ? err : new ConnectError(`cannot connect: ${String(err)}`, 'connect_failed', err);
    this.failure = error;
    this.readyReject?.(error);
    this.readyResolve = this.readyReject = null;
    this.end();
  }

  // ---- the driver's delegate ----

  /** @internal An exception h2kit did not expect: every request not complete fails with it. */
  reportFault(err: unknown, where: FailpointName): void {
    this.failure ??= new ClientConnectionError(`unexpected error (${where}): ${String(err)}`, undefined, 'client_internal_error', false, err);
  }

  /** @internal */
  mayEnd(): boolean {
    // After close(): nothing queued or in flight and our GOAWAY sent (the core itself ends once its own streams are gone).
    return this.closing && this.pending.length === 0 && this.streams.size === 0 && this.conn!.isGoingAway;
  }

  /** @internal Node ends our side too (allowHalfOpen is off); the 'close' that follows ends the client. */
  peerEnded(): void {}

  /** @internal */
  socketError(err: NodeJS.ErrnoException): void {
    this.failure ??= new ClientConnectionError(`the connection to ${this.target.authority} failed: ${err.message}`, undefined, 'connection_lost', false, err);
  }

  /** @internal The client sets no socket timeout (requests have their own). */
  socketTimeout(): void {}

  /** @internal */
  socketClosed(): void {
    this.end();
  }

  /** The connection is over: everything not complete fails, timers stop, `close()` resolves. */
  private end(): void {
    if (this.state === State.ENDED) return;
    this.state = State.ENDED;
    const lost = this.failure ?? connectionLostOf(this.goawayLastId >= 0 ? this.goawayCode : -1, this.target.authority);
    for (const stream of [...this.streams.values()]) {
      if (!stream.closed) this.closeStream(stream, ErrorCode.CANCEL, lost);
    }
    // A protocol error only if what ended the connection was one (its code, then); onClose gets CANCEL as the streams above.
    const unsent = new ClientConnectionError(`the connection ended before the request was sent: ${lost.message}`, lost.code, 'connection_closed_before_send', true, lost);
    for (const stream of this.pending.splice(0)) this.failUnsent(stream, this.failure instanceof ConnectError ? this.failure : unsent, ErrorCode.CANCEL);
    this.readyReject?.(lost);
    this.readyResolve = this.readyReject = null;
    this.driver?.destroy();
    this.resolveClosed();
  }

  /** After close(): once nothing is queued or in flight, GOAWAY(NO_ERROR) and end. */
  protected maybeFinishClose(): void {
    if (!this.closing || this.state !== State.OPEN || this.pending.length > 0 || this.streams.size > 0) return;
    const conn = this.conn!;
    if (!conn.isClosed) conn.goaway(ErrorCode.NO_ERROR);
    this.driver!.scheduleFlush();
  }

  // ---------------------------------------------------------------------------------------
  // Starting requests
  // ---------------------------------------------------------------------------------------

  /** Starts queued requests while the server's concurrency limit allows. */
  protected startPending(): void {
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
    const endStream = stream.body === null && stream.trailers === null;
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
      this.failUnsent(stream, err instanceof H2Error ? err : new UsageError(`the request could not be sent: ${String(err)}`, 'client_request_failed'), ErrorCode.INTERNAL_ERROR);
      return;
    }
    stream.id = id;
    stream.handler.streamId = id;
    this.streams.set(id, stream);
    this.openRequests++;
    const body = stream.body;
    if (body !== null) {
      const driver = this.driver!;
      body.source.onWake = () => driver.wake(stream);
      driver.pumpBody(stream);
    } else if (stream.trailers !== null) {
      conn.sendHeaders(id, stream.trailers, true);
      stream.trailers = null;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Connection events
  // ---------------------------------------------------------------------------------------

  /** @internal */
  handleEvents(events: ConnectionEvent[]): void {
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
          if (stream !== undefined) this.driver!.pumpBody(stream);
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
          // The core ignores input once it has failed: close as soon as our GOAWAY is out.
          this.driver!.markCutOff();
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
    return closeErrorOf(stream, code, this.goawayLastId, this.failure);
  }

  private onGoaway(lastStreamId: number, errorCode: number, debugData: Buffer): void {
    this.goawayLastId = lastStreamId;
    this.goawayCode = errorCode;
    if (errorCode !== ErrorCode.NO_ERROR) this.failure ??= goawayFailureOf(errorCode, debugData);
    const notSent = new RequestRefusedError(0, `the server is going away (GOAWAY, last stream id ${lastStreamId}): the request was not sent`, 'goaway_not_sent');
    for (const stream of this.pending.splice(0)) this.failUnsent(stream, notSent, ErrorCode.REFUSED_STREAM);
  }

  private onPushPromise(ev: PushPromiseEvent): void {
    const parent = this.streams.get(ev.streamId);
    const push = pushPromiseOf(ev);
    let handler: BaseResponseHandler | null = null;
    if (parent !== undefined && !parent.failed) {
      try {
        handler = parent.handler.onPushPromise(push) ?? null;
      } catch (err) {
        this.failStream(parent, err, 'onPushPromise');
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
    const stream = new ClientStream(handler, true, null, null, null, 0);
    stream.id = ev.promisedStreamId;
    handler.canceller = (code) => this.cancel(stream, code);
    this.streams.set(stream.id, stream);
  }

  protected get isOpen(): boolean {
    return this.state === State.OPEN;
  }

  /** @internal For the callback queue: its own work after a promise settled threw. */
  fault(err: unknown): void {
    if (this.driver !== null) this.driver.fault(err, 'session-settled');
    else this.destroy(new ClientConnectionError(`unexpected error after a response callback settled: ${String(err)}`, undefined, 'client_internal_error', false, err));
  }
}
