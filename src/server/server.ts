/**
 * HTTP2Server: listens, decides how each connection speaks HTTP/2, and hands it to a
 * ServerSession.
 *
 * - TLS (`options.ssl`): ALPN offers `h2` and `http/1.1`; `h2` goes straight to HTTP/2,
 *   `http/1.1` to the HTTP/1.1 side (http1-gateway.ts, node:http), which serves it (`allowHTTP1`)
 *   or answers 505. A client without ALPN is sniffed like a cleartext one, except that it may not
 *   upgrade (RFC 9113 section 3.2: h2c is for cleartext).
 * - Cleartext: the first bytes decide (sniff.ts): the preface is HTTP/2; an HTTP/1.x request line
 *   goes to the HTTP/1.1 side (which also carries `Upgrade: h2c`); bytes that are neither are
 *   closed at once. h2kit has no HTTP/1.1 parser of its own: node:http reads every HTTP/1.x head.
 * - No exception on a socket's path reaches the process: each listener is guarded
 *   (listener-guard.ts; sessions guard their own), and one that throws ends its connection,
 *   counted in `stats.unexpectedErrors`.
 * - A heartbeat walks the sessions for the request deadline and the data-rate floors.
 * - Sockets get TCP_NODELAY; the TLS handshake and the sniffing have a timeout, sessions an idle timeout.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MAX_SETTINGS_ENTRIES } from '../connection/index.js';
import { UsageError } from '../errors.js';
import type { FailpointName } from '../io/failpoints.js';
import { LogLimiter } from '../io/log-limiter.js';
import { accessLogger } from './access-log.js';
import { Http1Gateway } from './http1-gateway.js';
import { listenerGuard } from './listener-guard.js';
import { sniffFirstBytes, type SniffHost, type SniffSettings } from './sniff.js';
import type { HandlerSession, RequestHandlerClass } from './request-handler.js';
import { DEFAULT_MIN_DATA_RATE, type HTTP2ServerOptions, type ServerStats } from './server-options.js';
import { ServerSession, type SessionContext, type StreamTimeoutCounters } from './session.js';

export type { HTTP2ServerOptions, ServerStats } from './server-options.js';
import { sessionObserverOf } from './session-context.js';

/** The heartbeat that checks deadlines and floors beats at most this far apart, ms. */
const HEARTBEAT_MS = 1000;

/** ALPN: h2 first; http/1.1 so that HTTP/1.1-only clients complete the handshake and read a clear refusal. */
const ALPN_PROTOCOLS = ['h2', 'http/1.1'];


function isSecureContext(ssl: object): ssl is tls.SecureContext {
  // tls.createSecureContext() returns an object wrapping a native `context`; plain options have none.
  return 'context' in ssl && typeof (ssl as { context: unknown }).context === 'object' && !('key' in ssl) && !('cert' in ssl) && !('pfx' in ssl);
}

export class HTTP2Server {
  readonly RequestHandlerClass: RequestHandlerClass;
  private readonly host: string | null;
  private readonly requestedPort: number;
  private readonly secure: boolean;
  private readonly netServer: net.Server;
  private readonly ctx: SessionContext;
  private readonly sessions = new Set<ServerSession>();
  /** The HTTP/1.1 side: serves HTTP/1.x (`allowHTTP1`) or answers it 505, and carries `Upgrade: h2c`. */
  private readonly http1: Http1Gateway;
  /** Sockets not yet handed to a session (TLS handshake or sniffing). */
  private readonly pending = new Set<net.Socket>();
  private readonly handshakeTimers = new Map<net.Socket, NodeJS.Timeout>();
  private readonly handshakeTimeout: number;
  private readonly closeTimeout: number;
  /** Lines a peer can trigger (handler failures, unexpected errors) are rate-limited per kind. */
  private readonly log: LogLimiter;
  /** Exceptions h2kit did not expect on a connection's path: each ended its connection. */
  private unexpectedErrors = 0;
  /** Wraps every listener before a session takes the socket (see listener-guard.ts). */
  private readonly guard = listenerGuard((err, where, client) => this.unexpectedError(err, where, client));
  private readonly sniffSettings: SniffSettings;
  private readonly sniffHost: SniffHost;
  private readonly connectionErrors = new Map<string, number>();
  private readonly timeoutCounters: StreamTimeoutCounters = { requestTimeouts: 0, responseTimeouts: 0, slowRequests: 0, slowResponses: 0 };
  /** Checks request deadlines and data-rate floors across the sessions (null when none is set, or not listening). */
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly heartbeatMs: number;
  private listening: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private onAllSessionsClosed: (() => void) | null = null;
  private readonly onSession: ((session: HandlerSession) => void) | null;

  /**
   * `options` may also be the TLS settings themselves, as the seed's positional `ssl` argument:
   * a `tls.SecureContext`, or TLS options with `key`/`cert`/`pfx` (our options have none of those).
   */
  constructor(
    address: readonly [string | null, number],
    RequestHandlerClass: RequestHandlerClass,
    optionsOrSsl: HTTP2ServerOptions | tls.SecureContext | tls.TlsOptions | null = {},
  ) {
    const options: HTTP2ServerOptions =
      optionsOrSsl === null ? {} : isSecureContext(optionsOrSsl) || 'key' in optionsOrSsl || 'cert' in optionsOrSsl || 'pfx' in optionsOrSsl
        ? { ssl: optionsOrSsl as tls.SecureContext | tls.TlsOptions }
        : (optionsOrSsl as HTTP2ServerOptions);
    if (!Array.isArray(address) || address.length !== 2 || !Number.isInteger(address[1]) || address[1] < 0 || address[1] > 65535) {
      throw new UsageError(`address must be [host | null, port 0..65535], got ${JSON.stringify(address)}`, 'server_bad_address');
    }
    if (typeof RequestHandlerClass !== 'function') {
      throw new UsageError('RequestHandlerClass must be a subclass of BaseRequestHandler', 'server_bad_handler_class');
    }
    this.RequestHandlerClass = RequestHandlerClass;
    this.host = address[0];
    this.requestedPort = address[1];
    this.handshakeTimeout = options.handshakeTimeout ?? 10000;
    this.closeTimeout = options.closeTimeout ?? 30000;
    this.sniffSettings = { handshakeTimeout: this.handshakeTimeout, maxHeadSize: options.maxHttp1HeadSize ?? 16384 };
    this.sniffHost = {
      guard: this.guard,
      pending: this.pending,
      startSession: (socket, initial, scheme) => this.startSession(socket, initial, scheme),
      startHttp1: (socket, initial, scheme) => this.startHttp1(socket, initial, scheme),
    };
    this.onSession = options.onSession ?? null;
    const logger = options.logger ?? console;
    this.log = new LogLimiter(logger);
    this.ctx = {
      handlerClass: RequestHandlerClass,
      logger,
      log: this.log,
      unexpectedError: (err, where, client) => this.unexpectedError(err, where, client),
      accessLog: accessLogger(options.accessLog),
      connectionOptions: options.connection ?? {},
      // At least the socket's own mark (16 KiB), so that stopping at ours always ends in a 'drain'.
      socketHighWaterMark: Math.max(16384, options.socketHighWaterMark ?? 1048576),
      idleTimeout: options.idleTimeout ?? 120000,
      onIdleTimeout: options.onIdleTimeout ?? null,
      requestTimeout: options.requestTimeout ?? 300000,
      responseTimeout: options.responseTimeout ?? 300000,
      minRequestDataRate: options.minRequestDataRate === undefined ? DEFAULT_MIN_DATA_RATE : options.minRequestDataRate,
      minResponseDataRate: options.minResponseDataRate === undefined ? DEFAULT_MIN_DATA_RATE : options.minResponseDataRate,
      counters: this.timeoutCounters,
      connectionErrors: this.connectionErrors,
      observeBytes: sessionObserverOf(options.onFrame ?? null, options.onBytes ?? null),
      sessionClosed: (session) => {
        this.sessions.delete(session);
        this.maybeAllClosed();
      },
    };
    this.http1 = new Http1Gateway(
      {
        ctx: this.ctx,
        guard: this.guard,
        startSession: (socket, initial, scheme) => this.startSession(socket, initial, scheme),
        allHttp1Closed: () => this.maybeAllClosed(),
      },
      {
        serveHttp1: options.allowHTTP1 ?? true,
        maxHeadSize: this.sniffSettings.maxHeadSize,
        maxHeadersCount: options.maxHttp1Headers ?? 200,
        // The first head's deadline is the handshake's (from accept to a request); every later one's too.
        headersTimeout: options.headersTimeout ?? this.handshakeTimeout,
        requestTimeout: this.ctx.requestTimeout,
        keepAliveTimeout: options.keepAliveTimeout ?? 5000,
        allowUpgrade: options.allowUpgrade ?? true,
        maxUpgradeBodySize: options.maxUpgradeBodySize ?? 1048576,
        maxSettingsEntries: options.connection?.maxSettingsEntries ?? DEFAULT_MAX_SETTINGS_ENTRIES,
        upgradeBodyTimeout: this.handshakeTimeout,
      },
    );
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    // A beat a second, or faster when a deadline or grace period is shorter (tests, tight configs).
    const spans = [this.ctx.requestTimeout, this.ctx.responseTimeout, this.ctx.minRequestDataRate?.graceMs ?? 0, this.ctx.minResponseDataRate?.graceMs ?? 0].filter((ms) => ms > 0);
    this.heartbeatMs = spans.length === 0 ? 0 : Math.max(25, Math.min(HEARTBEAT_MS, Math.floor(Math.min(...spans) / 4)));

    const ssl = options.ssl ?? null;
    this.secure = ssl !== null;
    if (ssl !== null && isSecureContext(ssl)) {
      // tls.Server builds its own context from key/cert options and ignores a ready one, so a
      // SecureContext is served by wrapping each TCP socket in a server-side TLSSocket.
      this.netServer = net.createServer(this.guard('accept', (raw: net.Socket) => this.onRawTlsConnection(raw, ssl)));
    } else if (ssl !== null) {
      const tlsOptions: tls.TlsOptions = { ...(ssl as tls.TlsOptions) };
      tlsOptions.ALPNProtocols ??= ALPN_PROTOCOLS;
      // Ours (handshakeDeadline) is the deadline: absolute from accept, where Node's is re-armed by
      // each octet. Node's stays a backstop just behind it, so the two never race to close a socket.
      tlsOptions.handshakeTimeout ??= this.handshakeTimeout + 1000;
      const server = tls.createServer(tlsOptions);
      server.on(
        'connection',
        this.guard('accept', (socket: net.Socket) => {
          socket.setNoDelay(true);
          this.pending.add(socket);
          this.handshakeDeadline(socket);
          socket.once('close', () => this.pending.delete(socket));
        }),
      );
      server.on('secureConnection', this.guard('tls-secure', (socket: tls.TLSSocket) => this.onTlsConnection(socket)));
      server.on(
        'tlsClientError',
        this.guard('tls-client-error', (_err: Error, socket: tls.TLSSocket) => {
          // Failed handshakes (wrong protocol, timeout, garbage): with a listener, Node leaves the socket to us.
          socket.destroy();
        }),
      );
      this.netServer = server;
    } else {
      this.netServer = net.createServer(this.guard('accept', (socket: net.Socket) => this.onCleartextConnection(socket)));
    }
    this.netServer.on('close', () => this.resolveClosed());
  }

  /** Binds the address. Resolves once listening; the bound port is then in `port`. */
  listen(): Promise<void> {
    this.listening ??= new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.netServer.once('error', onError);
      const done = (): void => {
        this.startHeartbeat();
        this.netServer.off('error', onError);
        this.netServer.on('error', (err) => this.ctx.logger.error('h2kit: server error:', err));
        resolve();
      };
      if (this.host === null) this.netServer.listen(this.requestedPort, done);
      else this.netServer.listen(this.requestedPort, this.host, done);
    });
    return this.listening;
  }

  /** Listens (if not yet) and serves until `close()`; resolves when the server has closed. */
  async serveForever(): Promise<void> {
    await this.listen();
    await this.closed;
    if (this.closing !== null) await this.closing;
  }

  /** The bound address (after `listen()`). */
  address(): AddressInfo {
    const a = this.netServer.address();
    if (a === null || typeof a === 'string') throw new UsageError('the server is not listening yet: await listen() first', 'server_not_listening');
    return a;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.address().port;
  }

  /** The idle timeout (`idleTimeout`, ms; 0: none) of connections made from now on. */
  setIdleTimeout(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`an idle timeout must be a number of ms >= 0, got ${String(ms)}`, 'server_bad_idle_timeout');
    this.ctx.idleTimeout = ms;
  }

  /** Whether this server speaks TLS. */
  get isSecure(): boolean {
    return this.secure;
  }

  /** Connections being served now. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Counters for monitoring and leak checks, summed over the sessions. */
  get stats(): ServerStats {
    let streams = 0;
    let drainWaiters = 0;
    let timers = this.handshakeTimers.size;
    for (const session of this.sessions) {
      const st = session.stats;
      streams += st.streams;
      drainWaiters += st.drainWaiters;
      if (st.timerArmed) timers++;
      if (st.idleTimerArmed) timers++;
    }
    return {
      sessions: this.sessions.size,
      http1Connections: this.http1.sessions.size,
      pendingSockets: this.pending.size,
      streams,
      drainWaiters,
      timers,
      unexpectedErrors: this.unexpectedErrors,
      logLinesSuppressed: this.log.suppressedTotal,
      ...this.timeoutCounters,
      connectionErrors: Object.fromEntries(this.connectionErrors),
    };
  }

  /**
   * Graceful shutdown: stop accepting, GOAWAY(NO_ERROR) on every connection, let streams in
   * flight finish, then close the sockets (forcibly after `closeTimeout`). Resolves when closed.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (!this.netServer.listening) {
      this.resolveClosed();
      this.closing = Promise.resolve();
      return this.closing;
    }
    this.netServer.close();
    this.stopHeartbeat();
    for (const socket of this.pending) socket.destroy();
    for (const session of this.sessions) session.shutdown();
    this.http1.shutdown();
    const force = setTimeout(() => {
      for (const session of this.sessions) session.destroy();
      this.http1.destroyAll();
    }, this.closeTimeout);
    force.unref();
    // Resolve once the listener is closed and every session has torn down (its handlers saw onClose).
    const sessionsGone = new Promise<void>((resolve) => {
      this.onAllSessionsClosed = resolve;
      this.maybeAllClosed();
    });
    this.closing = Promise.all([this.closed, sessionsGone]).then(() => clearTimeout(force));
    return this.closing;
  }

  /** While closing: resolves close() once no connection of either protocol is left. */
  private maybeAllClosed(): void {
    if (this.sessions.size === 0 && this.http1.sessions.size === 0) this.onAllSessionsClosed?.();
  }

  // ---- the heartbeat ----

  private startHeartbeat(): void {
    if (this.heartbeatMs === 0 || this.heartbeat !== null) return;
    this.heartbeat = setInterval(this.beat, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Each session checks its own streams and guards itself (a failure ends that session only). */
  private readonly beat = (): void => {
    const now = performance.now();
    for (const session of this.sessions) session.heartbeat(now);
  };

  // ---- unexpected errors ----

  /** Counts and logs (rate-limited) an exception h2kit did not expect; its connection is being closed. */
  private unexpectedError(err: unknown, where: FailpointName, client: readonly [string, number] | null): void {
    this.unexpectedErrors++;
    const from = client === null ? '' : ` from ${client[0]}:${client[1]}`;
    try {
      this.log.error('unexpected', `h2kit: unexpected error (${where}) on a connection${from}; the connection is closed:`, err);
    } catch {
      // A logger that throws must not turn one bad connection into a dead process.
    }
  }

  // ---- transports ----

  private onRawTlsConnection(raw: net.Socket, secureContext: tls.SecureContext): void {
    if (this.closing !== null) {
      raw.destroy();
      return;
    }
    raw.setNoDelay(true);
    this.pending.add(raw);
    raw.once('close', () => this.pending.delete(raw));
    this.handshakeDeadline(raw);
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext, ALPNProtocols: ALPN_PROTOCOLS });
    const onHandshakeError = this.guard(
      'tls-client-error',
      () => socket.destroy(),
      () => socket,
    );
    socket.on('error', onHandshakeError);
    socket.once(
      'secure',
      this.guard(
        'tls-secure',
        () => {
          socket.off('error', onHandshakeError);
          this.pending.delete(raw);
          this.onTlsConnection(socket);
        },
        () => socket,
      ),
    );
  }

  /**
   * An absolute deadline for the TLS handshake (from accept): socket.setTimeout would be re-armed
   * by every octet, so a client dribbling its ClientHello could hold the socket forever.
   */
  private handshakeDeadline(raw: net.Socket): void {
    const timer = setTimeout(
      this.guard(
        'handshake-timeout',
        () => raw.destroy(),
        () => raw,
      ),
      this.handshakeTimeout,
    );
    timer.unref();
    this.handshakeTimers.set(raw, timer);
    raw.once('close', () => this.clearHandshakeDeadline(raw));
  }

  private clearHandshakeDeadline(raw: net.Socket): void {
    const timer = this.handshakeTimers.get(raw);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.handshakeTimers.delete(raw);
  }

  private onTlsConnection(socket: tls.TLSSocket): void {
    // The handshake is over: the raw TCP socket under it is no longer "pending" (close() must not cut it).
    const raw = (socket as unknown as { _parent?: net.Socket })._parent;
    if (raw !== undefined) {
      this.pending.delete(raw);
      this.clearHandshakeDeadline(raw);
    }
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    if (socket.alpnProtocol === 'h2') {
      this.pending.delete(socket);
      this.startSession(socket, Buffer.alloc(0), 'https');
    } else if (socket.alpnProtocol === 'http/1.1') {
      this.startHttp1(socket, null, 'https');
    } else {
      // No ALPN: a client with prior knowledge may still send the preface; HTTP/1.x goes to the HTTP/1.1 side.
      sniffFirstBytes(socket, 'https', this.sniffSettings, this.sniffHost);
    }
  }

  private onCleartextConnection(socket: net.Socket): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    sniffFirstBytes(socket, 'http', this.sniffSettings, this.sniffHost);
  }

  private startHttp1(socket: net.Socket, initial: Buffer | null, scheme: 'http' | 'https'): void {
    this.pending.delete(socket);
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    this.http1.accept(socket, initial, scheme);
  }

  private startSession(socket: net.Socket, initial: Buffer | null, scheme: 'http' | 'https'): ServerSession {
    this.pending.delete(socket);
    const session = new ServerSession(this.ctx, socket, scheme);
    this.sessions.add(session);
    if (this.onSession !== null) {
      try {
        this.onSession(session);
      } catch (err) {
        this.log.error('handler', 'h2kit: onSession threw; the connection is closed:', err);
        session.destroy();
        return session;
      }
    }
    if (this.closing !== null) session.shutdown();
    if (initial !== null) session.start(initial);
    return session;
  }
}
