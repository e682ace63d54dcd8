/**
 * ServerSession: one HTTP/2 connection on the server. It is the glue between a socket and the
 * sans-I/O Connection, and between the Connection's events and the user's handlers:
 *
 *   socket 'data' -> connection.receive() -> events -> handler callbacks (per stream, in order)
 *   handler commands -> connection -> takeOutput() -> socket.write (corked: one writev a burst)
 *   nextDeadline() -> one timer -> tick()
 *
 * Callbacks go through the per-stream callback queue (an async callback holds back the ones
 * after it and, for onData, the flow-control credit) and response bodies through the body pump,
 * both shared with the client (src/io/callback-queue.ts, src/io/body-pump.ts).
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Connection } from '../connection/index.js';
import { StreamState } from '../connection/index.js';
import { StreamTable } from '../connection/stream-table.js';
import type { ConnectionEvent, ConnectionOptions, DataEvent, HeaderList, HeadersEvent } from '../connection/index.js';
import { ErrorCode, UsageError } from '../errors.js';
import type { AccessLogEntry } from './access-log.js';
import { BufferBodySource, bodySourceOf, type BodySource } from '../io/body-source.js';
import { BodyPump, type BodyPumpOwner } from '../io/body-pump.js';
import { CallbackQueue, type CallbackQueueOwner, isThenable } from '../io/callback-queue.js';
import { failpoint, type FailpointName } from '../io/failpoints.js';
import type { LogLimiter } from '../io/log-limiter.js';
import { HandlerError, PushRefusedError } from './errors.js';
import { latenessOf, StreamTiming, type Lateness, type MinDataRate } from './data-rate.js';
import { appendHeaders } from '../io/header-input.js';
import type { BaseRequestHandler, PushOptions, RequestHandlerClass, ResponseOptions } from './request-handler.js';

/** Where errors of handlers and body sources are reported (console by default). */
export interface ServerLogger {
  error(message: string, ...details: unknown[]): void;
}

/** What a session needs from its server. */
export interface SessionContext {
  handlerClass: RequestHandlerClass;
  logger: ServerLogger;
  /** The same logger behind a per-kind rate limit, for lines a client can trigger. */
  log: LogLimiter;
  /** An exception h2kit did not expect ended a connection: count it and log it. */
  unexpectedError(err: unknown, where: FailpointName, client: readonly [string, number]): void;
  accessLog: ((entry: AccessLogEntry) => void) | null;
  connectionOptions: Omit<ConnectionOptions, 'role' | 'now'>;
  /** Stop pulling bodies while the socket holds this many unsent bytes. */
  socketHighWaterMark: number;
  /** Close an idle connection (no streams) after this many ms; 0: never. */
  idleTimeout: number;
  /** Called once when the session's socket has closed. */
  sessionClosed(session: ServerSession): void;
  /** Whole-request deadline, ms (0: none), and the data-rate floors (null: none). */
  requestTimeout: number;
  minRequestDataRate: MinDataRate | null;
  minResponseDataRate: MinDataRate | null;
  /** Streams ended by those, over all sessions (for server.stats). */
  counters: StreamTimeoutCounters;
  /** Connections we ended with GOAWAY for an error, by the error's token (for server.stats). */
  connectionErrors: Map<string, number>;
}

export interface StreamTimeoutCounters {
  /** Requests not received whole within requestTimeout. */
  requestTimeouts: number;
  /** Request bodies sent slower than minRequestDataRate. */
  slowRequests: number;
  /** Responses read slower than minResponseDataRate. */
  slowResponses: number;
}

/** A queued callback: the connection's own events for headers and data, and two of ours. */
type CallbackItem =
  | HeadersEvent
  | DataEvent
  | { type: 'upgradeBody'; data: Buffer }
  | { type: 'requestDone' }
  | { type: 'close'; errorCode: number };

/**
 * After our GOAWAY for an error has been handed to the kernel, the peer gets this long to read
 * it before the socket closes (closing at once could turn it into a reset that loses the GOAWAY).
 */
const CUT_OFF_LINGER_MS = 50;
/** And a peer that does not even read its GOAWAY is dropped this long after it was cut off. */
const CUT_OFF_MAX_MS = 1000;
/** Octets still read (and dropped) after being cut off, before reading stops. */
const CUT_OFF_DISCARD_MAX = 65536;

const REQUEST_DONE: CallbackItem = { type: 'requestDone' };
/** The close item of almost every stream (items are read, never written, so one serves all). */
const CLOSE_NO_ERROR: CallbackItem = { type: 'close', errorCode: ErrorCode.NO_ERROR };

/** The server's state of one stream. Fields are declared up front so all streams share one shape. */
class ServerStream {
  readonly id: number;
  readonly pushed: boolean;
  handler: BaseRequestHandler | null = null;
  /** A callback returned a promise that has not settled yet: later items wait in `queue`. */
  busy = false;
  /** A callback of this stream is on the call stack: items it causes (e.g. via shutdown()) wait in `queue`. */
  running = false;
  /** Items waiting behind a pending callback; an array only once needed. */
  queue: CallbackItem[] | null = null;
  /** A callback or the body failed: no more callbacks except onClose. */
  failed = false;
  /** The connection closed the stream (or the socket went away). */
  closed = false;
  closeCode = 0;
  responded = false;
  status = 0;
  source: BodySource | null = null;
  trailers: HeaderList | null = null;
  bytesSent = 0;
  /** content-length of the response, -1 when none: checked against the body sent. */
  expectedLength = -1;
  waitingForDrain = false;
  pumping = false;
  pumpAgain = false;
  /** Made only for streaming bodies (a Buffer or string body never needs waking). */
  wake: (() => void) | null = null;
  /** The request has ended (END_STREAM received). */
  requestEnded = false;
  /** Request body octets received. */
  bytesReceived = 0;
  /** Made by the heartbeat for a stream that outlives a beat. */
  timing: StreamTiming | null = null;

  constructor(id: number, pushed: boolean) {
    this.id = id;
    this.pushed = pushed;
  }
}

function uncork(session: ServerSession): void {
  try {
    session.uncork();
  } catch (err) {
    session.fault(err, 'session-flush');
  }
}

/**
 * The session is itself the owner its callback queue and body pump call (`invoke`, `settled`,
 * `writeOutput`, ...): prototype methods rather than an owner object of closures, which cost
 * ~0.5 KiB on every connection. Those methods are for them, not for handlers.
 */
export class ServerSession implements CallbackQueueOwner<ServerStream, CallbackItem>, BodyPumpOwner<ServerStream> {
  readonly socket: Socket;
  readonly connection: Connection;
  /** `[host, port]` of the client. */
  readonly clientAddress: [string, number];
  /** `https` over TLS, `http` for h2c. */
  readonly scheme: 'http' | 'https';
  private readonly ctx: SessionContext;
  private readonly streams = new StreamTable<ServerStream>();
  private readonly pump: BodyPump<ServerStream>;
  /** Items caused by a running callback (shutdown() from onData, say) wait until it returns. */
  private readonly callbacks = new CallbackQueue<ServerStream, CallbackItem>(this, true);
  private corked = false;
  private flushScheduled = false;
  /** Handling the events of one socket read or timer tick: a flush follows, none need scheduling. */
  private inBurst = false;
  private timer: NodeJS.Timeout | null = null;
  private deadline = Infinity;
  /** GOAWAY was sent or received: no new streams; the socket ends when the last one closes. */
  private goingAway = false;
  private shutdownStarted = false;
  private ended = false;
  private torndown = false;
  /** An unexpected exception ended the connection (it is reported once). */
  private faulted = false;
  /** The connection ended with our GOAWAY for an error: the socket is closed quickly, mostly unread. */
  private cutOff = false;
  /** Octets read and dropped since then. */
  private discarded = 0;
  private upgradeBody: Buffer | null = null;
  /**
   * Idleness is judged by streams, not socket bytes, so PINGs or other control frames cannot
   * keep an unused connection open (as Go's IdleTimeout). The timer is armed when the session
   * has no stream and is not cleared when one opens: when it fires it looks at `idleSince` and
   * the streams, so a busy connection costs no timer call per request.
   */
  private idleTimer: NodeJS.Timeout | null = null;
  /** When the session last had no stream (performance.now()). */
  private idleSince = performance.now();

  constructor(ctx: SessionContext, socket: Socket, scheme: 'http' | 'https') {
    this.ctx = ctx;
    this.socket = socket;
    this.scheme = scheme;
    this.clientAddress = [socket.remoteAddress ?? '', socket.remotePort ?? 0];
    const connectionOptions = { ...ctx.connectionOptions, role: 'server' as const, now: performance.now() };
    // A response the client's flow control holds back for a whole idle period is released (reset
    // CANCEL by the core), whatever else the client sends; then the idle timer closes the connection.
    if (connectionOptions.maxSendStallMs === undefined && ctx.idleTimeout > 0) connectionOptions.maxSendStallMs = ctx.idleTimeout;
    this.connection = new Connection(connectionOptions);
    this.pump = new BodyPump<ServerStream>(this, { socketHighWaterMark: ctx.socketHighWaterMark, wholeWindowForKnownLength: true });
    this.pump.start(this.connection, socket);
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('drain', this.onDrain);
    socket.on('close', this.onSocketClose);
    socket.on('error', this.onSocketError);
    socket.on('timeout', this.onSocketTimeout);
    socket.setTimeout(ctx.idleTimeout);
    this.armIdleTimer();
  }

  /** Counters for monitoring and leak checks. */
  get stats(): { streams: number; drainWaiters: number; timerArmed: boolean; idleTimerArmed: boolean } {
    return { streams: this.streams.size, drainWaiters: this.pump.drainWaiters.size, timerArmed: this.timer !== null, idleTimerArmed: this.idleTimer !== null };
  }

  private addStream(stream: ServerStream): void {
    this.streams.set(stream.id, stream);
  }

  private removeStream(stream: ServerStream): void {
    this.streams.delete(stream.id);
    this.pump.forget(stream);
    if (this.streams.size === 0) {
      this.idleSince = performance.now();
      this.armIdleTimer();
    }
  }

  /** Arms the idle timer to fire in `delay` ms, unless it is already armed (it re-checks when it fires). */
  private armIdleTimer(delay = this.ctx.idleTimeout): void {
    if (this.ctx.idleTimeout <= 0 || this.torndown || this.idleTimer !== null) return;
    this.idleTimer = setTimeout(this.onIdle, delay);
    this.idleTimer.unref();
  }

  private readonly onIdle = (): void => {
    this.idleTimer = null;
    try {
      failpoint('session-idle-timer');
      // Streams open: removeStream arms the timer again when the last one closes.
      if (this.streams.size > 0 || this.torndown) return;
      // Streams came and went since the timer was armed: wait out the rest from the last one.
      const left = this.idleSince + this.ctx.idleTimeout - performance.now();
      if (left >= 1) {
        this.armIdleTimer(Math.ceil(left));
        return;
      }
      this.shutdown();
      // A client that does not close its side after our GOAWAY is dropped.
      setTimeout(this.destroySocket, 1000).unref();
    } catch (err) {
      this.fault(err, 'session-idle-timer');
    }
  };

  private readonly destroySocket = (): void => {
    this.socket.destroy();
  };

  /**
   * An exception h2kit did not expect (a bug, or a fault in a dependency) on this connection's
   * path: the connection ends, the server counts and logs it once; the process goes on.
   */
  fault(err: unknown, where: FailpointName = 'session-settled'): void {
    if (this.faulted) return;
    this.faulted = true;
    try {
      this.ctx.unexpectedError(err, where, this.clientAddress);
    } finally {
      this.socket.destroy();
    }
  }

  /**
   * Starts HTTP/2 after an HTTP/1.1 `Upgrade: h2c` (the 101 is already written): stream 1 is
   * the upgraded request, `body` its already-read body.
   */
  acceptUpgrade(settingsPayload: Buffer, requestHeaders: HeaderList, body: Buffer): void {
    if (body.length > 0) this.upgradeBody = body;
    this.connection.acceptUpgrade(settingsPayload, requestHeaders);
    this.flush();
  }

  /** Feeds bytes that were read before the session took over the socket (sniffed preface). */
  start(initial: Buffer): void {
    if (initial.length > 0) this.onSocketData(initial);
    else this.flush();
  }

  /** Graceful shutdown: GOAWAY(NO_ERROR), streams in flight finish, then the socket closes. */
  shutdown(): void {
    if (this.shutdownStarted || this.torndown) return;
    this.shutdownStarted = true;
    this.goingAway = true;
    this.connection.goaway(ErrorCode.NO_ERROR);
    this.flush();
    this.endIfDone();
  }

  /** Ends the connection at once (after a graceful shutdown took too long). */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- socket side ----

  // Every listener below is the event loop calling into this connection: each catches what it
  // did not expect and ends the connection (fault), so no exception reaches the process.

  private readonly onSocketData = (chunk: Buffer): void => {
    try {
      failpoint('session-data');
      if (this.ended) {
        // Cut off: what the peer had already sent is drained (a peer that stopped sending then
        // gets our GOAWAY and a clean close, not a reset that can destroy it); a peer that keeps
        // flooding is no longer read (the socket closes shortly anyway).
        if (this.cutOff && (this.discarded += chunk.length) > CUT_OFF_DISCARD_MAX) this.socket.pause();
        return;
      }
      this.handleBurst(this.connection.receive(chunk, performance.now()));
    } catch (err) {
      this.fault(err, 'session-data');
    }
  };

  /** The client closed its side: nothing more will be read; Node ends ours once our output is written. */
  private readonly onSocketEnd = (): void => {
    try {
      failpoint('session-end');
      this.goingAway = true;
    } catch (err) {
      this.fault(err, 'session-end');
    }
  };

  private readonly onDrain = (): void => {
    try {
      failpoint('session-drain');
      if (this.pump.resumeDrained()) this.flush(true);
    } catch (err) {
      this.fault(err, 'session-drain');
    }
  };

  private readonly onSocketError = (err: NodeJS.ErrnoException): void => {
    try {
      failpoint('session-error');
      // Resets and broken pipes are how clients leave; anything else is worth a line.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_WRITE_AFTER_END') {
        this.ctx.log.error('socket', `h2kit: connection from ${this.clientAddress.join(':')} failed:`, err);
      }
    } catch (unexpected) {
      this.fault(unexpected, 'session-error');
    }
  };

  private readonly onSocketTimeout = (): void => {
    try {
      failpoint('session-timeout');
      // No bytes either way for a whole idle period (the stream-based idle timer handles no streams).
      if (this.streams.size > 0 && (this.socket.writableLength > 0 || this.hasStalledResponse())) {
        // Streams are open but for a whole idle period the client has read nothing (TCP), or has
        // kept its flow-control window shut on a response we have data for (zero-window hoarding).
        this.socket.destroy();
      }
    } catch (err) {
      this.fault(err, 'session-timeout');
    }
  };

  /** Whether some response has data waiting for a window the client does not open. */
  private hasStalledResponse(): boolean {
    for (const stream of this.streams.values()) {
      if (stream.closed || stream.source === null) continue;
      if (this.connection.queuedBytes(stream.id) > 0 || this.connection.sendWindow(stream.id) <= 0) return true;
    }
    return false;
  }

  private readonly onSocketClose = (): void => {
    try {
      failpoint('session-close');
      this.teardown();
    } catch (err) {
      this.fault(err, 'session-close');
    } finally {
      // However teardown ended, the server must forget this session.
      this.forgotten();
    }
  };

  private readonly onTimer = (): void => {
    this.timer = null;
    this.deadline = Infinity;
    try {
      failpoint('session-timer');
      this.handleBurst(this.connection.tick(performance.now()));
    } catch (err) {
      this.fault(err, 'session-timer');
    }
  };

  /** The events of one socket read or timer tick, then one flush that writes at once. */
  private handleBurst(events: ConnectionEvent[]): void {
    this.inBurst = true;
    try {
      this.handleEvents(events);
    } finally {
      this.inBurst = false;
    }
    this.flush(true);
  }

  /** The socket is gone: every stream still open is closed (CANCEL) for its handler. */
  private teardown(): void {
    if (this.torndown) return;
    this.torndown = true;
    this.ended = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.pump.stop();
    for (const stream of [...this.streams.values()]) {
      if (!stream.closed) this.closeStream(stream, ErrorCode.CANCEL);
    }
    this.forgotten();
  }

  private sessionClosedCalled = false;

  /** Tells the server (once) that this session is gone. */
  private forgotten(): void {
    if (this.sessionClosedCalled) return;
    this.sessionClosedCalled = true;
    this.ctx.sessionClosed(this);
  }

  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /**
   * @internal For the body pump (and the session itself). Writes what the connection has
   * gathered. `last`: nothing more will be written in this tick (the end of a socket or timer
   * event), so the bytes go out now, in one write; otherwise the socket stays corked until the
   * next tick, so that the flushes of several callbacks and promise settlements in one tick
   * leave in one writev.
   */
  writeOutput(last = false): void {
    this.pump.unwritten = 0;
    const output = this.connection.takeOutput();
    if (output.length === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    if (last && !this.corked) {
      if (output.length === 1) {
        this.socket.write(output[0]!);
        return;
      }
      this.socket.cork();
      for (let i = 0; i < output.length; i++) this.socket.write(output[i]!);
      this.socket.uncork();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    for (let i = 0; i < output.length; i++) this.socket.write(output[i]!);
  }

  /** Processes events caused by commands, writes the output (now, when `last`), re-arms the timer. */
  private flush(last = false): void {
    for (let guard = 0; guard < 64; guard++) {
      const events = this.connection.takeEvents();
      if (events.length === 0) break;
      this.handleEvents(events);
    }
    this.writeOutput(last);
    if (!this.torndown) this.armTimer();
    this.endIfDone();
  }

  /** @internal For the body pump (and the session itself): flushes once after the current synchronous work. */
  scheduleFlush(): void {
    // Within a socket or timer event the flush at its end covers it.
    if (this.flushScheduled || this.inBurst) return;
    this.flushScheduled = true;
    queueMicrotask(this.scheduledFlush);
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    try {
      failpoint('session-flush');
      if (!this.torndown) this.flush();
    } catch (err) {
      this.fault(err, 'session-flush');
    }
  };

  private armTimer(): void {
    const deadline = this.connection.nextDeadline();
    if (deadline === this.deadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.deadline = deadline;
    if (deadline !== Infinity) this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(deadline - performance.now())));
  }

  private endIfDone(): void {
    if (this.ended) return;
    if (this.connection.isClosed || (this.goingAway && this.streams.size === 0 && this.connection.activeStreams === 0)) {
      this.ended = true;
      this.writeOutput();
      if (this.cutOff) {
        // We ended the connection for an error (a flood, a protocol violation): read little more
        // (a flooder would otherwise keep us reading and discarding at full speed: see
        // onSocketData), let the GOAWAY reach the kernel, give the peer a moment to read it, close.
        this.socket.end(this.lingerThenDestroy);
        setTimeout(this.destroySocket, CUT_OFF_MAX_MS).unref();
        return;
      }
      this.socket.end();
      setTimeout(this.destroySocket, 2000).unref();
    }
  }

  /** Our GOAWAY for an error is written: the socket closes CUT_OFF_LINGER_MS later. */
  private readonly lingerThenDestroy = (): void => {
    setTimeout(this.destroySocket, CUT_OFF_LINGER_MS).unref();
  };

  // ---- the heartbeat: request deadline and data-rate floors ----

  /**
   * Called by the server about once a second (Kestrel's heartbeat): ends the streams whose
   * request is late or whose client sends or reads below the floors. Costs nothing for a
   * session without streams, and nothing per request for the many that end between beats.
   */
  heartbeat(now: number): void {
    if (this.streams.size === 0 || this.torndown) return;
    try {
      failpoint('session-heartbeat');
      let late: Array<[ServerStream, Lateness]> | null = null;
      for (const stream of this.streams.values()) {
        if (stream.closed || stream.handler === null) continue;
        const why = latenessOf(stream, (stream.timing ??= new StreamTiming(now)), this.connection, this.ctx, now);
        if (why !== null) (late ??= []).push([stream, why]);
      }
      if (late === null) return;
      for (const [stream, why] of late) this.endLateStream(stream, why);
      this.flush(true);
    } catch (err) {
      this.fault(err, 'session-heartbeat');
    }
  }

  /**
   * A late request that has no response yet is answered 408 and the client told to stop sending
   * (RST_STREAM NO_ERROR, RFC 9113 section 8.1); any other late stream is reset (CANCEL).
   */
  private endLateStream(stream: ServerStream, why: Lateness): void {
    const counters = this.ctx.counters;
    if (why === 'request_timeout') counters.requestTimeouts++;
    else if (why === 'request_too_slow') counters.slowRequests++;
    else counters.slowResponses++;
    if (why !== 'response_too_slow' && !stream.responded) {
      const body = why === 'request_timeout' ? 'Request Timeout: the request did not arrive in time\n' : 'Request Timeout: the request body came too slowly\n';
      this.sendResponse(stream.id, { status: 408, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });
      this.connection.resetStream(stream.id, ErrorCode.NO_ERROR);
      return;
    }
    this.stopBody(stream);
    this.connection.resetStream(stream.id, ErrorCode.CANCEL);
  }

  // ---- connection events ----

  private handleEvents(events: ConnectionEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      switch (ev.type) {
        case 'headers':
          this.onHeadersEvent(ev);
          break;
        case 'data': {
          const stream = this.streams.get(ev.streamId);
          if (stream === undefined || stream.failed) {
            this.connection.consume(ev.streamId, ev.data.length);
            break;
          }
          stream.bytesReceived += ev.data.length;
          if (ev.data.length > 0) this.callbacks.deliver(stream, ev);
          else this.connection.consume(ev.streamId, 0);
          if (ev.endStream) {
            stream.requestEnded = true;
            this.callbacks.deliver(stream, REQUEST_DONE);
          }
          break;
        }
        case 'streamReset': {
          const stream = this.streams.get(ev.streamId);
          if (stream !== undefined) this.stopBody(stream);
          break;
        }
        case 'streamClosed': {
          const stream = this.streams.get(ev.streamId);
          if (stream !== undefined && !stream.closed) this.closeStream(stream, ev.errorCode);
          break;
        }
        case 'writable': {
          const stream = this.streams.get(ev.streamId);
          if (stream !== undefined) this.pumpStream(stream);
          break;
        }
        case 'goaway':
          this.goingAway = true;
          break;
        case 'connectionError':
          this.cutOff = true;
          this.ctx.connectionErrors.set(ev.error.token, (this.ctx.connectionErrors.get(ev.error.token) ?? 0) + 1);
          break;
        case 'closed':
          this.endIfDone();
          break;
        default:
          // settings, settingsAck, ping, pushPromise (client role), connectionError (GOAWAY already queued)
          break;
      }
    }
  }

  private onHeadersEvent(ev: HeadersEvent): void {
    if (ev.kind === 'trailers') {
      const stream = this.streams.get(ev.streamId);
      if (stream === undefined) return;
      if (stream.handler !== null) stream.handler.trailers = ev.headers;
      stream.requestEnded = true;
      this.callbacks.deliver(stream, REQUEST_DONE);
      return;
    }
    if (ev.kind !== 'request') return;
    // Reset in the same read as its HEADERS (Rapid Reset's pattern): the client no longer wants
    // an answer, so no handler is built and no application work is done for it.
    if (this.connection.streamState(ev.streamId) === StreamState.CLOSED) return;
    const stream = new ServerStream(ev.streamId, false);
    stream.requestEnded = ev.endStream;
    this.addStream(stream);
    let handler: BaseRequestHandler;
    try {
      handler = new this.ctx.handlerClass(this, ev.streamId);
    } catch (err) {
      this.failStream(stream, err, 'the handler constructor');
      return;
    }
    stream.handler = handler;
    setRequestAttributes(handler, ev.headers);
    this.callbacks.deliver(stream, ev);
    const upgradeBody = ev.streamId === 1 ? this.upgradeBody : null;
    if (upgradeBody !== null) {
      this.upgradeBody = null;
      this.callbacks.deliver(stream, { type: 'upgradeBody', data: upgradeBody });
    }
    if (ev.endStream) this.callbacks.deliver(stream, REQUEST_DONE);
  }

  // ---- callbacks, in order per stream ----

  /** @internal For the callback queue: a pending callback settled and the items behind it ran. */
  settled(): void {
    try {
      failpoint('session-settled');
      if (!this.torndown) this.flush();
    } catch (err) {
      // Called from a promise reaction: an exception here would be an unhandled rejection.
      this.fault(err, 'session-settled');
    }
  }

  /** @internal For the callback queue: calls the handler's callback for `item`. */
  invoke(stream: ServerStream, item: CallbackItem): unknown {
    const handler = stream.handler;
    if (handler === null) return undefined;
    if (item.type === 'close') return handler.onClose(item.errorCode);
    if (stream.failed) return undefined;
    switch (item.type) {
      case 'headers':
        return handler.onHeaders();
      case 'data':
      case 'upgradeBody':
        return handler.onData(item.data);
      case 'requestDone':
        return handler.onRequestDone();
    }
  }

  /** @internal For the callback queue. */
  afterCallback(stream: ServerStream, item: CallbackItem): void {
    if (item.type === 'data') {
      // The credit goes back once the application is done with the bytes (after an async onData settles).
      if (!this.torndown) this.connection.consume(item.streamId, item.data.length);
    } else if (item.type === 'close') {
      this.removeStream(stream);
    }
  }

  /** @internal For the callback queue. */
  callbackFailed(stream: ServerStream, item: CallbackItem, err: unknown): void {
    const name =
      item.type === 'headers' ? 'onHeaders' : item.type === 'requestDone' ? 'onRequestDone' : item.type === 'close' ? 'onClose' : 'onData';
    if (item.type === 'close') {
      this.ctx.log.error('handler', `h2kit: ${this.describe(stream)}: onClose threw`, err);
      return;
    }
    this.failStream(stream, err, name);
  }

  /** A callback or the body failed: log it and reset only this stream (INTERNAL_ERROR). */
  private failStream(stream: ServerStream, err: unknown, what: string): void {
    if (stream.failed) return;
    stream.failed = true;
    const error = new HandlerError(stream.id, `${this.describe(stream)}: ${what} failed; the stream is reset with INTERNAL_ERROR`, err);
    this.ctx.log.error('handler', error.message, err);
    this.stopBody(stream);
    // The client can send the request that makes the handler fail again and again: the reset
    // counts against its reset limit (MadeYouReset class), and the log line is rate-limited.
    if (!stream.closed && !this.torndown) this.connection.resetStream(stream.id, ErrorCode.INTERNAL_ERROR, true);
    this.scheduleFlush();
    // A stream whose handler could not even be built gets no onClose; forget it when the connection closes it.
  }

  private describe(stream: ServerStream): string {
    const h = stream.handler;
    return h === null ? `stream ${stream.id}` : `stream ${stream.id} (${h.method} ${h.path})`;
  }

  private closeStream(stream: ServerStream, errorCode: number): void {
    stream.closed = true;
    stream.closeCode = errorCode;
    this.stopBody(stream);
    if (stream.responded && this.ctx.accessLog !== null && stream.handler !== null) {
      const h = stream.handler;
      try {
        this.ctx.accessLog({
          clientAddress: this.clientAddress,
          time: Date.now(),
          method: h.method,
          path: h.path,
          status: stream.status,
          bytes: stream.bytesSent,
          streamId: stream.id,
          pushed: stream.pushed,
          errorCode,
        });
      } catch (err) {
        this.ctx.log.error('handler', 'h2kit: the access log failed:', err);
      }
    }
    if (stream.handler === null) {
      this.removeStream(stream);
      return;
    }
    if (stream.busy) {
      // A callback is still pending (say onData awaiting a backend that may never answer): onClose
      // must not wait behind it, or the handler could never cancel that call. Items not started are
      // dropped (their credit returned); onClose runs now, once; the pending one settles unheard.
      const queue = stream.queue;
      stream.queue = null;
      if (queue !== null && !this.torndown) {
        for (const item of queue) if (item.type === 'data') this.connection.consume(item.streamId, item.data.length);
      }
      this.runClose(stream, errorCode);
      return;
    }
    this.callbacks.deliver(stream, errorCode === ErrorCode.NO_ERROR ? CLOSE_NO_ERROR : { type: 'close', errorCode });
  }

  private runClose(stream: ServerStream, errorCode: number): void {
    const handler = stream.handler!;
    try {
      const result = handler.onClose(errorCode);
      if (isThenable(result)) {
        result.then(undefined, (err: unknown) => this.ctx.log.error('handler', `h2kit: ${this.describe(stream)}: onClose threw`, err));
      }
    } catch (err) {
      this.ctx.log.error('handler', `h2kit: ${this.describe(stream)}: onClose threw`, err);
    }
    this.removeStream(stream);
  }

  /** @internal For the body pump (and the session itself): stops the body and releases its source. */
  stopBody(stream: ServerStream): void {
    const source = stream.source;
    if (source === null) return;
    stream.source = null;
    this.pump.forget(stream);
    try {
      source.destroy();
    } catch (err) {
      this.ctx.log.error('handler', `h2kit: ${this.describe(stream)}: destroying the body failed`, err);
    }
  }

  // ---- commands from handlers ----

  sendResponse(streamId: number, options: ResponseOptions): void {
    const stream = this.streams.get(streamId);
    // The client is gone (or the stream failed): there is no one to answer.
    if (stream === undefined || stream.closed || stream.failed || this.torndown) return;
    if (stream.responded) {
      throw new UsageError(`sendResponse() was already called for stream ${streamId}`, 'response_already_sent');
    }
    const status = options.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new UsageError(`response status must be an integer from 200 to 599, got ${String(status)}`, 'response_bad_status');
    }
    const headers: HeaderList = [[':status', statusText(status)]];
    appendHeaders(headers, options.headers, 'response headers');
    let trailers: HeaderList | null = null;
    if (options.trailers !== undefined && options.trailers !== null) {
      trailers = [];
      appendHeaders(trailers, options.trailers, 'response trailers');
      if (trailers.length === 0) trailers = null;
    }
    let declared = -1;
    for (const [name, value] of headers) {
      if (name !== 'content-length') continue;
      if (declared !== -1 || !isDigits(value)) {
        throw new UsageError(`response content-length must be one non-negative integer, got ${JSON.stringify(value)}`, 'response_bad_content_length');
      }
      declared = Number(value);
    }
    // In-memory bodies (the common case) skip the body source and the pump when the window takes them whole.
    const body = options.body;
    let bytes: Buffer | null = null;
    let source: BodySource | null = null;
    if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
    else if (body instanceof Uint8Array) bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    else source = bodySourceOf(body, this); // this session is the connection a file body counts against
    const noBody = stream.handler?.method === 'HEAD' || status === 204 || status === 304;
    // -1: no body at all (no content-length is added), or a streaming one of unknown length.
    const knownLength = bytes !== null ? bytes.length : source !== null ? source.knownLength : -1;
    if (knownLength >= 0) {
      if (declared === -1) {
        declared = knownLength;
        if (status !== 204 && status !== 304) headers.push(['content-length', String(declared)]);
      } else if (declared !== knownLength && !noBody) {
        source?.destroy();
        throw new UsageError(`response content-length ${declared} does not match the body of ${knownLength} bytes`, 'response_content_length_mismatch');
      }
    }
    if (noBody || knownLength === 0) {
      source?.destroy();
      source = null;
      bytes = null;
    }
    if (noBody) {
      trailers = null;
      declared = -1;
    }
    const endOnHeaders = source === null && bytes === null && trailers === null;
    try {
      this.connection.sendHeaders(streamId, headers, endOnHeaders);
    } catch (err) {
      // Refused before anything was sent (a malformed list, or over the client's header list limit): the caller may try again.
      source?.destroy();
      throw err;
    }
    stream.responded = true;
    stream.status = status;
    stream.expectedLength = declared;
    if (bytes !== null && bytes.length <= this.connection.sendWindow(streamId)) {
      // The whole body fits the window: one DATA frame, no source, no pump.
      this.connection.sendData(streamId, bytes, trailers === null);
      if (trailers !== null) this.connection.sendHeaders(streamId, trailers, true);
      stream.bytesSent = bytes.length;
    } else if (bytes === null && source === null) {
      if (trailers !== null) this.connection.sendHeaders(streamId, trailers, true);
    } else {
      source ??= new BufferBodySource(bytes!);
      stream.source = source;
      stream.trailers = trailers;
      source.onWake = stream.wake ??= () => this.wakeBody(stream);
      this.pumpStream(stream);
    }
    this.scheduleFlush();
  }

  canPush(streamId: number): boolean {
    const stream = this.streams.get(streamId);
    return (
      stream !== undefined && !stream.closed && !stream.failed && !stream.responded && !stream.pushed && !this.goingAway && this.connection.canPush
    );
  }

  push(streamId: number, options: PushOptions): BaseRequestHandler {
    const parent = this.streams.get(streamId);
    if (parent === undefined || parent.closed || parent.failed || parent.handler === null) {
      throw new PushRefusedError(`cannot push on stream ${streamId}: it is closed`, 'push_stream_closed');
    }
    if (parent.responded) {
      throw new UsageError(`push() must come before sendResponse() (stream ${streamId})`, 'push_after_response');
    }
    if (parent.pushed) {
      throw new PushRefusedError(`cannot push on stream ${streamId}: it is itself a pushed stream`, 'push_on_pushed_stream');
    }
    if (typeof options?.path !== 'string' || options.path.length === 0) {
      throw new UsageError(`push() needs a non-empty path, got ${JSON.stringify(options?.path)}`, 'push_bad_path');
    }
    if (!this.connection.canPush || this.goingAway) {
      const why = this.connection.peerSettings.enablePush ? 'the push limit is reached or the connection is closing' : 'the client disabled push (SETTINGS_ENABLE_PUSH = 0)';
      throw new PushRefusedError(`cannot push ${options.path} on stream ${streamId}: ${why}`, 'push_refused');
    }
    const parentHandler = parent.handler;
    const method = options.method ?? 'GET';
    const requestHeaders: HeaderList = [
      [':method', method],
      [':scheme', parentHandler.scheme || this.scheme],
      [':authority', parentHandler.host],
      [':path', options.path],
    ];
    appendHeaders(requestHeaders, options.requestHeaders, 'push requestHeaders');
    let promisedId: number;
    try {
      promisedId = this.connection.pushPromise(streamId, requestHeaders);
    } catch (err) {
      if (err instanceof UsageError) throw new PushRefusedError(`cannot push ${options.path}: ${err.message}`, err.token);
      throw err;
    }
    const stream = new ServerStream(promisedId, true);
    stream.requestEnded = true;
    this.addStream(stream);
    let handler: BaseRequestHandler;
    try {
      handler = new this.ctx.handlerClass(this, promisedId);
    } catch (err) {
      this.failStream(stream, err, 'the handler constructor (pushed stream)');
      throw err;
    }
    handler.pushed = true;
    setRequestAttributes(handler, requestHeaders);
    stream.handler = handler;
    this.sendResponse(promisedId, options);
    return handler;
  }

  resume(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.source === null) return;
    stream.source.resume();
  }

  // ---- the body pump (src/io/body-pump.ts) ----

  /** A body source has more to say: called from its own events (a Readable's 'readable', a promise), so guarded. */
  private wakeBody(stream: ServerStream): void {
    try {
      failpoint('session-body-wake');
      this.pump.pump(stream);
    } catch (err) {
      this.fault(err, 'session-body-wake');
    }
  }

  /** Pumps `stream`'s response body (on a `writable` event, or when its source wakes). */
  pumpStream(stream: ServerStream): void {
    this.pump.pump(stream);
  }

  /** @internal For the body pump: the body (or its length) failed. */
  bodyFailed(stream: ServerStream, err: unknown): void {
    this.failStream(stream, err, 'the response body');
  }
}

const STATUS_TEXT: string[] = [];

/** `String(status)`, made once per status code. */
function statusText(status: number): string {
  return (STATUS_TEXT[status] ??= String(status));
}

function isDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Sets the seed's request attributes from the request header fields. */
function setRequestAttributes(handler: BaseRequestHandler, fields: HeaderList): void {
  // The event's list is handed over as is, unless several cookie fields must be joined (then a copy).
  let cookies = 0;
  for (let i = 0; i < fields.length; i++) if (fields[i]![0] === 'cookie') cookies++;
  const headers: Array<[string, string]> = cookies > 1 ? [] : fields;
  let cookieIndex = -1;
  let hostField = '';
  let authority: string | null = null;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const name = field[0];
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':method') handler.method = field[1];
      else if (name === ':scheme') handler.scheme = field[1];
      else if (name === ':authority') authority = field[1];
      else if (name === ':path') handler.path = field[1];
    } else if (name === 'cookie') {
      // RFC 9113 section 8.2.3: split cookie fields are joined with "; " for HTTP/1.1-minded applications.
      if (cookieIndex >= 0) {
        const joined = headers[cookieIndex]!;
        headers[cookieIndex] = [joined[0], `${joined[1]}; ${field[1]}`];
        continue;
      }
      cookieIndex = headers.length;
    } else if (name === 'host') {
      hostField = field[1];
    }
    if (cookies > 1) headers.push(field);
  }
  handler.host = authority ?? hostField;
  handler.headers = headers;
}
