/**
 * The server's state of one stream: its handler, its place in the callback queue, its response
 * body and the counts the heartbeat and the access log read. Fields are declared up front so
 * every stream has one shape; the body's pumping state is an object of its own, made only for a
 * body the pump must pull (src/io/body-pump.ts).
 */
import type { DataEvent, HeadersEvent } from '../connection/index.js';
import { ErrorCode } from '../errors.js';
import type { OutgoingBody } from '../io/body-pump.js';
import { CallbackState, isThenable } from '../io/callback-queue.js';
import type { LogLimiter } from '../io/log-limiter.js';
import type { AccessLogEntry } from './access-log.js';
import type { StreamTiming } from './data-rate.js';
import type { BaseRequestHandler } from './request-handler.js';

/** A queued callback: the connection's own events for headers and data, and two of ours. */
export type CallbackItem =
  | HeadersEvent
  | DataEvent
  | { readonly type: 'upgradeBody'; readonly data: Buffer }
  | { readonly type: 'requestDone' }
  | { readonly type: 'close'; readonly errorCode: number };

/** Items are read, never written, so one frozen item serves every stream. */
export const REQUEST_DONE: CallbackItem = Object.freeze({ type: 'requestDone' });
/** The close item of almost every stream. */
export const CLOSE_NO_ERROR: CallbackItem = Object.freeze({ type: 'close', errorCode: ErrorCode.NO_ERROR });

export class ServerStream {
  readonly id: number;
  readonly pushed: boolean;
  handler: BaseRequestHandler | null = null;
  readonly calls = new CallbackState<CallbackItem>();
  /** A callback or the body failed: no more callbacks except onClose. */
  failed = false;
  /** The connection closed the stream (or the socket went away). */
  closed = false;
  responded = false;
  status = 0;
  /** The response body the pump pulls; null when there is none (or it is done). */
  body: OutgoingBody | null = null;
  /** Response body octets handed to the connection. */
  bytesSent = 0;
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

/** A request's callbacks as both protocols queue them (HTTP/2 streams, HTTP/1.1 exchanges). */
export type RequestCallbackItem = CallbackItem | { readonly type: 'data'; readonly data: Buffer } | { readonly type: 'headers' };

/**
 * Calls the handler's callback for `item` (after a failure, only onClose); returns what it
 * returned. One dispatch for an HTTP/2 stream and an HTTP/1.1 exchange alike.
 */
export function callHandler(stream: { readonly handler: BaseRequestHandler | null; readonly failed: boolean }, item: RequestCallbackItem): unknown {
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

/**
 * Runs a handler's onClose at once, outside the callback queue (a callback of its stream is still
 * pending and must not hold it back). A throw or a rejection is logged as `what`'s, never thrown.
 */
export function runOnCloseNow(handler: BaseRequestHandler, errorCode: number, log: LogLimiter, what: string): void {
  try {
    const result = handler.onClose(errorCode);
    if (isThenable(result)) result.then(undefined, (err: unknown) => log.error('handler', `h2kit: ${what}: onClose threw`, err));
  } catch (err) {
    log.error('handler', `h2kit: ${what}: onClose threw`, err);
  }
}

/** The name of the callback `item` calls, for messages. */
export function callbackName(item: RequestCallbackItem): string {
  return item.type === 'headers' ? 'onHeaders' : item.type === 'requestDone' ? 'onRequestDone' : item.type === 'close' ? 'onClose' : 'onData';
}

/** The access log's line of a stream (or HTTP/1.1 exchange) that closed with `errorCode` (it has a handler and a response). */
export function accessLogEntryOf(
  stream: { readonly id: number; readonly handler: BaseRequestHandler | null; readonly status: number; readonly bytesSent: number },
  clientAddress: [string, number],
  errorCode: number,
): AccessLogEntry {
  const h = stream.handler!;
  return {
    clientAddress,
    time: Date.now(),
    method: h.method,
    path: h.path,
    status: stream.status,
    bytes: stream.bytesSent,
    streamId: stream.id,
    pushed: h.pushed,
    errorCode,
    httpVersion: h.httpVersion,
  };
}
