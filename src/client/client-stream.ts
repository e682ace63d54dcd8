/**
 * The client's state of one exchange: a request (queued, then on a stream) or an accepted push.
 * Its callback state keeps the handler's calls in order while an async one is pending; its body
 * (an object of its own, only for a request with a body) drives the request-body pump. Fields
 * are declared up front so all share one shape.
 */
import type { DataEvent, HeaderList } from '../connection/index.js';
import type { OutgoingBody } from '../io/body-pump.js';
import { CallbackState } from '../io/callback-queue.js';
import type { BaseResponseHandler } from './response-handler.js';

/** A queued handler call: the connection's own data events, and three of ours. */
export type Item = { readonly type: 'headers' } | DataEvent | { readonly type: 'done' } | { readonly type: 'close'; readonly errorCode: number };
/** Items are read, never written: one frozen item serves every stream. */
export const HEADERS_ITEM: Item = Object.freeze({ type: 'headers' });
export const DONE_ITEM: Item = Object.freeze({ type: 'done' });

export class ClientStream {
  id = 0;
  readonly handler: BaseResponseHandler;
  readonly pushed: boolean;
  /** Request fields, kept until the stream starts. */
  requestHeaders: HeaderList | null;
  /** The request body the pump pulls; null for none (or once it is done). */
  body: OutgoingBody | null;
  /** Trailers of a request without a body (a body carries its own), sent right after the headers. */
  trailers: HeaderList | null;
  timeout: number;
  timer: NodeJS.Timeout | null = null;
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;
  readonly calls = new CallbackState<Item>();
  /** A callback failed: only onClose is still called. */
  failed = false;
  /** The response is complete (onResponseDone queued). */
  done = false;
  closed = false;
  resetCode = -1;
  resetByPeer = false;
  /** Request body bytes handed to the connection. */
  bytesSent = 0;

  constructor(handler: BaseResponseHandler, pushed: boolean, requestHeaders: HeaderList | null, body: OutgoingBody | null, trailers: HeaderList | null, timeout: number) {
    this.handler = handler;
    this.pushed = pushed;
    this.requestHeaders = requestHeaders;
    this.body = body;
    this.trailers = trailers;
    this.timeout = timeout;
  }
}

/** Calls the handler's callback for `item` (after a failure, only onClose); returns what it returned. */
export function callHandler(stream: ClientStream, item: Item): unknown {
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

/** The name of the callback `item` calls, for messages. */
export function callbackName(item: Item): string {
  return item.type === 'headers' ? 'onHeaders' : item.type === 'data' ? 'onData' : item.type === 'done' ? 'onResponseDone' : 'onClose';
}
