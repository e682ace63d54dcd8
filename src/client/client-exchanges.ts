/**
 * ClientExchanges: the life of each exchange of a client connection, the part of ClientSession
 * that is about one stream at a time: its handler's callbacks in order (src/io/callback-queue.ts),
 * its timeout and cancel, its reset, its end (onClose with the error it ended with), its request
 * body's failure. ClientSession (the connection: connecting, events, closing) extends it.
 */
import type { Connection } from '../connection/index.js';
import { StreamTable } from '../connection/stream-table.js';
import { ErrorCode, H2Error, UsageError } from '../errors.js';
import { CallbackQueue, type CallbackQueueOwner } from '../io/callback-queue.js';
import type { ConnectionDriver } from '../io/connection-driver.js';
import { callbackName, callHandler, type ClientStream, type Item } from './client-stream.js';
import { RequestTimeoutError, ResponseHandlerError, StreamResetError } from './errors.js';

export abstract class ClientExchanges implements CallbackQueueOwner<ClientStream, Item> {
  protected driver: ConnectionDriver<ClientStream> | null = null;
  /** The driver's Connection (null before connecting). */
  protected get conn(): Connection | null {
    return this.driver === null ? null : this.driver.connection;
  }
  protected readonly streams = new StreamTable<ClientStream>();
  /** Requests waiting for a stream (concurrency limit, or the connection is still opening). */
  protected readonly pending: ClientStream[] = [];
  /** Request streams open on the connection (pushes excluded): what MAX_CONCURRENT_STREAMS bounds. */
  protected openRequests = 0;
  /** Items run at once even while a callback runs (a handler's cancel() delivers onClose from within it). */
  protected readonly callbacks = new CallbackQueue<ClientStream, Item>(this, false);

  /** Whether the connection is up (streams can be reset on the wire). */
  protected abstract get isOpen(): boolean;
  /** Starts queued requests while the server's limits allow. */
  protected abstract startPending(): void;
  /** After close(): ends the connection once nothing is queued or in flight. */
  protected abstract maybeFinishClose(): void;
  /** @internal For the callback queue. */
  abstract fault(err: unknown): void;

  /**
   * A request that never reached the wire fails: its handler gets `error`, then onClose with
   * `code` (given apart from the error: most errors that end an unsent request have no wire code).
   */
  protected failUnsent(stream: ClientStream, error: H2Error, code: number): void {
    if (stream.closed) return;
    stream.body?.source.destroy();
    stream.body = null;
    this.closeStream(stream, code, error);
  }

  protected onRequestTimeout(stream: ClientStream): void {
    stream.timer = null;
    if (stream.closed || stream.done) return;
    const error = new RequestTimeoutError(stream.id, `${stream.handler.method} ${stream.handler.path}: no complete response within ${stream.timeout} ms`, 'request_timeout');
    if (stream.id === 0) {
      const i = this.pending.indexOf(stream);
      if (i >= 0) this.pending.splice(i, 1);
      this.failUnsent(stream, error, ErrorCode.CANCEL);
      this.maybeFinishClose();
      return;
    }
    if (stream.handler.error === null) stream.handler.error = error;
    this.resetStream(stream, ErrorCode.CANCEL);
  }

  /** The handler's cancel(): drop a queued request, reset a stream. */
  protected cancel(stream: ClientStream, code: number): void {
    if (stream.closed) return;
    if (stream.id === 0) {
      const i = this.pending.indexOf(stream);
      if (i >= 0) this.pending.splice(i, 1);
      this.failUnsent(stream, new StreamResetError(0, code, false), code);
      this.maybeFinishClose();
      return;
    }
    this.resetStream(stream, code);
  }

  protected resetStream(stream: ClientStream, code: number): void {
    if (stream.resetCode < 0) {
      stream.resetCode = code;
      stream.resetByPeer = false;
    }
    const conn = this.conn;
    if (conn !== null && this.isOpen && !stream.closed) {
      conn.resetStream(stream.id, code);
      this.driver!.scheduleFlush();
    } else if (!stream.closed) {
      this.closeStream(stream, code, stream.handler.error ?? new StreamResetError(stream.id, code, false));
    }
  }

  /** @internal For the callback queue: a pending callback settled; flush what it caused. */
  settled(): void {
    this.driver?.scheduleFlush();
  }

  /** @internal For the callback queue. */
  invoke(stream: ClientStream, item: Item): unknown {
    return callHandler(stream, item);
  }

  /** @internal For the callback queue. */
  afterCallback(stream: ClientStream, item: Item): void {
    if (item.type === 'data') {
      // Credit goes back once the handler is done with the bytes (after an async onData settles).
      if (this.isOpen) this.conn!.consume(item.streamId, item.data.length);
    } else if (item.type === 'close') {
      if (stream.id !== 0 && this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
      this.maybeFinishClose();
    }
  }

  /** @internal For the callback queue. */
  callbackFailed(stream: ClientStream, item: Item, err: unknown): void {
    if (item.type === 'close') return; // the exchange is over; there is nothing left to reset
    this.failStream(stream, err, callbackName(item));
  }

  protected failStream(stream: ClientStream, err: unknown, name: string): void {
    if (stream.failed) return;
    stream.failed = true;
    if (stream.handler.error === null) {
      stream.handler.error = new ResponseHandlerError(stream.id, `stream ${stream.id} (${stream.handler.method} ${stream.handler.path}): ${name} failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    this.stopBody(stream);
    this.resetStream(stream, ErrorCode.CANCEL);
  }

  protected closeStream(stream: ClientStream, errorCode: number, error: H2Error | null): void {
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
      this.driver?.scheduleFlush();
    }
    this.callbacks.deliver(stream, { type: 'close', errorCode });
  }

  /** @internal For the driver's body pump (and the session itself): stops the body and releases its source. */
  stopBody(stream: ClientStream): void {
    const body = stream.body;
    if (body === null) return;
    stream.body = null;
    this.driver?.forgetBody(stream);
    try {
      body.source.destroy();
    } catch {
      // A body that fails to clean up is not the response's problem.
    }
  }

  /** @internal For the driver's body pump: the request body failed; the stream is reset (CANCEL) and the handler gets the cause. */
  bodyFailed(stream: ClientStream, err: unknown): void {
    if (stream.handler.error === null) {
      const error = err instanceof H2Error ? err : new UsageError(`the request body failed: ${err instanceof Error ? err.message : String(err)}`, 'request_body_failed');
      stream.handler.error = error;
    }
    this.stopBody(stream);
    this.resetStream(stream, ErrorCode.CANCEL);
  }
}
