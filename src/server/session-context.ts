/**
 * What a ServerSession needs from its server: the handler class, the logger, the limits and
 * timeouts, the counters it adds to, and the callbacks that tell the server about it. One
 * context per server, shared by all its sessions.
 */
import type { ConnectionOptions } from '../connection/index.js';
import type { FrameDirection, TraceEvent } from '../frame/trace.js';
import { traceObserver } from '../io/trace-observer.js';
import type { FailpointName } from '../io/failpoints.js';
import type { LogLimiter } from '../io/log-limiter.js';
import type { AccessLogEntry } from './access-log.js';
import type { MinDataRate } from './data-rate.js';
import type { RequestHandlerClass } from './request-handler.js';
import type { ServerSession } from './session.js';

/** Where errors of handlers and body sources are reported (console by default). */
export interface ServerLogger {
  error(message: string, ...details: unknown[]): void;
}

/** What a session needs from its server. */
export interface SessionContext {
  handlerClass: RequestHandlerClass;
  logger: ServerLogger;
  /** The same logger behind a per-kind rate limit, for lines a client can trigger. */
  log: LogLimiter;
  /** An exception h2kit did not expect ended a connection: count it and log it. */
  unexpectedError(err: unknown, where: FailpointName, client: readonly [string, number]): void;
  accessLog: ((entry: AccessLogEntry) => void) | null;
  connectionOptions: Omit<ConnectionOptions, 'role' | 'now'>;
  /** Stop pulling bodies while the socket holds this many unsent bytes. */
  socketHighWaterMark: number;
  /** Close an idle connection (no streams) after this many ms; 0: never. */
  idleTimeout: number;
  /** Asked when the connection has been idle for idleTimeout: true keeps it open. */
  onIdleTimeout: ((session: ServerSession) => boolean | void) | null;
  /** Called once when the session's socket has closed. */
  sessionClosed(session: ServerSession): void;
  /** Whole-request deadline, ms (0: none), and the data-rate floors (null: none). */
  requestTimeout: number;
  /** A handler must start its response this long after the request arrived, ms (0: none). */
  responseTimeout: number;
  minRequestDataRate: MinDataRate | null;
  minResponseDataRate: MinDataRate | null;
  /** Streams ended by those, over all sessions (for server.stats). */
  counters: StreamTimeoutCounters;
  /** Connections we ended with GOAWAY for an error, by the error's token (for server.stats). */
  connectionErrors: Map<string, number>;
  /** Makes the byte observer of a new connection (the server's `onBytes`/`onFrame`), or null for none. */
  observeBytes: ((clientAddress: readonly [string, number]) => (direction: 'recv' | 'send', chunk: Buffer) => void) | null;
}

export interface StreamTimeoutCounters {
  /** Requests not received whole within requestTimeout. */
  requestTimeouts: number;
  /** Requests answered 504 because no response started within responseTimeout. */
  responseTimeouts: number;
  /** Request bodies sent slower than minRequestDataRate. */
  slowRequests: number;
  /** Responses read slower than minResponseDataRate. */
  slowResponses: number;
}

/** Which connection an `onFrame`/`onBytes` call is about. */
export interface ConnectionInfo {
  /** Numbered from 1 in the order connections started speaking HTTP/2 (per server). */
  readonly id: number;
  /** `[host, port]` of the client. */
  readonly clientAddress: readonly [string, number];
}

/** The per-connection byte observer the trace options ask for, or null when neither is set. */
export function sessionObserverOf(
  onFrame: ((event: TraceEvent, connection: ConnectionInfo) => void) | null,
  onBytes: ((direction: FrameDirection, chunk: Buffer, connection: ConnectionInfo) => void) | null,
): SessionContext['observeBytes'] {
  if (onFrame === null && onBytes === null) return null;
  let nextId = 1;
  return (clientAddress) => {
    const info: ConnectionInfo = { id: nextId++, clientAddress };
    return traceObserver(
      onFrame === null ? null : (event) => onFrame(event, info),
      onBytes === null ? null : (direction, chunk) => onBytes(direction, chunk, info),
      'recv',
    )!;
  };
}
