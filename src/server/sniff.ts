/**
 * Before a cleartext connection (or a TLS one without ALPN h2) speaks HTTP/2, its first bytes say
 * what it is:
 *
 * - the 24-octet client preface: prior knowledge (RFC 9113 section 3.3), handed to a session;
 * - an HTTP/1.x request line, with `allowHTTP1`: the socket and the bytes read so far go to the
 *   HTTP/1.1 side (http1-gateway.ts), which serves it and carries `Upgrade: h2c` too;
 * - without `allowHTTP1`, an HTTP/1.1 head with `Upgrade: h2c` (cleartext only): its
 *   HTTP2-Settings and fields are validated, then 101, and the request continues as HTTP/2 on
 *   stream 1 (RFC 7540 section 3.2); any other HTTP/1.1 head: 505 (400 if malformed, 431 if
 *   too large, 413 for a too large upgrade body), and the socket is closed;
 * - anything else (a TLS ClientHello, noise): closed at once, unanswered.
 *
 * The whole exchange has an absolute deadline (`handshakeTimeout`) and every listener is guarded.
 */
import type net from 'node:net';
import { Http1RequestError } from './errors.js';
import { FIRST_BYTES_START, classifyFirstBytes } from './first-bytes.js';
import { CONTINUE, SWITCHING_PROTOCOLS, h2cUpgradeOf, http1Response, parseHttp1RequestHead, type H2cUpgrade } from './http1.js';
import type { ListenerGuard } from './listener-guard.js';
import type { ServerSession } from './session.js';

export interface SniffSettings {
  /** The deadline for the first bytes (and an upgrade's body), ms. */
  handshakeTimeout: number;
  /** Largest HTTP/1.1 head, bytes. */
  maxHeadSize: number;
  /** Largest body an `Upgrade: h2c` request may carry, bytes. */
  maxUpgradeBodySize: number;
  allowUpgrade: boolean;
  /** ConnectionOptions.maxSettingsEntries: an HTTP2-Settings header is a SETTINGS frame. */
  maxSettingsEntries: number;
  /** HTTP/1.x request lines go to `startHttp1` (else they are refused, or upgraded here). */
  allowHTTP1: boolean;
}

/** What the sniffing needs of its server. */
export interface SniffHost {
  guard: ListenerGuard;
  /** Sockets not yet handed to a session: the socket is in it while its first bytes are read. */
  pending: Set<net.Socket>;
  /** The socket speaks HTTP/2: a session takes it (`initial`: bytes already read; null after an upgrade). */
  startSession(socket: net.Socket, initial: Buffer | null, scheme: 'http' | 'https'): ServerSession;
  /** The socket speaks HTTP/1.x (`initial`: bytes already read): the HTTP/1.1 side takes it. */
  startHttp1(socket: net.Socket, initial: Buffer, scheme: 'http' | 'https'): void;
}

/**
 * Reads the first bytes of `socket`: the preface starts HTTP/2, HTTP/1.x goes to the HTTP/1.1 side
 * (or may upgrade here, or is refused with a short answer), anything else is closed at once.
 */
export function sniffFirstBytes(socket: net.Socket, scheme: 'http' | 'https', settings: SniffSettings, host: SniffHost): void {
  const guard = host.guard;
  host.pending.add(socket);
  // Also on close: a listener whose guard caught an exception destroys the socket without its
  // cleanup. Removed by cleanup: left on, it would keep this whole scope (the sniffed bytes, every
  // closure here) alive for the connection's life.
  const onClose = (): void => void host.pending.delete(socket);
  socket.once('close', onClose);
  let buf: Buffer = Buffer.alloc(0);
  const socketOf = (): net.Socket => socket;
  const cleanup = (): void => {
    clearTimeout(deadline);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    socket.off('close', onClose);
    host.pending.delete(socket);
  };
  const refuse = (status: number, message: string): void => {
    cleanup();
    socket.on('error', () => {});
    socket.end(http1Response(status, message + '\n'));
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  /** A listener that gives up on the socket: timeout, error, or the client closed its side (nothing more can come). */
  const dropOn = (where: 'sniff-timeout' | 'sniff-error' | 'sniff-end'): (() => void) =>
    guard(
      where,
      () => {
        cleanup();
        socket.destroy();
      },
      socketOf,
    );
  const onTimeout = dropOn('sniff-timeout');
  const onError = dropOn('sniff-error');
  const onEnd = dropOn('sniff-end');
  // Once the head of an upgrade request is parsed, the body is gathered in `parts` (no re-parsing, no quadratic concat).
  let upgrade: H2cUpgrade | null = null;
  let firstBytes = FIRST_BYTES_START;
  let headLength = 0;
  const parts: Buffer[] = [];
  let gathered = 0;
  const finishUpgrade = guard(
    'upgrade',
    (up: H2cUpgrade): void => {
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      const end = headLength + up.contentLength;
      cleanup();
      socket.write(SWITCHING_PROTOCOLS);
      const session = host.startSession(socket, null, scheme);
      session.acceptUpgrade(up.settingsPayload, up.headers, all.subarray(headLength, end));
      session.start(all.subarray(end));
    },
    socketOf,
  );
  const onData = guard(
    'sniff-data',
    (chunk: Buffer): void => {
      if (upgrade !== null) {
        parts.push(chunk);
        gathered += chunk.length;
        if (gathered >= headLength + upgrade.contentLength) finishUpgrade(upgrade);
        return;
      }
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (firstBytes.verdict === 'need-more') {
        // The preface, or an HTTP/1.x request line, judged as the octets come.
        firstBytes = classifyFirstBytes(buf, firstBytes);
        if (firstBytes.verdict === 'preface') {
          cleanup();
          host.startSession(socket, buf, scheme);
          return;
        }
        if (firstBytes.verdict === 'garbage') {
          // A TLS ClientHello, noise, `INVALID CONNECTION PREFACE`: closed at once, without an
          // HTTP/1.1 answer such a peer could not read, rather than held until the deadline.
          cleanup();
          socket.destroy();
          return;
        }
        if (firstBytes.verdict === 'http1' && settings.allowHTTP1) {
          cleanup();
          host.startHttp1(socket, buf, scheme);
          return;
        }
        if (firstBytes.verdict === 'need-more') {
          if (buf.length > settings.maxHeadSize) refuse(431, `HTTP/1.1 request line exceeds ${settings.maxHeadSize} bytes`);
          return;
        }
      }
      let head: ReturnType<typeof parseHttp1RequestHead>;
      let up: H2cUpgrade | null;
      try {
        head = parseHttp1RequestHead(buf, settings.maxHeadSize);
        if (head === null) return;
        up = scheme === 'http' && settings.allowUpgrade ? h2cUpgradeOf(head, settings.maxSettingsEntries) : null;
      } catch (err) {
        if (err instanceof Http1RequestError) {
          refuse(err.status, err.message);
          return;
        }
        throw err;
      }
      if (up === null) {
        const how = scheme === 'https' ? 'TLS with ALPN "h2"' : 'HTTP/2 with prior knowledge or "Upgrade: h2c"';
        refuse(505, `This server speaks HTTP/2 only; connect with ${how}.`);
        return;
      }
      if (up.contentLength > settings.maxUpgradeBodySize) {
        refuse(413, `An Upgrade: h2c request body may have at most ${settings.maxUpgradeBodySize} bytes; send it over HTTP/2.`);
        return;
      }
      headLength = head.headLength;
      parts.push(buf);
      gathered = buf.length;
      if (gathered >= headLength + up.contentLength) {
        finishUpgrade(up);
        return;
      }
      upgrade = up;
      // The client may wait for 100 Continue before sending the body (curl does for large ones).
      if (up.expectContinue) socket.write(CONTINUE);
    },
    socketOf,
  );
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  // Absolute, not idle: a preface or head dribbled an octet at a time is cut off all the same.
  const deadline = setTimeout(onTimeout, settings.handshakeTimeout);
  deadline.unref();
}
