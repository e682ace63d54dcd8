/**
 * Before a cleartext connection (or a TLS one without ALPN) speaks HTTP/2, its first bytes say
 * what it is:
 *
 * - the 24-octet client preface: prior knowledge (RFC 9113 section 3.3), handed to a session;
 * - an HTTP/1.x request line: the socket and the bytes read so far go to the HTTP/1.1 side
 *   (http1-gateway.ts, node:http), which serves it (`allowHTTP1`), or refuses it with 505, and
 *   carries `Upgrade: h2c` either way;
 * - anything else (a TLS ClientHello, noise): closed at once, unanswered.
 *
 * The first bytes have an absolute deadline (`handshakeTimeout`) and every listener is guarded.
 */
import type net from 'node:net';
import { FIRST_BYTES_START, classifyFirstBytes } from './first-bytes.js';
import { http1Response } from './http1.js';
import type { ListenerGuard } from './listener-guard.js';
import type { ServerSession } from './session.js';

export interface SniffSettings {
  /** The deadline for the first bytes, ms. */
  handshakeTimeout: number;
  /** A request line still unfinished at this many bytes is refused (431). */
  maxHeadSize: number;
}

/** What the sniffing needs of its server. */
export interface SniffHost {
  guard: ListenerGuard;
  /** Sockets not yet handed to a session: the socket is in it while its first bytes are read. */
  pending: Set<net.Socket>;
  /** The socket speaks HTTP/2: a session takes it (`initial`: bytes already read). */
  startSession(socket: net.Socket, initial: Buffer | null, scheme: 'http' | 'https'): ServerSession;
  /** The socket speaks HTTP/1.x (`initial`: bytes already read): the HTTP/1.1 side takes it. */
  startHttp1(socket: net.Socket, initial: Buffer, scheme: 'http' | 'https'): void;
}

/**
 * Reads the first bytes of `socket`: the preface starts HTTP/2, an HTTP/1.x request line goes to
 * the HTTP/1.1 side, anything else is closed at once.
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
  let firstBytes = FIRST_BYTES_START;
  const onData = guard(
    'sniff-data',
    (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      // The preface, or an HTTP/1.x request line, judged as the octets come.
      firstBytes = classifyFirstBytes(buf, firstBytes);
      switch (firstBytes.verdict) {
        case 'preface':
          cleanup();
          host.startSession(socket, buf, scheme);
          return;
        case 'http1':
          cleanup();
          host.startHttp1(socket, buf, scheme);
          return;
        case 'garbage':
          // A TLS ClientHello, noise, `INVALID CONNECTION PREFACE`: closed at once, without an
          // HTTP/1.1 answer such a peer could not read, rather than held until the deadline.
          cleanup();
          socket.destroy();
          return;
        case 'need-more':
          if (buf.length > settings.maxHeadSize) {
            cleanup();
            socket.on('error', () => {});
            socket.end(http1Response(431, `HTTP/1.1 request line exceeds ${settings.maxHeadSize} bytes\n`));
            setTimeout(() => socket.destroy(), 1000).unref();
          }
          return;
      }
    },
    socketOf,
  );
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  // Absolute, not idle: a preface or request line dribbled an octet at a time is cut off all the same.
  const deadline = setTimeout(onTimeout, settings.handshakeTimeout);
  deadline.unref();
}
