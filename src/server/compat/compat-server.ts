/**
 * `createServer` and `createSecureServer` with node:http2's signatures: a server whose
 * 'request' listeners get node-compatible request and response objects, run by h2kit's
 * engine (an HTTP2Server made when `listen()` is called, since node takes the address there).
 *
 * Options are node:http2's: `allowHTTP1` (default false, as node), `settings`, the TLS options
 * of `tls.createServer`, and the few limits that have an equivalent here (`maxSettings`,
 * `streamResetBurst`/`streamResetRate`); node's other tuning options have no meaning for h2kit
 * and are ignored. h2kit's own server options (`logger`, `accessLog`, `requestTimeout`, ...) may
 * be given in the same object.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import type { Settings } from '../../connection/index.js';
import type { HandlerSession } from '../request-handler.js';
import { HTTP2Server } from '../server.js';
import type { HTTP2ServerOptions } from '../server-options.js';
import { compatErrors } from './compat-errors.js';
import { compatHandlerClass, type CompatDispatcher, type CompatStreamHandler } from './compat-handler.js';
import type { Http2ServerRequest } from './compat-request.js';
import type { Http2ServerResponse } from './compat-response.js';

/** node:http2's server options that h2kit understands, and h2kit's own. */
export interface CompatServerOptions extends Omit<HTTP2ServerOptions, 'ssl' | 'allowHTTP1'> {
  /** Serve HTTP/1.x clients too (through node:http's parser). Default false, as node:http2. */
  allowHTTP1?: boolean;
  /** What the server advertises in its SETTINGS frame. */
  settings?: Partial<Settings>;
  /** Most SETTINGS entries accepted in one frame. */
  maxSettings?: number;
  /** Stream resets a client may cause at once, and per second after (Rapid Reset). */
  streamResetBurst?: number;
  streamResetRate?: number;
}

/** `createSecureServer`'s options: those and `tls.createServer`'s (`key`, `cert`, `ca`, `pfx`...). */
export type SecureCompatServerOptions = CompatServerOptions & tls.TlsOptions;

export type RequestListener = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** Option names that are h2kit's (passed through) or node:http2's (mapped or ignored): never TLS options. */
const OWN_OPTIONS = new Set<string>([
  'logger', 'accessLog', 'connection', 'handshakeTimeout', 'idleTimeout', 'closeTimeout', 'maxHttp1HeadSize', 'maxHttp1Headers',
  'headersTimeout', 'keepAliveTimeout', 'maxUpgradeBodySize', 'allowUpgrade', 'socketHighWaterMark', 'requestTimeout',
  'minRequestDataRate', 'minResponseDataRate', 'onFrame', 'onBytes',
]);
const NODE_HTTP2_OPTIONS = new Set<string>([
  'allowHTTP1', 'settings', 'maxSettings', 'streamResetBurst', 'streamResetRate', 'maxDeflateDynamicTableSize', 'maxSessionMemory',
  'maxHeaderListPairs', 'maxOutstandingPings', 'maxSendHeaderBlockLength', 'paddingStrategy', 'peerMaxConcurrentStreams',
  'selectPadding', 'unknownProtocolTimeout', 'Http1IncomingMessage', 'Http1ServerResponse', 'Http2ServerRequest',
  'Http2ServerResponse', 'origins', 'remoteCustomSettings', 'strictFieldWhitespaceValidation', 'maxSessionInvalidFrames',
  'maxSessionRejectedStreams',
]);

/** Our server options for node:http2's `options` (TLS ones go to `ssl` for a secure server). */
function serverOptionsOf(options: Record<string, unknown>, secure: boolean): HTTP2ServerOptions {
  const out: Record<string, unknown> = {};
  const ssl: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (OWN_OPTIONS.has(key)) out[key] = value;
    else if (!NODE_HTTP2_OPTIONS.has(key)) ssl[key] = value;
  }
  const connection = { ...(options.connection as HTTP2ServerOptions['connection']) };
  if (options.settings !== undefined) connection.settings = { ...connection.settings, ...(options.settings as Partial<Settings>) };
  if (typeof options.maxSettings === 'number') connection.maxSettingsEntries = options.maxSettings;
  if (typeof options.streamResetBurst === 'number' || typeof options.streamResetRate === 'number') {
    connection.resetLimit = {
      ...connection.resetLimit,
      ...(typeof options.streamResetBurst === 'number' ? { burst: options.streamResetBurst } : {}),
      ...(typeof options.streamResetRate === 'number' ? { perSecond: options.streamResetRate } : {}),
    };
  }
  out.connection = connection;
  out.allowHTTP1 = options.allowHTTP1 === true;
  if (secure) out.ssl = ssl;
  return out as HTTP2ServerOptions;
}

/** What a 'session' listener gets: the connection a stream came on, as far as a handler may touch it. */
export interface CompatSession {
  /** `[host, port]` of the client. */
  readonly clientAddress: [string, number];
  /** Graceful close: GOAWAY, streams in flight finish, then the connection closes. */
  close(callback?: () => void): void;
  /** The same graceful close (h2kit lets streams in flight finish). */
  destroy(): void;
}

export class CompatServer extends EventEmitter implements CompatDispatcher {
  /** The idle timeout set by `setTimeout()`, ms (0: h2kit's default). */
  timeout = 0;
  private readonly options: HTTP2ServerOptions;
  private readonly handlerClass = compatHandlerClass(this);
  private engine: HTTP2Server | null = null;
  private bound = false;

  constructor(options: Record<string, unknown>, onRequest: RequestListener | undefined, secure: boolean) {
    super();
    this.options = serverOptionsOf(options, secure);
    const given = this.options.onSession;
    this.options.onSession = (session) => {
      given?.(session);
      if (this.listenerCount('session') > 0) this.emit('session', sessionFacade(session));
    };
    // node:http2: with a 'timeout' listener the application decides; without one the connection closes.
    this.options.onIdleTimeout = (session) => {
      if (this.listenerCount('timeout') === 0) return false;
      this.emit('timeout', sessionFacade(session));
      return true;
    };
    if (onRequest !== undefined) this.on('request', onRequest);
  }

  /** The h2kit server under this one (null until `listen()`): its `stats`, its `close()`. */
  get server(): HTTP2Server | null {
    return this.engine;
  }

  get listening(): boolean {
    return this.bound;
  }

  /** node's forms: `listen(port[, host][, backlog][, cb])`, `listen({ port, host }[, cb])`, `listen([cb])`. TCP only. */
  listen(...args: unknown[]): this {
    const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
    let port: unknown = args[0];
    let host: unknown = args[1];
    if (port !== null && typeof port === 'object') {
      const o = port as { port?: unknown; host?: unknown; path?: unknown };
      if (o.path !== undefined) throw compatErrors.unixSocket();
      port = o.port;
      host = o.host;
    }
    if (typeof port === 'string' && port !== '' && !/^\d+$/.test(port)) throw compatErrors.unixSocket();
    const portNumber = port === undefined || port === null || port === '' ? 0 : Number(port);
    if (this.engine !== null) throw compatErrors.serverAlreadyListening();
    if (this.timeout > 0) this.options.idleTimeout = this.timeout;
    const engine = new HTTP2Server([typeof host === 'string' ? host : null, portNumber], this.handlerClass, this.options);
    this.engine = engine;
    if (cb !== undefined) this.once('listening', cb);
    engine.listen().then(
      () => {
        this.bound = true;
        this.emit('listening');
      },
      (err: unknown) => {
        this.engine = null;
        this.emit('error', err);
      },
    );
    return this;
  }

  address(): AddressInfo | null {
    return this.bound && this.engine !== null ? this.engine.address() : null;
  }

  /** Stops accepting; connections get a graceful GOAWAY and close once their streams finish. */
  close(callback?: (err?: Error) => void): this {
    const engine = this.engine;
    if (engine === null || !this.bound) {
      if (callback !== undefined) process.nextTick(callback, compatErrors.serverNotRunning());
      return this;
    }
    this.bound = false;
    if (callback !== undefined) this.once('close', callback);
    void engine.close().then(() => {
      this.engine = null;
      this.emit('close');
    });
    return this;
  }

  /** The idle timeout of connections made from now on, ms (then 'timeout' listeners decide). */
  setTimeout(ms = 0, callback?: () => void): this {
    this.timeout = ms;
    this.engine?.setIdleTimeout(ms);
    if (callback !== undefined) this.on('timeout', callback);
    return this;
  }

  /** Fastify and others call these on close; h2kit's close() already ends idle connections. */
  closeIdleConnections(): void {}

  closeAllConnections(): void {}

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---- from the streams ----

  dispatch(req: Http2ServerRequest, res: Http2ServerResponse, expect: string | null): void {
    if (expect !== null) {
      if (expect === '100-continue') {
        if (this.listenerCount('checkContinue') > 0) {
          this.emit('checkContinue', req, res);
          return;
        }
        res.writeContinue();
      } else {
        // RFC 9110 section 10.1.1: an expectation we cannot meet is 417, unless the application takes it.
        if (this.listenerCount('checkExpectation') > 0) this.emit('checkExpectation', req, res);
        else res.writeHead(417).end();
        return;
      }
    }
    if (req.method === 'CONNECT' && this.listenerCount('connect') > 0) {
      this.emit('connect', req, res);
      return;
    }
    this.emit('request', req, res);
  }
}

/** What 'session' and 'timeout' listeners get for a connection. */
function sessionFacade(session: HandlerSession): CompatSession {
  return {
    clientAddress: session.clientAddress,
    close: (callback) => {
      session.shutdown();
      if (callback !== undefined) process.nextTick(callback);
    },
    destroy: () => session.shutdown(),
  };
}

/** node:http2's `createServer([options][, onRequest])`: cleartext (h2c, and HTTP/1.1 with `allowHTTP1`). */
export function createServer(optionsOrListener?: CompatServerOptions | RequestListener, onRequest?: RequestListener): CompatServer {
  if (typeof optionsOrListener === 'function') return new CompatServer({}, optionsOrListener, false);
  return new CompatServer((optionsOrListener ?? {}) as Record<string, unknown>, onRequest, false);
}

/** node:http2's `createSecureServer(options[, onRequest])`: TLS with ALPN h2 (and http/1.1 with `allowHTTP1`). */
export function createSecureServer(options: SecureCompatServerOptions, onRequest?: RequestListener): CompatServer {
  if (options === null || typeof options !== 'object') throw compatErrors.argType('options', 'of type object', options);
  return new CompatServer(options as Record<string, unknown>, onRequest, true);
}

export type { CompatStreamHandler };
