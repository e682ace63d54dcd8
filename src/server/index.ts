/** The HTTP/2 server: the seed's HTTP2Server and BaseRequestHandler on Node's event loop. */
export { HTTP2Server, type HTTP2ServerOptions, type ServerStats } from './server.js';
export type { MinDataRate } from './data-rate.js';
export type { RateLimit, GlitchLimit } from '../connection/flood-guard.js';
export type { ConnectionInfo } from './session-context.js';
export {
  BaseRequestHandler,
  type HandlerSession,
  type HttpVersion,
  type RequestHandlerClass,
  type ResponseOptions,
  type PushOptions,
  type PushRequest,
  type LateTrailers,
  type HeadersInput,
  type HeaderInput,
} from './request-handler.js';
export { prepareHeaders, PreparedHeaders } from '../io/prepared-headers.js';
export { DATA_OK, DATA_EOF, DATA_DEFERRED, type DataFlag } from '../io/data-flags.js';
export type { BodyChunk, BodyGenerator, ResponseBody } from '../io/body-source.js';
export { fileBody, FileBody, FileBodyError, fileBodyStats, type FileBodyOptions, type FileBodyStats, type FileIdentity } from '../io/file-body.js';
export { setFileBodyLimits, fileBodyLimits, type FileBodyLimits } from '../io/file-limits.js';
export { RequestBodyError, DEFAULT_BODY_LIMIT, type BodyOptions } from './body-reader.js';
export { PushRefusedError, HandlerError, Http1RequestError } from './errors.js';
export type { ServerLogger } from './session.js';
export { formatAccessLogLine, type AccessLogEntry, type AccessLogTarget } from './access-log.js';
export * from './compat/index.js';
export { serve, type ServeOptions, type FetchServer, type FetchInfo, type FetchFunction, type FetchErrorHandler } from './fetch/serve.js';
