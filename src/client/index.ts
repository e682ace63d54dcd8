/** The HTTP/2 client: HTTP2Client (h2c and TLS+ALPN) on the connection core, with promise and handler APIs. */
export { HTTP2Client, type HTTP2ClientOptions, type RequestOptions, type PromiseRequestOptions, type RequestBody } from './client.js';
export { ReconnectingHTTP2Client, type ReconnectingClientOptions } from './reconnecting-client.js';
export { BaseResponseHandler, type PushPromise, type ResponseHandlerClass } from './response-handler.js';
export { CollectingHandler, StreamingHandler, type ClientResponse, type StreamingResponse, type PushedResponse, type PushCallback } from './responses.js';
export {
  RequestRefusedError,
  StreamResetError,
  ClientConnectionError,
  ConnectError,
  RequestTimeoutError,
  ResponseHandlerError,
  isRetryable,
} from './errors.js';
export { FrameTracer, type FrameObserver, type FrameDirection, type TraceEvent, type HeaderList } from '../frame/trace.js';
export type * from '../frame/types.js';
// The wire constants a TraceEvent's frame is read with (`frame.type === FrameType.DATA`).
export { FrameType, FrameFlags, UNKNOWN_FRAME } from '../frame/constants.js';
export { frameTypeName } from '../frame/decoder.js';
export { targetOf, type Target } from './transport.js';
