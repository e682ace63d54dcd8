/**
 * ServerSession: one HTTP/2 connection on the server, as a per-stream dispatcher. Its
 * ConnectionDriver (src/io/connection-driver.ts) owns the socket, the timer, the write policy and
 * the body pump; the session turns the Connection's events into handler callbacks and handlers'
 * commands into Connection calls:
 *
 *   driver -> handleEvents() -> handler callbacks (per stream, in order: src/io/callback-queue.ts)
 *   handler -> sendResponse()/push()/resume() -> connection -> driver.scheduleFlush()
 *
 * and adds what only a server does: the idle timer, graceful shutdown, the heartbeat's request
 * deadlines and data-rate floors, the access log. Handlers see it only as a `HandlerSession`.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Connection } from '../connection/index.js';
import { StreamState } from '../connection/index.js';
import type { ConnectionEvent, HeaderList, HeadersEvent } from '../connection/index.js';
import { ErrorCode, UsageError } from '../errors.js';
import { BufferBodySource } from '../io/body-source.js';
import { OutgoingBody } from '../io/body-pump.js';
import { ConnectionDriver, type DriverDelegate } from '../io/connection-driver.js';
import { failpoint, type FailpointName } from '../io/failpoints.js';
import { readRequestBody, RequestBodyError, type BodyOptions } from './body-reader.js';
import { PushRefusedError } from './errors.js';
import { IdleTimer, type IdleOwner } from './idle-timer.js';
import { ServerExchanges } from './server-exchanges.js';
import { latenessOf, StreamTiming, type Lateness } from './data-rate.js';
import type { BaseRequestHandler, HandlerSession, HeadersInput, PushOptions, PushRequest, ResponseOptions } from './request-handler.js';
import { pushRequestOf, setRequestAttributes } from './request-attributes.js';
import { informationalHeadOf, lateTrailerListOf, responsePlanOf } from './response-head.js';
import { REQUEST_DONE, ServerStream } from './server-stream.js';
import type { SessionContext } from './session-context.js';

export type { ServerLogger, SessionContext, StreamTimeoutCounters } from './session-context.js';

function destroySession(session: ServerSession): void {
  session.destroy();
}

/**
 * The session is itself the delegate its driver and callback queue call (`handleEvents`,
 * `invoke`, `settled`, ...): prototype methods rather than owner objects of closures, which cost
 * ~0.5 KiB on every connection. Those are for them; handlers see only `HandlerSession`.
 */
export class ServerSession extends ServerExchanges implements HandlerSession, DriverDelegate<ServerStream>, IdleOwner {
  /** `[host, port]` of the client. */
  readonly clientAddress: [string, number];
  /** `https` over TLS, `http` for h2c. */
  readonly scheme: 'http' | 'https';
  /** GOAWAY was sent or received, or the client closed its side: no new streams; the socket ends when the last one closes. */
  private goingAway = false;
  private shutdownStarted = false;
  private sessionClosedCalled = false;
  private upgradeBody: Buffer | null = null;
  private readonly idle: IdleTimer;

  constructor(ctx: SessionContext, socket: Socket, scheme: 'http' | 'https') {
    const connectionOptions = { ...ctx.connectionOptions, role: 'server' as const, now: performance.now() };
    // A response the client's flow control holds back for a whole idle period is released (reset
    // CANCEL by the core), whatever else the client sends; then the idle timer closes the connection.
    if (connectionOptions.maxSendStallMs === undefined && ctx.idleTimeout > 0) connectionOptions.maxSendStallMs = ctx.idleTimeout;
    super(ctx, new Connection(connectionOptions));
    this.scheme = scheme;
    this.clientAddress = [socket.remoteAddress ?? '', socket.remotePort ?? 0];
    this.driver = new ConnectionDriver<ServerStream>(socket, this.connection, this, {
      socketHighWaterMark: ctx.socketHighWaterMark,
      wholeWindowForKnownLength: true,
      onBytes: ctx.observeBytes === null ? null : ctx.observeBytes(this.clientAddress),
      unrefTimer: false,
    });
    socket.setTimeout(ctx.idleTimeout);
    this.idle = new IdleTimer(this, ctx.idleTimeout);
  }

  /** Counters for monitoring and leak checks. */
  get stats(): { streams: number; activeStreams: number; socketOpen: boolean; drainWaiters: number; timerArmed: boolean; idleTimerArmed: boolean } {
    return {
      streams: this.streams.size,
      activeStreams: this.connection.activeStreams,
      socketOpen: !this.driver.isGone,
      drainWaiters: this.driver.drainWaiters,
      timerArmed: this.driver.timerArmed,
      idleTimerArmed: this.idle.armed,
    };
  }

  /** Feeds bytes that were read before the session took over the socket (sniffed preface). */
  start(initial: Buffer): void {
    this.driver.start(initial);
  }

  /**
   * Starts HTTP/2 after an HTTP/1.1 `Upgrade: h2c` (the 101 is already written): stream 1 is
   * the upgraded request, `body` its already-read body.
   */
  acceptUpgrade(settingsPayload: Buffer, requestHeaders: HeaderList, body: Buffer): void {
    if (body.length > 0) this.upgradeBody = body;
    this.connection.acceptUpgrade(settingsPayload, requestHeaders);
    this.driver.flush(true);
  }

  /** Graceful shutdown (RFC 9113 section 6.8: GOAWAY 2^31-1, a PING round trip, the final GOAWAY): streams in flight finish, then the socket closes. */
  shutdown(): void {
    if (this.shutdownStarted || this.torndown) return;
    this.shutdownStarted = true;
    this.goingAway = true;
    this.connection.shutdown();
    this.driver.flush();
  }

  /** Ends the connection at once (after a graceful shutdown took too long). */
  destroy(): void {
    this.driver.destroy();
  }

  protected noStreamsLeft(): void {
    this.idle.becameIdle();
  }

  /** Read from the socket when asked (a getsockname call): most handlers never ask. */
  get localAddress(): readonly [string, number] {
    const socket = this.driver.socket;
    return [socket.localAddress ?? '', socket.localPort ?? 0];
  }

  // ---- the idle timer's owner ----

  /** @internal */
  get openStreams(): number {
    return this.streams.size;
  }

  /** @internal */
  idleExpired(): void {
    if (this.ctx.onIdleTimeout?.(this) === true) {
      // The application keeps it: idle again from now.
      this.idle.becameIdle();
      return;
    }
    this.shutdown();
    // A client that does not close its side after our GOAWAY is dropped.
    setTimeout(destroySession, 1000, this).unref();
  }

  /** @internal */
  idleFault(err: unknown): void {
    this.driver.fault(err, 'session-idle-timer');
  }

  // ---- the driver's delegate ----

  /** @internal An exception h2kit did not expect ended this connection (the driver destroys the socket): the server counts and logs it. */
  reportFault(err: unknown, where: FailpointName): void {
    this.ctx.unexpectedError(err, where, this.clientAddress);
  }

  /** @internal */
  mayEnd(): boolean {
    // A graceful shutdown's round trip still running: requests may be on their way, the final GOAWAY is due.
    return this.goingAway && this.streams.size === 0 && this.connection.activeStreams === 0 && !this.connection.isDraining;
  }

  /** @internal The client closed its side: nothing more will be read; Node ends ours once our output is written. */
  peerEnded(): void {
    this.goingAway = true;
  }

  /** @internal */
  socketError(err: NodeJS.ErrnoException): void {
    // Resets and broken pipes are how clients leave; anything else is worth a line.
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_WRITE_AFTER_END') {
      this.ctx.log.error('socket', `h2kit: connection from ${this.clientAddress.join(':')} failed:`, err);
    }
  }

  /** @internal No bytes either way for a whole idle period (the stream-based idle timer handles no streams). */
  socketTimeout(): void {
    if (this.streams.size > 0 && (this.driver.socket.writableLength > 0 || this.hasStalledResponse())) {
      // Streams are open but for a whole idle period the client has read nothing (TCP), or has
      // kept its flow-control window shut on a response we have data for (zero-window hoarding).
      this.driver.destroy();
    }
  }

  /** Whether some response has data waiting for a window the client does not open. */
  private hasStalledResponse(): boolean {
    for (const stream of this.streams.values()) {
      if (stream.closed || stream.body === null) continue;
      if (this.connection.queuedBytes(stream.id) > 0 || this.connection.sendWindow(stream.id) <= 0) return true;
    }
    return false;
  }

  /** @internal The socket is gone: every stream still open is closed (CANCEL) for its handler. */
  socketClosed(): void {
    try {
      if (this.torndown) return;
      this.torndown = true;
      this.idle.stop();
      for (const stream of [...this.streams.values()]) {
        if (!stream.closed) this.closeStream(stream, ErrorCode.CANCEL);
      }
    } finally {
      // However teardown ended, the server must forget this session.
      if (!this.sessionClosedCalled) {
        this.sessionClosedCalled = true;
        this.ctx.sessionClosed(this);
      }
    }
  }

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
      this.driver.flush(true);
    } catch (err) {
      this.driver.fault(err, 'session-heartbeat');
    }
  }

  /**
   * A late request that has no response yet is answered 408 and the client told to stop sending
   * (RST_STREAM NO_ERROR, RFC 9113 section 8.1); any other late stream is reset (CANCEL).
   */
  private endLateStream(stream: ServerStream, why: Lateness): void {
    const counters = this.ctx.counters;
    if (why === 'response_timeout') {
      counters.responseTimeouts++;
      this.ctx.log.error('handler', `h2kit: ${this.describe(stream)}: no response within responseTimeout (${this.ctx.responseTimeout} ms); answered 504`);
      this.sendResponse(stream.id, { status: 504, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Gateway Timeout: the server did not answer in time\n' });
      // The handler may still answer: that is ignored now, as for a stream that failed.
      stream.failed = true;
      if (!stream.requestEnded) this.connection.refuseRequestRest(stream.id);
      return;
    }
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

  /** @internal */
  handleEvents(events: ConnectionEvent[]): void {
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
          if (stream !== undefined) this.driver.pumpBody(stream);
          break;
        }
        case 'goaway':
          this.goingAway = true;
          break;
        case 'connectionError':
          this.driver.markCutOff();
          this.ctx.connectionErrors.set(ev.error.token, (this.ctx.connectionErrors.get(ev.error.token) ?? 0) + 1);
          break;
        default:
          // settings, settingsAck, ping, pushPromise (client role); closed (the driver ends the socket)
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

  // ---- commands from handlers (HandlerSession) ----

  sendResponse(streamId: number, options: ResponseOptions): void {
    const stream = this.streams.get(streamId);
    // The client is gone (or the stream failed): there is no one to answer.
    if (stream === undefined || stream.closed || stream.failed || this.torndown) return;
    if (stream.responded) {
      throw new UsageError(`sendResponse() was already called for stream ${streamId}`, 'response_already_sent');
    }
    // Checked whole before anything is sent: a UsageError here leaves the stream as it was.
    const plan = responsePlanOf(options, stream.handler?.method === 'HEAD', this);
    const { headers, trailers, bytes } = plan;
    let source = plan.source;
    const endOnHeaders = source === null && bytes === null && trailers === null;
    try {
      this.connection.sendHeaders(streamId, headers, endOnHeaders, plan.checked);
    } catch (err) {
      // Refused before anything was sent (a malformed list, or over the client's header list limit): the caller may try again.
      source?.destroy();
      throw err;
    }
    stream.responded = true;
    stream.status = plan.status;
    if (bytes !== null && bytes.length <= this.connection.sendWindow(streamId)) {
      // The whole body fits the window: one DATA frame, no source, no pump.
      this.connection.sendData(streamId, bytes, trailers === null);
      if (trailers !== null) this.connection.sendHeaders(streamId, trailers, true);
      stream.bytesSent = bytes.length;
    } else if (bytes === null && source === null) {
      if (trailers !== null) this.connection.sendHeaders(streamId, trailers, true);
    } else {
      source ??= new BufferBodySource(bytes!);
      stream.body = new OutgoingBody(source, trailers, plan.declaredLength);
      const late = plan.lateTrailers;
      if (late !== null) stream.body.lateTrailers = () => lateTrailerListOf(late);
      const driver = this.driver;
      source.onWake = () => driver.wake(stream);
      driver.pumpBody(stream);
    }
    this.driver.scheduleFlush();
  }

  canPush(streamId: number): boolean {
    const stream = this.streams.get(streamId);
    return (
      stream !== undefined && !stream.closed && !stream.failed && !stream.responded && !stream.pushed && !this.goingAway && this.connection.canPush
    );
  }

  push(streamId: number, options: PushOptions): BaseRequestHandler | null {
    const handler = this.promise(streamId, options);
    if (handler !== null) this.sendResponse(handler.streamId, options);
    return handler;
  }

  promise(streamId: number, request: PushRequest): BaseRequestHandler | null {
    const parent = this.streams.get(streamId);
    // The client went away: there is no one to push to (as sendResponse() ignores it).
    if (parent === undefined || parent.closed || parent.failed || parent.handler === null) return null;
    if (parent.responded) {
      throw new UsageError(`push() must come before sendResponse() (stream ${streamId})`, 'push_after_response');
    }
    if (parent.pushed) {
      throw new PushRefusedError(`cannot push on stream ${streamId}: it is itself a pushed stream`, 'push_on_pushed_stream');
    }
    const requestHeaders = pushRequestOf(request, parent.handler, this.scheme);
    // The client disabled push, the push limit is reached or the connection is closing: no push, no error.
    if (!this.connection.canPush || this.goingAway) return null;
    let promisedId: number;
    try {
      promisedId = this.connection.pushPromise(streamId, requestHeaders);
    } catch (err) {
      if (err instanceof UsageError) throw new PushRefusedError(`cannot push ${request.path}: ${err.message}`, err.token);
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
    this.driver.scheduleFlush();
    return handler;
  }

  sendInformational(streamId: number, status: number, headers?: HeadersInput | null): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.closed || stream.failed || this.torndown) return;
    const fields = informationalHeadOf(status, headers, stream.responded);
    this.connection.sendHeaders(streamId, fields, false);
    this.driver.scheduleFlush();
  }

  readBody(streamId: number, options?: BodyOptions): Promise<Buffer> {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.closed || stream.failed || stream.handler === null || this.torndown) {
      return Promise.reject(new RequestBodyError('the request ended before its body was read (the stream is closed)', 'request_body_aborted', 0));
    }
    return readRequestBody(this.callbacks, stream, stream.handler, options);
  }

  reset(streamId: number, errorCode: number = ErrorCode.CANCEL): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.closed || this.torndown) return;
    if (errorCode === ErrorCode.NO_ERROR && stream.responded) {
      // After a response: the rest of the request is refused once the response has left.
      this.connection.refuseRequestRest(streamId);
      this.driver.scheduleFlush();
      return;
    }
    this.stopBody(stream);
    this.connection.resetStream(streamId, errorCode);
    this.driver.scheduleFlush();
  }

  resume(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.body === null) return;
    stream.body.source.resume();
  }
}
