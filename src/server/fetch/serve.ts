/**
 * `serve({ fetch })`: the fetch-style face of the server, as Deno.serve, Bun.serve and Hono's
 * adapters have it. An HTTP2Server runs a handler class made for this call (fetch-handler.ts);
 * every HTTP2Server option applies, `tls` stands for `ssl`, and `port`/`hostname` for the address.
 */
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { UsageError } from '../../errors.js';
import { LogLimiter } from '../../io/log-limiter.js';
import { HTTP2Server } from '../server.js';
import type { HTTP2ServerOptions } from '../server-options.js';
import { fetchHandlerClass, type FetchErrorHandler, type FetchFunction, type FetchInfo } from './fetch-handler.js';

export type { FetchErrorHandler, FetchFunction, FetchInfo } from './fetch-handler.js';

/** The port `serve()` listens on when none is given (as Bun and Hono's node adapter). */
export const DEFAULT_SERVE_PORT = 3000;

/** The options of `serve()`: the fetch function, the address, TLS, and every HTTP2Server option except `ssl`. */
export interface ServeOptions extends Omit<HTTP2ServerOptions, 'ssl'> {
  /**
   * Answers each request. `request` has the full URL, the method, the header fields (no HTTP/2
   * pseudo-headers; repeated fields appended), a streaming body (none for GET and HEAD) and a
   * `signal` aborted when the client goes away before the exchange completes. `info` tells the
   * client's address and the protocol. A throw or a rejection goes to `onError`.
   */
  fetch(request: Request, info: FetchInfo): Response | Promise<Response>;
  /** Port to listen on; 0 for any free one (then read `port`). Default 3000. */
  port?: number;
  /** Address to listen on. Default: all interfaces. */
  hostname?: string;
  /**
   * TLS: `{ key, cert, ... }` (or a `tls.SecureContext`) serves HTTPS with ALPN `h2` and
   * `http/1.1`. Omitted or null: cleartext, HTTP/2 by prior knowledge or `Upgrade: h2c`, and HTTP/1.1.
   */
  tls?: tls.SecureContextOptions | tls.SecureContext | null;
  /**
   * Makes the response when `fetch` throws or rejects. Default: the error is logged through
   * `logger` and the client gets a plain-text 500. If it throws too, both are logged and a 500 sent.
   */
  onError?(error: unknown, request: Request): Response | Promise<Response>;
}

/** A running `serve()` server. */
export interface FetchServer {
  /** The port it listens on (the one chosen, with port 0). */
  readonly port: number;
  /** Its base URL, e.g. `http://localhost:3000/` (`localhost` when listening on all interfaces). */
  readonly url: string;
  /** The bound address. */
  address(): AddressInfo;
  /** Graceful close (GOAWAY, requests in flight finish, see `HTTP2Server.close()`); resolves when closed. */
  close(): Promise<void>;
  /** The HTTP2Server underneath (stats, `sessionCount`, ...). */
  readonly server: HTTP2Server;
}

class RunningFetchServer implements FetchServer {
  readonly server: HTTP2Server;
  readonly url: string;

  constructor(server: HTTP2Server, hostname: string | null) {
    this.server = server;
    this.url = `${server.isSecure ? 'https' : 'http'}://${urlHostOf(hostname)}:${server.port}/`;
  }

  get port(): number {
    return this.server.port;
  }

  address(): AddressInfo {
    return this.server.address();
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** The host part of the server's URL: `localhost` for all interfaces, IPv6 literals in brackets. */
function urlHostOf(hostname: string | null): string {
  if (hostname === null || hostname === '' || hostname === '0.0.0.0' || hostname === '::') return 'localhost';
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

/**
 * Serves `options.fetch` over HTTP/2 (TLS with ALPN, or h2c) and HTTP/1.1 (unless `allowHTTP1`
 * is false). Resolves once listening; rejects when the address cannot be bound. Throws a
 * UsageError for a missing `fetch` or a bad port.
 *
 * ```ts
 * const server = await serve({ port: 0, fetch: (req) => new Response(`hello ${new URL(req.url).pathname}`) });
 * ```
 */
export async function serve(options: ServeOptions): Promise<FetchServer> {
  if (options === null || typeof options !== 'object' || typeof options.fetch !== 'function') {
    throw new UsageError('serve() needs options with a fetch(request) function', 'serve_no_fetch');
  }
  if (options.onError !== undefined && options.onError !== null && typeof options.onError !== 'function') {
    throw new UsageError('serve(): onError must be a function', 'serve_bad_on_error');
  }
  const { fetch, onError, port = DEFAULT_SERVE_PORT, hostname, tls: tlsOptions, ...rest } = options;
  const serverOptions: HTTP2ServerOptions = { ...rest, ssl: tlsOptions ?? null };
  const log = new LogLimiter(options.logger ?? console);
  const app = { fetch: fetch.bind(options) as FetchFunction, onError: onError === undefined || onError === null ? null : (onError.bind(options) as FetchErrorHandler), log };
  const host = hostname === undefined || hostname === '' ? null : hostname;
  const server = new HTTP2Server([host, port], fetchHandlerClass(app), serverOptions);
  await server.listen();
  return new RunningFetchServer(server, host);
}
