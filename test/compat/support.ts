/**
 * The compatibility suite's support: the implementations every test runs against, and the
 * few helpers the tests share (start a server, connect a client, one request collected whole,
 * a signal that carries server-side assertions back to the test, and cleanup).
 *
 * Every test runs twice: against node:http2 (the reference: a test that fails there is a wrong
 * test) and against h2kit's node:http2-compatible API. h2kit's functions are looked up at run
 * time so the suite compiles before they exist; without them the h2kit variants are skipped.
 * `COMPAT_IMPL=node:http2` (or `h2kit`) runs one side only.
 *
 * The tests are typed with node:http2's own types: h2kit's API is meant to be a drop-in, so a
 * handler written for node:http2 must run on it unchanged.
 */
import http2 from 'node:http2';
import https from 'node:https';
import type { IncomingHttpHeaders as Http1IncomingHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { makeTestCert } from '../server/support.js';

export type CreateServer = typeof http2.createServer;
export type CreateSecureServer = typeof http2.createSecureServer;
export type AnyServer = http2.Http2Server | http2.Http2SecureServer;
export type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

export interface Implementation {
  name: 'node:http2' | 'h2kit';
  createServer: CreateServer;
  createSecureServer: CreateSecureServer;
  /** Why this implementation's tests are skipped (false: they run). */
  skip: string | false;
  /** Why its TLS tests are skipped (false: they run). */
  skipSecure: string | false;
}

function missing(what: string): never {
  throw new Error(`${what} is not exported by h2kit`);
}

/** node:http2, then h2kit (skipped, with the reason, while its root has no createServer). */
export async function implementations(): Promise<Implementation[]> {
  const h2kit = (await import('../../src/index.js')) as unknown as Record<string, unknown>;
  const hasPlain = typeof h2kit.createServer === 'function';
  const hasSecure = typeof h2kit.createSecureServer === 'function';
  const all: Implementation[] = [
    {
      name: 'node:http2',
      createServer: http2.createServer,
      createSecureServer: http2.createSecureServer,
      skip: false,
      skipSecure: false,
    },
    {
      name: 'h2kit',
      createServer: hasPlain ? (h2kit.createServer as CreateServer) : () => missing('createServer'),
      createSecureServer: hasSecure ? (h2kit.createSecureServer as CreateSecureServer) : () => missing('createSecureServer'),
      skip: hasPlain ? false : 'h2kit does not export createServer yet',
      skipSecure: hasSecure ? false : 'h2kit does not export createSecureServer yet',
    },
  ];
  const only = process.env.COMPAT_IMPL;
  return only === undefined || only === '' ? all : all.filter((i) => i.name === only);
}

let certPromise: Promise<{ key: Buffer; cert: Buffer }> | undefined;

/** A self-signed certificate for localhost/127.0.0.1, made once per test file. */
export function testCert(): Promise<{ key: Buffer; cert: Buffer }> {
  certPromise ??= makeTestCert().then((c) => {
    if (c === null) throw new Error('openssl is needed to make the test certificate');
    return c;
  });
  return certPromise;
}

/**
 * The client-side waits in progress (`collect`, `once`): a server-side assertion that fails
 * inside `Signal.guard` fails them at once, so the test reports that assertion instead of
 * waiting for a response the failed handler will never send.
 */
const waiting = new Set<(err: unknown) => void>();

function failWaiting(err: unknown): void {
  for (const fail of [...waiting]) fail(err);
}

/**
 * A promise settled from callbacks on the server side, with a time limit that names what was
 * awaited. `guard(fn)` wraps a callback so an assertion that throws inside it rejects the
 * signal (and so fails the test that awaits it) instead of becoming an uncaught exception.
 */
export class Signal<T = void> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  settled = false;

  constructor(what: string, timeoutMs = 3000) {
    this.promise = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      timer.unref();
      this.resolve = (v) => {
        this.settled = true;
        clearTimeout(timer);
        resolve(v);
      };
      this.reject = (e) => {
        this.settled = true;
        clearTimeout(timer);
        reject(e);
      };
    });
    // A signal nobody awaits (the test failed earlier) must not become an unhandled rejection.
    this.promise.catch(() => {});
  }

  guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.reject(err);
        failWaiting(err);
      }
    };
  }
}

/** Everything one client-side request saw, collected until the stream's 'close'. */
export interface Exchange {
  status: number | undefined;
  headers: http2.IncomingHttpHeaders;
  /** The flags of the response HEADERS frame (1 = END_STREAM). */
  flags: number | undefined;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | undefined;
  /** Whether a 100 (Continue) arrived, and whether it came before the final response. */
  continued: boolean;
  continuedBeforeResponse: boolean;
  /** Informational (1xx other than 100) header blocks. */
  informational: http2.IncomingHttpHeaders[];
  /** Whether the stream's readable side ended normally ('end'). */
  ended: boolean;
  rstCode: number | undefined;
  error: (Error & { code?: string }) | undefined;
}

/**
 * Collects a client stream's whole exchange, resolving at the stream's 'close' (a reset
 * included: see `rstCode`/`error`). Rejects only when a guarded server-side assertion fails
 * meanwhile, or when the stream has not closed within `timeoutMs` (naming what had arrived).
 */
export function collect(req: http2.ClientHttp2Stream, timeoutMs = 3000): Promise<Exchange> {
  const ex: Exchange = {
    status: undefined,
    headers: {},
    flags: undefined,
    body: Buffer.alloc(0),
    trailers: undefined,
    continued: false,
    continuedBeforeResponse: false,
    informational: [],
    ended: false,
    rstCode: undefined,
    error: undefined,
  };
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => {
      clearTimeout(timer);
      waiting.delete(fail);
      reject(err);
    };
    const timer = setTimeout(() => {
      const got = ex.status === undefined ? 'no response' : `status ${ex.status}, ${Buffer.concat(chunks).length} body bytes, ended ${ex.ended}`;
      fail(new Error(`the client stream did not close within ${timeoutMs} ms (${got})`));
    }, timeoutMs);
    waiting.add(fail);
    req.on('continue', () => {
      ex.continued = true;
      ex.continuedBeforeResponse = ex.status === undefined;
    });
    req.on('headers', (h) => ex.informational.push(h));
    req.on('response', (h, flags) => {
      ex.headers = h;
      ex.flags = flags;
      ex.status = Number(h[':status']);
    });
    req.on('trailers', (t) => (ex.trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => (ex.ended = true));
    req.on('error', (err: Error) => (ex.error = err));
    req.on('close', () => {
      clearTimeout(timer);
      waiting.delete(fail);
      ex.body = Buffer.concat(chunks);
      ex.rstCode = req.rstCode;
      resolve(ex);
    });
  });
}

/** Options of one request made by `Harness.request`. */
export interface RequestOptions {
  /** Written then ended; without it the request is sent with END_STREAM. */
  body?: string | Buffer;
  /** Trailers sent after the body (needs `body`). */
  trailers?: http2.OutgoingHttpHeaders;
}

/**
 * Starts servers and clients for one describe block and closes all of them after each test
 * (`afterEach(() => h.closeAll())`): clients first, so the servers' close completes.
 */
export class Harness {
  private readonly servers: AnyServer[] = [];
  private readonly sessions: http2.ClientHttp2Session[] = [];
  private readonly agents: https.Agent[] = [];
  private readonly sockets: TLSSocket[] = [];

  constructor(readonly impl: Implementation) {}

  /** A plain-TCP (h2c) server on 127.0.0.1, port 0; `handler` becomes its 'request' listener. */
  async start(handler?: Handler, options: http2.ServerOptions = {}): Promise<{ server: http2.Http2Server; url: string; port: number }> {
    const server = handler === undefined ? this.impl.createServer(options) : this.impl.createServer(options, handler);
    this.servers.push(server);
    const port = await listen(server);
    return { server, url: `http://127.0.0.1:${port}`, port };
  }

  /** A TLS server (h2 over ALPN, and HTTP/1.1 too when `options.allowHTTP1`). */
  async startSecure(
    handler?: Handler,
    options: http2.SecureServerOptions = {},
  ): Promise<{ server: http2.Http2SecureServer; url: string; port: number }> {
    const { key, cert } = await testCert();
    const opts = { key, cert, ...options };
    const server = handler === undefined ? this.impl.createSecureServer(opts) : this.impl.createSecureServer(opts, handler);
    this.servers.push(server);
    const port = await listen(server);
    return { server, url: `https://127.0.0.1:${port}`, port };
  }

  /** Keeps a server made by the test itself, to close it after the test. */
  track(server: AnyServer): void {
    this.servers.push(server);
  }

  /** A node:http2 client session, connected. */
  connect(url: string, options: http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
    const session = http2.connect(url, { rejectUnauthorized: false, ...options });
    this.sessions.push(session);
    session.on('error', () => {}); // a test that cares listens itself; cleanup must not throw
    return new Promise((resolve, reject) => {
      session.once('connect', () => {
        session.off('error', reject);
        resolve(session);
      });
      session.once('error', reject);
    });
  }

  /** One request on `session`, collected whole. */
  request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders = {}, options: RequestOptions = {}): Promise<Exchange> {
    const { body, trailers } = options;
    const req = session.request(
      { ':path': '/', ...headers },
      { endStream: body === undefined, waitForTrailers: trailers !== undefined },
    );
    if (trailers !== undefined) req.on('wantTrailers', () => req.sendTrailers(trailers));
    const done = collect(req);
    if (body !== undefined) req.end(body);
    return done;
  }

  /** Connect, make one request, return what it saw (the session stays open until cleanup). */
  async get(url: string, headers: http2.OutgoingHttpHeaders = {}, options: RequestOptions = {}): Promise<Exchange> {
    const session = await this.connect(url);
    return this.request(session, headers, options);
  }

  /** One HTTP/1.1 request over TLS with node:https (a fresh agent, closed at cleanup). */
  http1(
    url: string,
    options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; alpn?: string[] } = {},
  ): Promise<{ status: number; headers: Http1IncomingHeaders; body: Buffer; httpVersion: string; alpn: string | false | null }> {
    const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
    this.agents.push(agent);
    return new Promise((resolve, reject) => {
      const req = https.request(url + (options.path ?? '/'), { method: options.method ?? 'GET', headers: options.headers, agent, ...({ ALPNProtocols: options.alpn } as https.RequestOptions) }, (res) => {
        const chunks: Buffer[] = [];
        const alpn = (res.socket as TLSSocket).alpnProtocol ?? null; // read now: a kept-alive socket is detached at 'end'
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), httpVersion: res.httpVersion, alpn });
        });
        res.on('error', reject);
      });
      // Kept to be destroyed at cleanup: a refused connection (node:http2's 403) stays open otherwise.
      req.on('socket', (socket: TLSSocket) => this.sockets.push(socket));
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** Closes every client, then every server (bounded: a server that will not close fails the hook). */
  async closeAll(): Promise<void> {
    for (const s of this.sessions.splice(0)) if (!s.destroyed) s.destroy();
    for (const a of this.agents.splice(0)) a.destroy();
    for (const s of this.sockets.splice(0)) s.destroy();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((server) => closeServer(server)));
  }
}

function listen(server: AnyServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: AnyServer, timeoutMs = 3000): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server.close() did not complete within ${timeoutMs} ms`)), timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves with the arguments of the next `event` on `emitter`, or rejects after `timeoutMs`. */
export function once<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  timeoutMs = 3000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => {
      clearTimeout(timer);
      waiting.delete(fail);
      emitter.off(event, listener);
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`)), timeoutMs);
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      waiting.delete(fail);
      resolve(args as T);
    };
    waiting.add(fail);
    emitter.once(event, listener);
  });
}

/** A node error's shape, for assert.throws / assert.match on callbacks. */
export function codeOf(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}
