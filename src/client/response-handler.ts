/**
 * BaseResponseHandler: the client's counterpart of the seed's BaseRequestHandler. One instance
 * per stream (a request's response, or an accepted push); users subclass it and override the
 * callbacks, which the client calls in order:
 *
 *   onHeaders() -> onData(data)* -> onResponseDone() -> onClose(errorCode)
 *
 * onPushPromise(push) may come at any time before onResponseDone (a promise arrives on the
 * stream of the request that caused it). onClose always comes, once; after a failure
 * (reset, connection lost, timeout) it comes without onResponseDone and `error` says why.
 * Any callback may be async: an onData that returns a promise holds back flow-control credit
 * for that stream until it settles (backpressure on the server).
 */
import { ErrorCode, type H2Error } from '../errors.js';
import type { HeaderList } from '../connection/index.js';

/** A promised (pushed) request, as the server announced it in PUSH_PROMISE. */
export interface PushPromise {
  /** The stream the promise arrived on (the request that caused it). */
  readonly parentStreamId: number;
  /** The promised stream, on which the pushed response will arrive. */
  readonly streamId: number;
  readonly method: string;
  readonly scheme: string;
  readonly authority: string;
  readonly path: string;
  /** Every field of the promised request, pseudo-headers first. */
  readonly headers: HeaderList;
}

export class BaseResponseHandler {
  /** Stream id of this exchange (0 while the request waits for a free stream). */
  streamId = 0;
  /** `:method`, `:scheme`, `:authority`, `:path` of the request (or of the promised request for a push). */
  method = '';
  scheme = '';
  authority = '';
  path = '';
  /** True for the handler of a pushed stream. */
  pushed = false;
  /** `:status` of the final response (0 until onHeaders). */
  status = 0;
  /** Response header fields in order, `:status` removed. */
  headers: HeaderList = [];
  /** 1xx responses received before the final one (`[status, headers]`). */
  informational: Array<[number, HeaderList]> = [];
  /** Response trailer fields, when the response had any (set before onResponseDone). */
  trailers: HeaderList | null = null;
  /** Why the exchange failed (set before onClose when it did not complete), else null. */
  error: H2Error | null = null;
  /** Set by the client when the handler is attached: how `cancel()` reaches the stream. */
  canceller: ((code: number) => void) | null = null;

  /**
   * Abandons the exchange: a queued request is dropped, a stream is reset (RST_STREAM `code`,
   * CANCEL by default). onClose follows, with `error` a StreamResetError. Harmless once closed.
   */
  cancel(code: number = ErrorCode.CANCEL): void {
    this.canceller?.(code);
  }

  /** The final response headers arrived: `status` and `headers` are set. */
  onHeaders(): void | Promise<void> {}

  /** A chunk of response body. If it returns a promise, flow-control credit for the chunk waits for it. */
  onData(_data: Buffer): void | Promise<void> {}

  /** The whole response (body and trailers) arrived. */
  onResponseDone(): void | Promise<void> {}

  /** The stream is closed; `errorCode` is 0 (NO_ERROR) after a clean exchange. Called once. */
  onClose(_errorCode: number): void | Promise<void> {}

  /**
   * The server promises a pushed response. Return a handler (a new instance of any
   * BaseResponseHandler subclass) to accept it, or null to refuse it (RST_STREAM CANCEL).
   * Called synchronously as the promise arrives. The default refuses.
   */
  onPushPromise(_push: PushPromise): BaseResponseHandler | null | undefined | void {
    return null;
  }
}

export type ResponseHandlerClass<H extends BaseResponseHandler = BaseResponseHandler> = new () => H;
