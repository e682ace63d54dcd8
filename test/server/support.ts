/**
 * Helpers for the server tests: start an HTTP2Server on loopback port 0, talk to it with
 * node:http2's client (nghttp2 inside), collect whole responses, make a throwaway TLS cert.
 */
import http2 from 'node:http2';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP2Server, type HTTP2ServerOptions } from '../../src/server/server.js';
import type { RequestHandlerClass } from '../../src/server/request-handler.js';
import type { ServerLogger } from '../../src/server/session.js';

/** A logger that records instead of printing (tests assert on it). */
export class RecordingLogger implements ServerLogger {
  readonly lines: string[] = [];
  readonly details: unknown[] = [];
  error(message: string, ...details: unknown[]): void {
    this.lines.push(message);
    this.details.push(...details);
  }
}

export async function startServer(
  handler: RequestHandlerClass,
  options: HTTP2ServerOptions = {},
): Promise<{ server: HTTP2Server; url: string; logger: RecordingLogger }> {
  const logger = new RecordingLogger();
  const server = new HTTP2Server(['127.0.0.1', 0], handler, { logger, ...options });
  await server.listen();
  const scheme = options.ssl ? 'https' : 'http';
  return { server, url: `${scheme}://127.0.0.1:${server.port}`, logger };
}

export function connect(url: string, options: http2.ClientSessionOptions & http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, { rejectUnauthorized: false, ...options });
    session.once('connect', () => {
      session.off('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}

export interface Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | null;
}

/** Reads a whole response from a client stream. Rejects if the stream is reset. */
export function readResponse(req: http2.ClientHttp2Stream): Promise<Response> {
  return new Promise((resolve, reject) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks), trailers }));
    req.on('error', (err: Error) => reject(Object.assign(err, { rstCode: req.rstCode })));
    req.on('close', () => {
      if (req.rstCode !== undefined && req.rstCode !== 0) reject(Object.assign(new Error(`stream reset with ${req.rstCode}`), { rstCode: req.rstCode }));
    });
  });
}

/** One request on `session`; `body` written then ended. */
export function request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer | string,
): Promise<Response> {
  const req = session.request(headers, { endStream: body === undefined });
  const done = readResponse(req);
  if (body !== undefined) req.end(body);
  return done;
}

/**
 * The response headers of the first stream `session` is pushed, once they arrive (pushed
 * streams are read to the end and dropped). Call it before the request whose page pushes.
 */
export function firstPushHeaders(session: http2.ClientHttp2Session): Promise<http2.IncomingHttpHeaders> {
  return new Promise((resolve) => {
    session.on('stream', (stream) => {
      stream.on('push', (headers: http2.IncomingHttpHeaders) => resolve(headers));
      stream.resume();
    });
  });
}

export function closeSession(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) return resolve();
    session.close(() => resolve());
  });
}

/** A self-signed certificate for localhost, made with openssl in a temp folder; null when openssl is missing. */
export async function makeTestCert(): Promise<{ key: Buffer; cert: Buffer } | null> {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-cert-'));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'),
          '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        (err) => (err ? reject(err) : resolve()),
      );
    });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
