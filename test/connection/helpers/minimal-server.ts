/**
 * The smallest HTTP/2 server built on the connection core and the production socket glue: a
 * `net` server on 127.0.0.1, one Connection per socket driven by a `ConnectionDriver`
 * (src/io/connection-driver.ts: reads, flushes, the timer, the write policy, the body pump, the
 * end of the socket), with a small delegate instead of the server's handler framework. For
 * interop tests (a node:http2 client against our core).
 *
 * Routes (any method):
 * - `/echo`: answers 200 with the request body, plus `x-sha256` (hex of the body) and
 *   `x-length` headers; request trailers are echoed as response trailers.
 * - `/bytes?n=N`: answers N octets of 'a' (flow control on our sending side).
 * - `/hold`: never answered.
 * - anything else: 200 with `hello` and the path in `x-path`.
 * Response bodies go through the driver's body pump, as the server's do: pulled only while the
 * stream's window, the connection's window and the socket (a 64 KiB high-water mark, so big
 * bodies wait for 'drain') can take them.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Connection } from '../../../src/connection/index.js';
import type { ConnectionEvent, ConnectionOptions, HeaderList } from '../../../src/connection/index.js';
import { ErrorCode } from '../../../src/errors.js';
import { OutgoingBody, type PumpedStream } from '../../../src/io/body-pump.js';
import { BufferBodySource } from '../../../src/io/body-source.js';
import { ConnectionDriver, type DriverDelegate } from '../../../src/io/connection-driver.js';

export interface MinimalServer {
  readonly port: number;
  /** Every event every connection reported (for assertions). */
  readonly events: ConnectionEvent[];
  /** Exceptions the driver caught on a connection's path, and bodies that failed: must stay empty. */
  readonly crashes: unknown[];
  /** Resolves once some connection has received `count` requests (HEADERS of a request) in all. */
  requestsSeen(count?: number): Promise<void>;
  /** Sends graceful GOAWAY on every connection. */
  goaway(): void;
  close(): Promise<void>;
}

/** One request/response: the pump's view of the stream plus what the route needs. */
interface Exchange extends PumpedStream {
  readonly path: string;
  requestBody: Buffer[];
  trailers: HeaderList | null;
}

/** What the server shares with each connection's delegate. */
interface Shared {
  readonly events: ConnectionEvent[];
  readonly crashes: unknown[];
  readonly delegates: Set<MinimalDelegate>;
  requestSeen(): void;
}

const SOCKET_HIGH_WATER_MARK = 65536;

/** The driver's delegate for one connection: the routes, on the Connection's events. */
class MinimalDelegate implements DriverDelegate<Exchange> {
  readonly driver: ConnectionDriver<Exchange>;
  private readonly conn: Connection;
  private readonly shared: Shared;
  private readonly exchanges = new Map<number, Exchange>();
  /** We sent GOAWAY, or the client did, or it closed its side: the socket ends once no stream is left. */
  private goingAway = false;

  constructor(socket: net.Socket, options: Partial<ConnectionOptions>, shared: Shared) {
    this.shared = shared;
    this.conn = new Connection({ ...options, role: 'server', now: performance.now() });
    this.driver = new ConnectionDriver<Exchange>(socket, this.conn, this, {
      socketHighWaterMark: SOCKET_HIGH_WATER_MARK,
      wholeWindowForKnownLength: true,
      onBytes: null,
      unrefTimer: false,
    });
  }

  goaway(): void {
    this.goingAway = true;
    this.conn.goaway();
    this.driver.flush();
  }

  handleEvents(list: ConnectionEvent[]): void {
    for (const e of list) {
      this.shared.events.push(e);
      switch (e.type) {
        case 'headers': {
          if (e.kind === 'request') {
            const path = e.headers.find((h) => h[0] === ':path')?.[1] ?? '/';
            this.exchanges.set(e.streamId, { id: e.streamId, path, body: null, closed: false, bytesSent: 0, requestBody: [], trailers: null });
            this.shared.requestSeen();
          }
          const ex = this.exchanges.get(e.streamId);
          if (ex === undefined) break;
          if (e.kind === 'trailers') ex.trailers = e.headers;
          if (e.endStream) this.respond(ex);
          break;
        }
        case 'data': {
          const ex = this.exchanges.get(e.streamId);
          if (ex !== undefined) {
            ex.requestBody.push(Buffer.from(e.data));
            if (e.endStream) this.respond(ex);
          }
          this.conn.consume(e.streamId, e.data.length);
          break;
        }
        case 'writable': {
          const ex = this.exchanges.get(e.streamId);
          if (ex !== undefined) this.driver.pumpBody(ex);
          break;
        }
        case 'streamReset': {
          const ex = this.exchanges.get(e.streamId);
          if (ex !== undefined) this.stopBody(ex);
          break;
        }
        case 'streamClosed': {
          const ex = this.exchanges.get(e.streamId);
          if (ex === undefined) break;
          ex.closed = true;
          this.stopBody(ex);
          this.exchanges.delete(e.streamId);
          break;
        }
        case 'goaway':
          this.goingAway = true;
          break;
        case 'connectionError':
          this.driver.markCutOff();
          break;
        default:
          break;
      }
    }
  }

  private respond(ex: Exchange): void {
    if (ex.path === '/hold') return;
    const bytes = /^\/bytes\?n=(\d+)$/.exec(ex.path);
    let headers: HeaderList;
    let body: Buffer;
    let trailers: HeaderList | null = null;
    if (ex.path === '/echo') {
      body = Buffer.concat(ex.requestBody);
      headers = [
        [':status', '200'],
        ['x-sha256', createHash('sha256').update(body).digest('hex')],
        ['x-length', String(body.length)],
      ];
      trailers = ex.trailers;
    } else if (bytes) {
      body = Buffer.alloc(Number(bytes[1]), 0x61);
      headers = [[':status', '200'], ['content-length', String(body.length)]];
    } else {
      body = Buffer.from('hello');
      headers = [[':status', '200'], ['x-path', ex.path]];
    }
    this.conn.sendHeaders(ex.id, headers, false);
    const source = new BufferBodySource(body);
    ex.body = new OutgoingBody(source, trailers, -1);
    source.onWake = () => this.driver.wake(ex);
    this.driver.pumpBody(ex);
  }

  mayEnd(): boolean {
    return this.goingAway && this.exchanges.size === 0 && this.conn.activeStreams === 0;
  }

  peerEnded(): void {
    this.goingAway = true;
  }

  socketError(): void {
    // Resets are how clients leave; the tests look at events and crashes.
  }

  socketTimeout(): void {
    // No inactivity timeout is armed.
  }

  socketClosed(): void {
    this.shared.delegates.delete(this);
    for (const ex of this.exchanges.values()) {
      ex.closed = true;
      this.stopBody(ex);
    }
    this.exchanges.clear();
  }

  reportFault(err: unknown): void {
    this.shared.crashes.push(err);
  }

  bodyFailed(stream: Exchange, err: unknown): void {
    this.shared.crashes.push(err);
    this.stopBody(stream);
    if (!stream.closed) this.conn.resetStream(stream.id, ErrorCode.INTERNAL_ERROR);
    this.driver.scheduleFlush();
  }

  stopBody(stream: Exchange): void {
    const body = stream.body;
    if (body === null) return;
    stream.body = null;
    this.driver.forgetBody(stream);
    body.source.destroy();
  }
}

export async function startMinimalServer(options: Partial<ConnectionOptions> = {}): Promise<MinimalServer> {
  const sockets = new Set<net.Socket>();
  let requests = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const shared: Shared = {
    events: [],
    crashes: [],
    delegates: new Set(),
    requestSeen() {
      requests++;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (requests >= waiters[i]!.count) waiters.splice(i, 1)[0]!.resolve();
      }
    },
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    const delegate = new MinimalDelegate(socket, options, shared);
    shared.delegates.add(delegate);
    // The server speaks first: its SETTINGS go out now.
    delegate.driver.start(Buffer.alloc(0));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    events: shared.events,
    crashes: shared.crashes,
    requestsSeen(count = 1) {
      if (requests >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    goaway() {
      for (const d of shared.delegates) d.goaway();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
