/**
 * HTTP2Server's options and its stats: what a user configures and what monitoring reads.
 */
import type tls from 'node:tls';
import type { ConnectionOptions } from '../connection/index.js';
import type { FrameDirection, TraceEvent } from '../frame/trace.js';
import type { AccessLogTarget } from './access-log.js';
import type { MinDataRate } from './data-rate.js';
import type { ServerLogger } from './session-context.js';
import type { ConnectionInfo } from './session-context.js';
import type { HandlerSession } from './request-handler.js';

export interface HTTP2ServerOptions {
  /** TLS: options for `tls.createServer` (`{ key, cert, ... }`) or a `tls.SecureContext`. Omit or null for cleartext h2c. */
  ssl?: tls.TlsOptions | tls.SecureContext | null;
  /** Where handler errors are reported. Default: console. */
  logger?: ServerLogger;
  /** One line a response: `true` (stdout), a function, or a writable stream. Default off. */
  accessLog?: AccessLogTarget;
  /** Protocol settings and limits of each connection (see ConnectionOptions for the defaults). */
  connection?: Omit<ConnectionOptions, 'role' | 'now'>;
  /** Time for the TLS handshake and the first bytes (preface or HTTP/1.1 head), ms. Default 10000. */
  handshakeTimeout?: number;
  /** A connection with no streams is closed (GOAWAY) after this long without traffic, ms; 0: never. Default 120000. */
  idleTimeout?: number;
  /** `close()` waits this long for streams in flight, then drops the connections, ms. Default 30000. */
  closeTimeout?: number;
  /**
   * Serve HTTP/1.x clients too (node:http2's name): TLS clients that negotiate `http/1.1` (or
   * no ALPN) and cleartext requests without `Upgrade: h2c`, parsed by Node's own `node:http`,
   * with keep-alive and pipelining, through the same request handlers (`handler.httpVersion`
   * says `'1.1'`). `false`: such clients get a short 505 answer and the connection closes.
   * Default true.
   */
  allowHTTP1?: boolean;
  /** Largest HTTP/1.1 request head accepted, bytes (node:http's maxHeaderSize). Default 16384. */
  maxHttp1HeadSize?: number;
  /** Most header fields in an HTTP/1.1 request head (node:http's maxHeadersCount). Default 200. */
  maxHttp1Headers?: number;
  /** An HTTP/1.1 request head must arrive whole within this long, ms (node:http's headersTimeout; slowloris). Default: handshakeTimeout (10000). */
  headersTimeout?: number;
  /** An idle HTTP/1.1 keep-alive connection is closed after this long, ms (node:http's keepAliveTimeout). Default 5000. */
  keepAliveTimeout?: number;
  /** Largest request body an `Upgrade: h2c` request may carry, bytes. Default 1048576. */
  maxUpgradeBodySize?: number;
  /** Accept `Upgrade: h2c` from HTTP/1.1 clients on cleartext connections. Default true. */
  allowUpgrade?: boolean;
  /** Response bodies pause while a socket holds this many unsent bytes. Default 1048576 (fewer drain/write rounds for big bodies). */
  socketHighWaterMark?: number;
  /**
   * A request (HEADERS to END_STREAM) must have arrived whole within this long, ms, or it is
   * answered 408 (reset if a response started); 0: no limit. Counts time the application holds
   * the body too, so it also ends requests stuck behind a handler that never returns. Default
   * 300000 (node:http's requestTimeout).
   */
  requestTimeout?: number;
  /**
   * A handler must start its response (`sendResponse()`) within this long of the request's
   * arrival, ms, or the client gets 504 and a line is logged (later calls of that handler are
   * ignored); 0: no limit. Catches handlers that never answer. HTTP/2 streams only (HTTP/1.1
   * requests have node:http's requestTimeout). Default 300000.
   */
  responseTimeout?: number;
  /**
   * The slowest request body accepted, averaged over the time the client holds things up (not
   * while a callback holds the credit), enforced after `graceMs`: slower gets 408. null: none.
   * Default `{ bytesPerSecond: 240, graceMs: 5000 }` (Kestrel's MinRequestBodyDataRate).
   */
  minRequestDataRate?: MinDataRate | null;
  /**
   * The slowest response reading accepted, averaged over the time data waits for the client's
   * window or socket (not while the application produces it), enforced after `graceMs`: slower
   * streams are reset (CANCEL). null: none. Default `{ bytesPerSecond: 240, graceMs: 5000 }`
   * (Kestrel's MinResponseDataRate).
   */
  minResponseDataRate?: MinDataRate | null;
  /**
   * Sees every frame of every HTTP/2 connection, decoded, in wire order per direction
   * (debugging tools: `h2kit serve -v`). Costs nothing when unset; slow when set.
   */
  onFrame?: ((event: TraceEvent, connection: ConnectionInfo) => void) | null;
  /**
   * Called when a connection starts speaking HTTP/2 (node:http2's 'session' event), with what a
   * handler may ask of it (`clientAddress`, `shutdown()`...). An exception thrown here ends that
   * connection only.
   */
  onSession?: ((session: HandlerSession) => void) | null;
  /**
   * Called when an HTTP/2 connection has been idle for `idleTimeout` (node:http2's server
   * 'timeout' event). Return true to keep it open (it is looked at again after another period);
   * otherwise it is closed gracefully (GOAWAY), as without this option.
   */
  onIdleTimeout?: ((session: HandlerSession) => boolean | void) | null;
  /** Sees every chunk read and written on every HTTP/2 connection, in order (capture tools). */
  onBytes?: ((direction: FrameDirection, chunk: Buffer, connection: ConnectionInfo) => void) | null;
}

/** The floors' default (Kestrel's). */
export const DEFAULT_MIN_DATA_RATE: Readonly<MinDataRate> = Object.freeze({ bytesPerSecond: 240, graceMs: 5000 });
/** `server.stats`: counters for monitoring and leak checks. */
export interface ServerStats {
  /** Connections speaking HTTP/2 now. */
  sessions: number;
  /** Connections speaking HTTP/1.1 now (`allowHTTP1`). */
  http1Connections: number;
  /** Sockets in the TLS handshake or before their first bytes said what they speak. */
  pendingSockets: number;
  /** Stream records held by the sessions. */
  streams: number;
  /** Streams waiting for a socket's 'drain'. */
  drainWaiters: number;
  /** Timers armed (handshake deadlines, protocol deadlines, idle timers). */
  timers: number;
  /** Exceptions h2kit did not expect on a connection's path (each ended that connection); 0 unless there is a bug. */
  unexpectedErrors: number;
  /** Log lines held back by the rate limit (handler failures, unexpected errors). */
  logLinesSuppressed: number;
  /** Requests answered 408 for not arriving within requestTimeout. */
  requestTimeouts: number;
  /** Requests answered 504 because their handler started no response within responseTimeout. */
  responseTimeouts: number;
  /** Requests answered 408 (or reset) for a body slower than minRequestDataRate. */
  slowRequests: number;
  /** Responses reset for being read slower than minResponseDataRate. */
  slowResponses: number;
  /**
   * Connections ended with our GOAWAY for an error, by its token (the GOAWAY's debug data):
   * `flood_resets`, `flood_glitches`, `settings_too_many_entries`, `frame_too_large`... (Bytes that are not
   * HTTP/2 at all are refused before a connection exists, by the first-bytes check: not counted here.)
   */
  connectionErrors: Record<string, number>;
}
