/** node:http2's compatibility API on h2kit: `createServer`, `createSecureServer`, and their request and response objects. */
export {
  createServer,
  createSecureServer,
  CompatServer,
  type CompatServerOptions,
  type SecureCompatServerOptions,
  type RequestListener,
  type CompatSession,
} from './compat-server.js';
export { Http2ServerRequest, type IncomingHeaders } from './compat-request.js';
export { Http2ServerResponse } from './compat-response.js';
export type { OutgoingValue, OutgoingFields } from './compat-fields.js';
export type { CompatSocket } from './compat-socket.js';
export type { CompatError } from './compat-errors.js';
export type { CompatDispatcher } from './compat-handler.js';
export type { WriteCallback } from './compat-response.js';
