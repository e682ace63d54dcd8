/**
 * The smallest HTTP/2 server built directly on the connection core: a `net` server on
 * 127.0.0.1, one Connection per socket, no handler framework. For interop tests (a node:http2
 * client against our core) and for the conformance suite to reuse.
 *
 * Routes (any method):
 * - `/echo`: answers 200 with the request body, plus `x-sha256` (hex of the body) and
 *   `x-length` headers; request trailers are echoed as response trailers.
 * - `/bytes?n=N`: answers N octets of 'a' (flow control on our sending side).
 * - `/hold`: never answered.
 * - anything else: 200 with `hello` and the path in `x-path`.
 * Response bodies go through `sendData` with backpressure: the route writes in 16 KiB pieces
 * and waits for `writable` when `sendData` returns false.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Connection } from '../../../src/connection/index.js';
import type { ConnectionEvent, ConnectionOptions, HeaderList } from '../../../src/connection/index.js';

export interface MinimalServer {
  readonly port: number;
  /** Every event every connection reported (for assertions). */
  readonly events: ConnectionEvent[];
  /** Exceptions that escaped the core: must stay empty. */
  readonly crashes: unknown[];
  /** Sends graceful GOAWAY on every connection. */
  goaway(): void;
  close(): Promise<void>;
}

interface Exchange {
  path: string;
  body: Buffer[];
  bodyLength: number;
  trailers: HeaderList | null;
  /** Response body still to send, and where we are in it. */
  out: Buffer | null;
  outOffset: number;
}

const PIECE = 16384;

export async function startMinimalServer(options: Partial<ConnectionOptions> = {}): Promise<MinimalServer> {
  const events: ConnectionEvent[] = [];
  const crashes: unknown[] = [];
  const sockets = new Set<net.Socket>();
  const connections = new Set<{ conn: Connection; flush: () => void }>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const conn = new Connection({ ...options, role: 'server', now: performance.now() });
    const exchanges = new Map<number, Exchange>();
    let timer: NodeJS.Timeout | null = null;

    const writeBody = (id: number, ex: Exchange): void => {
      const out = ex.out;
      if (out === null) return;
      while (ex.outOffset < out.length) {
        const end = Math.min(out.length, ex.outOffset + PIECE);
        const last = end === out.length && ex.trailers === null;
        const more = conn.sendData(id, out.subarray(ex.outOffset, end), last);
        ex.outOffset = end;
        if (!more && ex.outOffset < out.length) return; // wait for `writable`
      }
      if (out.length === 0 && ex.trailers === null) conn.sendData(id, out, true);
      if (ex.trailers !== null) conn.sendHeaders(id, ex.trailers, true);
      ex.out = null;
    };

    const respond = (id: number, ex: Exchange): void => {
      if (ex.path === '/hold') return;
      const bytes = /^\/bytes\?n=(\d+)$/.exec(ex.path);
      let headers: HeaderList;
      let body: Buffer;
      if (ex.path === '/echo') {
        body = Buffer.concat(ex.body);
        headers = [
          [':status', '200'],
          ['x-sha256', createHash('sha256').update(body).digest('hex')],
          ['x-length', String(body.length)],
        ];
      } else if (bytes) {
        body = Buffer.alloc(Number(bytes[1]), 0x61);
        headers = [[':status', '200'], ['content-length', String(body.length)]];
        ex.trailers = null;
      } else {
        body = Buffer.from('hello');
        headers = [[':status', '200'], ['x-path', ex.path]];
        ex.trailers = null;
      }
      conn.sendHeaders(id, headers, false);
      ex.out = body;
      ex.outOffset = 0;
      writeBody(id, ex);
    };

    const handle = (list: ConnectionEvent[]): void => {
      for (const e of list) {
        events.push(e);
        switch (e.type) {
          case 'headers': {
            let ex = exchanges.get(e.streamId);
            if (e.kind === 'request') {
              const path = e.headers.find((h) => h[0] === ':path')?.[1] ?? '/';
              ex = { path, body: [], bodyLength: 0, trailers: null, out: null, outOffset: 0 };
              exchanges.set(e.streamId, ex);
            } else if (e.kind === 'trailers' && ex !== undefined) {
              ex.trailers = e.headers;
            }
            if (ex !== undefined && e.endStream) respond(e.streamId, ex);
            break;
          }
          case 'data': {
            const ex = exchanges.get(e.streamId);
            if (ex !== undefined) {
              ex.body.push(Buffer.from(e.data));
              ex.bodyLength += e.data.length;
              if (e.endStream) respond(e.streamId, ex);
            }
            conn.consume(e.streamId, e.data.length);
            break;
          }
          case 'writable': {
            const ex = exchanges.get(e.streamId);
            if (ex !== undefined) writeBody(e.streamId, ex);
            break;
          }
          case 'streamClosed':
            exchanges.delete(e.streamId);
            break;
          default:
            break;
        }
      }
    };

    const flush = (): void => {
      // Commands can cause events (writable, streamClosed) that cause more commands.
      for (let i = 0; i < 1000; i++) {
        const more = conn.takeEvents();
        if (more.length === 0) break;
        handle(more);
      }
      const out = conn.takeOutput();
      if (out.length > 0 && !socket.destroyed) {
        socket.cork();
        for (const b of out) socket.write(b);
        socket.uncork();
      }
      if (conn.isClosed) {
        socket.end();
        return;
      }
      if (timer !== null) clearTimeout(timer);
      timer = null;
      const deadline = conn.nextDeadline();
      if (deadline !== Infinity) {
        timer = setTimeout(() => run(() => conn.tick(performance.now())), Math.max(0, deadline - performance.now()));
        timer.unref();
      }
    };

    const run = (work: () => ConnectionEvent[]): void => {
      try {
        handle(work());
        flush();
      } catch (err) {
        crashes.push(err);
        socket.destroy();
      }
    };

    const entry = { conn, flush: () => run(() => []) };
    connections.add(entry);
    socket.on('data', (chunk: Buffer) => run(() => conn.receive(chunk, performance.now())));
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      connections.delete(entry);
      if (timer !== null) clearTimeout(timer);
    });
    run(() => []);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    events,
    crashes,
    goaway() {
      for (const c of connections) {
        c.conn.goaway();
        c.flush();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
