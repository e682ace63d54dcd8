/**
 * ServerExchanges: the life of each stream of a server connection, the part of ServerSession
 * that is about one stream at a time: its handler's callbacks in order (src/io/callback-queue.ts),
 * its failure (only that stream is reset), its end (onClose, once, even past a pending callback;
 * the access log line), its response body's release. ServerSession (the connection: the
 * driver's delegate, the idle timer, the heartbeat, handlers' commands) extends it.
 */
import type { Connection } from '../connection/index.js';
import { StreamTable } from '../connection/stream-table.js';
import { ErrorCode } from '../errors.js';
import { CallbackQueue, type CallbackQueueOwner } from '../io/callback-queue.js';
import type { ConnectionDriver } from '../io/connection-driver.js';
import { failpoint } from '../io/failpoints.js';
import { RequestBodyError } from './body-reader.js';
import { HandlerError } from './errors.js';
import { accessLogEntryOf, callHandler, callbackName, CLOSE_NO_ERROR, runOnCloseNow, type CallbackItem, type ServerStream } from './server-stream.js';
import type { SessionContext } from './session-context.js';

export abstract class ServerExchanges implements CallbackQueueOwner<ServerStream, CallbackItem> {
  protected readonly ctx: SessionContext;
  protected readonly connection: Connection;
  /** Set by the subclass's constructor, which makes it with itself as the delegate. */
  protected driver!: ConnectionDriver<ServerStream>;
  protected readonly streams = new StreamTable<ServerStream>();
  /** Items caused by a running callback (shutdown() from onData, say) wait until it returns. */
  protected readonly callbacks = new CallbackQueue<ServerStream, CallbackItem>(this, true);
  /** The socket is gone. */
  protected torndown = false;

  constructor(ctx: SessionContext, connection: Connection) {
    this.ctx = ctx;
    this.connection = connection;
  }

  /** `[host, port]` of the client. */
  abstract readonly clientAddress: [string, number];

  /** The last stream record went. */
  protected abstract noStreamsLeft(): void;

  protected addStream(stream: ServerStream): void {
    this.streams.set(stream.id, stream);
  }

  protected removeStream(stream: ServerStream): void {
    this.streams.delete(stream.id);
    this.driver.forgetBody(stream);
    if (this.streams.size === 0) this.noStreamsLeft();
  }

  /** @internal For the callback queue: a pending callback settled and the items behind it ran. */
  settled(): void {
    // Called from a promise reaction; the queue sends what this throws to fault().
    failpoint('session-settled');
    if (!this.torndown) this.driver.flush();
  }

  /** @internal For the callback queue: its own work after a promise settled threw. */
  fault(err: unknown): void {
    this.driver.fault(err, 'session-settled');
  }

  /** @internal For the callback queue: calls the handler's callback for `item`. */
  invoke(stream: ServerStream, item: CallbackItem): unknown {
    return callHandler(stream, item);
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
    if (item.type === 'close') {
      this.ctx.log.error('handler', `h2kit: ${this.describe(stream)}: onClose threw`, err);
      return;
    }
    // readBody() already answered the client (413, 400) or found the stream gone: nothing to log or reset.
    if (err instanceof RequestBodyError) return;
    this.failStream(stream, err, callbackName(item));
  }

  /** A callback or the body failed: log it and reset only this stream (INTERNAL_ERROR). */
  protected failStream(stream: ServerStream, err: unknown, what: string): void {
    if (stream.failed) return;
    stream.failed = true;
    const error = new HandlerError(stream.id, `${this.describe(stream)}: ${what} failed; the stream is reset with INTERNAL_ERROR`, err);
    this.ctx.log.error('handler', error.message, err);
    this.stopBody(stream);
    // The client can send the request that makes the handler fail again and again: the reset
    // counts against its reset limit (MadeYouReset class), and the log line is rate-limited.
    if (!stream.closed && !this.torndown) this.connection.resetStream(stream.id, ErrorCode.INTERNAL_ERROR, true);
    this.driver.scheduleFlush();
    // A stream whose handler could not even be built gets no onClose; forget it when the connection closes it.
  }

  protected describe(stream: ServerStream): string {
    const h = stream.handler;
    return h === null ? `stream ${stream.id}` : `stream ${stream.id} (${h.method} ${h.path})`;
  }

  protected closeStream(stream: ServerStream, errorCode: number): void {
    stream.closed = true;
    this.stopBody(stream);
    if (stream.responded && this.ctx.accessLog !== null && stream.handler !== null) this.logAccess(stream, errorCode);
    if (stream.handler === null) {
      this.removeStream(stream);
      return;
    }
    const calls = stream.calls;
    if (calls.busy) {
      // A callback is still pending (say onData awaiting a backend that may never answer): onClose
      // must not wait behind it, or the handler could never cancel that call. Items not started are
      // dropped (their credit returned); onClose runs now, once; the pending one settles unheard.
      const queue = calls.queue;
      calls.queue = null;
      // A readBody() awaited by the pending callback learns that the stream is gone.
      if (calls.tap !== null) calls.tap({ type: 'close', errorCode });
      if (queue !== null && !this.torndown) {
        for (const item of queue) if (item.type === 'data') this.connection.consume(item.streamId, item.data.length);
      }
      this.runClose(stream, errorCode);
      return;
    }
    this.callbacks.deliver(stream, errorCode === ErrorCode.NO_ERROR ? CLOSE_NO_ERROR : { type: 'close', errorCode });
  }

  protected logAccess(stream: ServerStream, errorCode: number): void {
    try {
      this.ctx.accessLog!(accessLogEntryOf(stream, this.clientAddress, errorCode));
    } catch (err) {
      this.ctx.log.error('handler', 'h2kit: the access log failed:', err);
    }
  }

  protected runClose(stream: ServerStream, errorCode: number): void {
    runOnCloseNow(stream.handler!, errorCode, this.ctx.log, this.describe(stream));
    this.removeStream(stream);
  }

  /** @internal For the driver's body pump (and the session itself): stops the body and releases its source. */
  stopBody(stream: ServerStream): void {
    const body = stream.body;
    if (body === null) return;
    stream.body = null;
    this.driver.forgetBody(stream);
    try {
      body.source.destroy();
    } catch (err) {
      this.ctx.log.error('handler', `h2kit: ${this.describe(stream)}: destroying the body failed`, err);
    }
  }

  /** @internal For the driver's body pump: the body (or its length) failed. */
  bodyFailed(stream: ServerStream, err: unknown): void {
    this.failStream(stream, err, 'the response body');
  }
}
