/**
 * The HTTP/1.1 side of the server: sockets that speak HTTP/1.x are handed, with
 * the bytes already read put back, to an internal `node:http` server that is never bound. Node's
 * own parser (llhttp) reads the requests, with its limits: head size, header count,
 * headersTimeout (slowloris), requestTimeout, keepAliveTimeout, and its refusal of conflicting
 * Content-Length / Transfer-Encoding (request smuggling). Each connection is an Http1Session
 * that serves the server's request handlers; without `allowHTTP1`, each request is answered 505.
 *
 * `Upgrade: h2c` arrives through node:http's 'upgrade' event: the request is judged by the same
 * h2cUpgradeOf as before (its HTTP2-Settings, its fields as a HEADERS frame would carry them),
 * its body read, 101 written, and the socket continues as an HTTP/2 session. Node hands every
 * request with an Upgrade field to that event; one for another protocol (a WebSocket client)
 * is served as a plain request (RFC 9110 section 7.8 lets a server ignore Upgrade), on a
 * connection that closes after it, since node:http no longer reads that socket.
 */
import http from 'node:http';
import type net from 'node:net';
import { Http1RequestError } from './errors.js';
import { CONTINUE, h2cUpgradeOf, http1Response, SWITCHING_PROTOCOLS, type H2cUpgrade } from './http1.js';
import { Http1Response, pairsOf, SESSION_OF_SOCKET as SESSION } from './http1-exchange.js';
import { Http1Session, refuse, type Http1SessionHost } from './http1-session.js';
import { failpoint } from '../io/failpoints.js';
import type { ListenerGuard } from './listener-guard.js';
import type { SessionContext } from './session-context.js';
import type { ServerSession } from './session.js';

export interface Http1Settings {
  /** Serve HTTP/1.x requests (`allowHTTP1`); false: each gets a short 505 and the connection closes (h2c upgrades still work). */
  serveHttp1: boolean;
  /** Largest request head, bytes (node's maxHeaderSize). */
  maxHeadSize: number;
  /** Most header fields in a request head (node's maxHeadersCount). */
  maxHeadersCount: number;
  /** Time for a request head to arrive whole, ms (node's headersTimeout): slowloris. */
  headersTimeout: number;
  /** Time for a whole request, ms (node's requestTimeout); 0: none. */
  requestTimeout: number;
  /** An idle keep-alive connection closes after this long, ms (node's keepAliveTimeout). */
  keepAliveTimeout: number;
  allowUpgrade: boolean;
  maxUpgradeBodySize: number;
  maxSettingsEntries: number;
  /** Deadline for an upgrade request's body, ms. */
  upgradeBodyTimeout: number;
}

/** What the gateway needs of its server. */
export interface Http1GatewayHost {
  readonly ctx: SessionContext;
  readonly guard: ListenerGuard;
  /** The socket speaks HTTP/2 now (after an h2c upgrade). */
  startSession(socket: net.Socket, initial: Buffer | null, scheme: 'http' | 'https'): ServerSession;
  /** The last HTTP/1.1 connection closed. */
  allHttp1Closed(): void;
}

type TaggedSocket = net.Socket & { [SESSION]?: Http1Session };

export class Http1Gateway implements Http1SessionHost {
  readonly ctx: SessionContext;
  readonly sessions = new Set<Http1Session>();
  private readonly host: Http1GatewayHost;
  private readonly settings: Http1Settings;
  private readonly server: http.Server<typeof http.IncomingMessage, typeof Http1Response>;
  /** node:http's connection tracking has been started (first HTTP/1.x socket). */
  private tracking = false;

  constructor(host: Http1GatewayHost, settings: Http1Settings) {
    this.host = host;
    this.ctx = host.ctx;
    this.settings = settings;
    // Node refuses a headersTimeout above a (non-zero) requestTimeout: the head is part of the request.
    const headersTimeout = settings.requestTimeout > 0 ? Math.min(settings.headersTimeout, settings.requestTimeout) : settings.headersTimeout;
    const server = http.createServer({
      maxHeaderSize: settings.maxHeadSize,
      headersTimeout,
      requestTimeout: settings.requestTimeout,
      keepAliveTimeout: settings.keepAliveTimeout,
      // Node checks the two deadlines above on this interval (30 s by default, too coarse for a 10 s deadline).
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(headersTimeout / 4))),
      requireHostHeader: true,
      noDelay: true,
      ServerResponse: Http1Response,
    });
    // One more than the limit, so that a head over it is seen (node:http would drop the extra fields silently) and refused.
    server.maxHeadersCount = settings.maxHeadersCount + 1;
    server.on('request', (req: http.IncomingMessage, res: Http1Response) => this.onRequest(req, res));
    server.on('upgrade', host.guard('http1-upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onUpgrade(req, socket, head)));
    this.server = server;
  }

  /** Serves `socket` as HTTP/1.1; `initial`: bytes already read from it (the sniffed request line). */
  accept(socket: net.Socket, initial: Buffer | null, scheme: 'http' | 'https'): void {
    if (!this.tracking) {
      // Node's connection tracking (the deadlines above, checked on a timer) starts on 'listening';
      // this server is never bound, since sockets come from ours, so it is started by hand, with the
      // first HTTP/1.x socket: a server only HTTP/2 clients reach runs no such timer.
      this.tracking = true;
      this.server.emit('listening');
    }
    const session = new Http1Session(this, socket, scheme);
    (socket as TaggedSocket)[SESSION] = session;
    this.sessions.add(session);
    if (initial !== null && initial.length > 0) socket.unshift(initial);
    this.server.emit('connection', socket);
  }

  /** A request parsed by node:http: its connection's session serves it. Guarded: a throw ends that connection only. */
  private onRequest(req: http.IncomingMessage, res: Http1Response): void {
    const socket = req.socket as TaggedSocket;
    const session = socket[SESSION];
    try {
      failpoint('http1-request');
      if (session === undefined) socket.destroy();
      else if (!this.settings.serveHttp1) refuse(res, 505, http2OnlyMessage(session.scheme));
      else if (req.rawHeaders.length / 2 > this.settings.maxHeadersCount) refuse(res, 431, `more than ${this.settings.maxHeadersCount} header fields`);
      else session.onRequest(req, res);
    } catch (err) {
      if (session === undefined) socket.destroy();
      else session.fault(err, 'http1-request');
    }
  }

  /** @internal For Http1Session: its socket closed. */
  closed(session: Http1Session): void {
    if (!this.sessions.delete(session)) return;
    if (this.sessions.size === 0) this.host.allHttp1Closed();
  }

  /** Graceful: no keep-alive after the responses in flight; idle connections close now. */
  shutdown(): void {
    for (const session of this.sessions) session.shutdown();
    // Stops node's deadline checks (the server was never bound: its close error is expected).
    if (this.tracking) this.server.close(() => {});
  }

  destroyAll(): void {
    for (const session of this.sessions) session.destroy();
  }

  // ---- Upgrade ----

  private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const session = (socket as TaggedSocket)[SESSION];
    if (session === undefined) {
      socket.destroy();
      return;
    }
    let up: H2cUpgrade | null = null;
    try {
      if (session.scheme === 'http' && this.settings.allowUpgrade) {
        up = h2cUpgradeOf({ method: req.method ?? 'GET', target: req.url ?? '/', version: `HTTP/${req.httpVersion}`, headers: pairsOf(req.rawHeaders) }, this.settings.maxSettingsEntries);
      }
    } catch (err) {
      if (!(err instanceof Http1RequestError)) throw err;
      refuseRaw(socket, err.status, err.message);
      return;
    }
    if (up === null) {
      this.serveIgnoringUpgrade(session, req, socket);
      return;
    }
    if (up.contentLength > this.settings.maxUpgradeBodySize) {
      refuseRaw(socket, 413, `An Upgrade: h2c request body may have at most ${this.settings.maxUpgradeBodySize} bytes; send it over HTTP/2.`);
      return;
    }
    this.readUpgradeBody(session, socket, head, up);
  }

  /** Gathers the upgrade request's body (content-length bytes), then switches to HTTP/2. */
  private readUpgradeBody(session: Http1Session, socket: net.Socket, head: Buffer, up: H2cUpgrade): void {
    const parts: Buffer[] = head.length > 0 ? [head] : [];
    let gathered = head.length;
    // The switch itself is the 'upgrade' failpoint, as on the path without allowHTTP1.
    const finish = this.host.guard('upgrade', (): void => {
      clearTimeout(deadline);
      socket.off('data', onData);
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      // The socket is HTTP/2's from here: the HTTP/1.1 session lets go of it.
      delete (socket as TaggedSocket)[SESSION];
      session.detach();
      this.closed(session);
      socket.write(SWITCHING_PROTOCOLS);
      const h2 = this.host.startSession(socket, null, 'http');
      h2.acceptUpgrade(up.settingsPayload, up.headers, all.subarray(0, up.contentLength));
      h2.start(all.subarray(up.contentLength));
    }, () => socket);
    const onData = this.host.guard(
      'http1-upgrade',
      (chunk: Buffer) => {
        parts.push(chunk);
        gathered += chunk.length;
        if (gathered >= up.contentLength) finish();
      },
      () => socket,
    );
    const deadline = setTimeout(this.host.guard('http1-upgrade', () => socket.destroy(), () => socket), this.settings.upgradeBodyTimeout);
    deadline.unref();
    if (gathered >= up.contentLength) {
      finish();
      return;
    }
    socket.on('data', onData);
    // The client may wait for 100 Continue before sending the body (curl does for large ones).
    if (up.expectContinue) socket.write(CONTINUE);
  }

  /**
   * An Upgrade to something other than h2c (or h2c where it is not offered): served as a plain
   * request without a body, on a response bound to the socket by hand, and the connection closes
   * after it (node:http has stopped reading this socket).
   */
  private serveIgnoringUpgrade(session: Http1Session, req: http.IncomingMessage, socket: net.Socket): void {
    if (!this.settings.serveHttp1) {
      refuseRaw(socket, 505, http2OnlyMessage(session.scheme));
      return;
    }
    const length = req.headers['content-length'];
    // Bytes after the head are not read (no body is announced; the connection closes after the answer).
    if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
      refuseRaw(socket, 400, 'An Upgrade request with a body is not served; send it without Upgrade.');
      return;
    }
    const res = new Http1Response(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    // Detached by hand when finished, as node:http does with the responses it manages: the exchange ends there.
    res.once('finish', () => {
      res.detachSocket(socket);
      socket.end();
    });
    session.onRequest(req, res);
    // Node stopped parsing at the head: the request (without a body) ends here.
    req.push(null);
  }
}

/** What a client that does not speak HTTP/2 is told when `allowHTTP1` is off. */
function http2OnlyMessage(scheme: 'http' | 'https'): string {
  const how = scheme === 'https' ? 'TLS with ALPN "h2"' : 'HTTP/2 with prior knowledge or "Upgrade: h2c"';
  return `This server speaks HTTP/2 only; connect with ${how}.`;
}

/** A short answer written straight to a socket node:http has let go of, which then closes. */
function refuseRaw(socket: net.Socket, status: number, message: string): void {
  socket.on('error', () => {});
  socket.end(http1Response(status, message + '\n'));
  setTimeout(() => socket.destroy(), 1000).unref();
}
