/**
 * The client's state of one exchange: a request (queued, then on a stream) or an accepted push.
 * Its callback queue keeps the handler's calls in order while an async one is pending; its body
 * fields drive the request-body pump. Fields are declared up front so all share one shape.
 */
import type { DataEvent, HeaderList } from '../connection/index.js';
import type { BodySource } from '../io/body-source.js';
import type { BaseResponseHandler } from './response-handler.js';

/** A queued handler call: the connection's own data events, and three of ours. */
export type Item = { type: 'headers' } | DataEvent | { type: 'done' } | { type: 'close'; errorCode: number };
export const HEADERS_ITEM: Item = { type: 'headers' };
export const DONE_ITEM: Item = { type: 'done' };

export class ClientStream {
  id = 0;
  readonly handler: BaseResponseHandler;
  readonly pushed: boolean;
  /** Request fields, kept until the stream starts. */
  requestHeaders: HeaderList | null;
  source: BodySource | null;
  trailers: HeaderList | null;
  timeout: number;
  timer: NodeJS.Timeout | null = null;
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;
  /** A callback returned a promise that has not settled yet: later items wait in `queue`. */
  busy = false;
  /** Unused on the client (its queue runs items caused by a running callback at once); the shared queue's shape. */
  running = false;
  /** Items waiting behind a pending callback; an array only once needed. */
  queue: Item[] | null = null;
  /** A callback failed: only onClose is still called. */
  failed = false;
  /** The response is complete (onResponseDone queued). */
  done = false;
  closed = false;
  resetCode = -1;
  resetByPeer = false;
  /** Request body bytes handed to the connection. */
  bytesSent = 0;
  /** Request bodies are not checked against a content-length here (the server checks what it receives). */
  readonly expectedLength = -1;
  waitingForDrain = false;
  pumping = false;
  pumpAgain = false;
  readonly wake: () => void;

  constructor(pump: (stream: ClientStream) => void, handler: BaseResponseHandler, pushed: boolean, requestHeaders: HeaderList | null, source: BodySource | null, trailers: HeaderList | null, timeout: number) {
    this.handler = handler;
    this.pushed = pushed;
    this.requestHeaders = requestHeaders;
    this.source = source;
    this.trailers = trailers;
    this.timeout = timeout;
    this.wake = () => pump(this);
  }
}
