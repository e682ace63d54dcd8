/**
 * The access log: one line a response, written when its stream closes (so the status, the
 * body size and any reset are known). In the spirit of nghttpd's log and the Common Log Format;
 * `h2` or `http/1.1` says which protocol carried the request (`stream=` numbers HTTP/1.1
 * requests on a connection 1, 3, 5... as the handler's streamId does):
 *
 *   127.0.0.1:50412 [2026-11-25T15:30:00.123Z] "GET /index.html" 200 1234 h2 stream=1
 *   127.0.0.1:50413 [2026-11-25T15:30:00.123Z] "GET /index.html" 200 1234 http/1.1 stream=1
 *   127.0.0.1:50412 [2026-11-25T15:30:00.124Z] "GET /style.css" 200 15 h2 stream=2 pushed
 *   127.0.0.1:50412 [2026-11-25T15:30:00.200Z] "GET /big" 200 65536 h2 stream=3 reset=CANCEL
 */
import type { Writable } from 'node:stream';
import { errorCodeName } from '../errors.js';

export interface AccessLogEntry {
  clientAddress: readonly [string, number];
  /** When the response finished (or the stream closed), ms since the epoch. */
  time: number;
  method: string;
  path: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  streamId: number;
  pushed: boolean;
  /** The stream's close code: 0 when it ended normally (an HTTP/1.1 connection cut before the end: CANCEL). */
  errorCode: number;
  /** The protocol that carried the request: `'2'`, `'1.1'` or `'1.0'`. */
  httpVersion: '1.0' | '1.1' | '2';
}

/** Where access log lines go: a function, a writable stream, or `true` for stdout. */
export type AccessLogTarget = boolean | ((line: string, entry: AccessLogEntry) => void) | Writable;

export function formatAccessLogLine(e: AccessLogEntry): string {
  const [host, port] = e.clientAddress;
  const client = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  let line = `${client} [${new Date(e.time).toISOString()}] "${e.method} ${e.path}" ${e.status} ${e.bytes} ${e.httpVersion === '2' ? 'h2' : `http/${e.httpVersion}`} stream=${e.streamId}`;
  if (e.pushed) line += ' pushed';
  if (e.errorCode !== 0) line += ` reset=${errorCodeName(e.errorCode)}`;
  return line;
}

/** A function that logs entries to `target`, or null when logging is off. */
export function accessLogger(target: AccessLogTarget | undefined): ((e: AccessLogEntry) => void) | null {
  if (target === undefined || target === false) return null;
  if (target === true) return (e) => process.stdout.write(formatAccessLogLine(e) + '\n');
  if (typeof target === 'function') return (e) => target(formatAccessLogLine(e), e);
  return (e) => target.write(formatAccessLogLine(e) + '\n');
}
