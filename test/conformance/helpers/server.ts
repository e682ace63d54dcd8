/**
 * The server under test: the sans-I/O connection core (`src/connection/`) wired to a `net`
 * socket on loopback, with the smallest application on top:
 * - a request is answered, once it has ended, with `200` and a body: the request body echoed
 *   when there was one, else `RESPONSE_BODY`;
 * - path `/hold` is never answered (the stream stays open / half-closed (remote), so tests can
 *   probe those states);
 * - path `/stall` is never answered and its DATA is never consumed (no flow-control credit
 *   returned: tests can fill the server's receive windows);
 * - path `/big?n=N` is answered with N octets (flow-control tests on the server's sending side);
 * - path `/early` is answered as soon as its HEADERS arrive, before the request ends (the
 *   stream is then half-closed (local) on the server until the client ends it);
 * - path `/push` promises `/pushed` (when the client allows push) and answers both streams;
 *   `/push-hold` promises `/pushed` and leaves the promised stream reserved (local);
 * - path `/goaway` is answered, then the server starts a graceful shutdown (GOAWAY NO_ERROR).
 * Every event of every connection is recorded, so a test can check what the core reported.
 */
import net from 'node:net';
import { Connection } from '../../../src/connection/index.js';
import type { ConnectionEvent, ConnectionOptions } from '../../../src/connection/index.js';

export const RESPONSE_BODY = 'hello from h2kit';
export const PUSHED_BODY = 'pushed by h2kit';

export interface ServerConnectionRecord {
  connection: Connection;
  events: ConnectionEvent[];
  /** Exceptions that escaped the core (it must never throw for peer input): a test failure. */
  crashes: unknown[];
}

export interface TestServer {
  port: number;
  connections: ServerConnectionRecord[];
  close(): Promise<void>;
}

interface RequestState {
  path: string;
  body: Buffer[];
  hasBody: boolean;
}

export async function startServer(options: Partial<ConnectionOptions> = {}): Promise<TestServer> {
  const connections: ServerConnectionRecord[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connection = new Connection({ ...options, role: 'server', now: Date.now() });
    const record: ServerConnectionRecord = { connection, events: [], crashes: [] };
    connections.push(record);
    const requests = new Map<number, RequestState>();
    let timer: NodeJS.Timeout | null = null;
    let ended = false;

    const respond = (streamId: number, state: RequestState): void => {
      requests.delete(streamId);
      if (state.path === '/hold' || state.path === '/stall') return;
      if ((state.path === '/push' || state.path === '/push-hold') && connection.canPush) {
        const promised = connection.pushPromise(streamId, [
          [':method', 'GET'],
          [':scheme', 'http'],
          [':authority', 'localhost'],
          [':path', '/pushed'],
        ]);
        if (state.path === '/push') {
          connection.sendHeaders(promised, [[':status', '200']], false);
          connection.sendData(promised, Buffer.from(PUSHED_BODY), true);
        }
      }
      let body: Buffer;
      const big = /^\/big\?n=(\d+)$/.exec(state.path);
      if (big) body = Buffer.alloc(Number(big[1]), 0x62);
      else body = state.hasBody ? Buffer.concat(state.body) : Buffer.from(RESPONSE_BODY);
      connection.sendHeaders(streamId, [[':status', '200'], ['content-type', 'text/plain']], false);
      connection.sendData(streamId, body, true);
      if (state.path === '/goaway') connection.goaway(0, 'graceful');
    };

    const handle = (events: ConnectionEvent[]): void => {
      for (const event of events) {
        record.events.push(event);
        switch (event.type) {
          case 'headers': {
            if (event.kind === 'request') {
              const path = event.headers.find(([name]) => name === ':path')?.[1] ?? '/';
              requests.set(event.streamId, { path, body: [], hasBody: false });
            }
            const state = requests.get(event.streamId);
            if (state && (event.endStream || state.path === '/early')) respond(event.streamId, state);
            break;
          }
          case 'data': {
            const state = requests.get(event.streamId);
            if (state?.path !== '/stall') connection.consume(event.streamId, event.data.length);
            if (state) {
              state.hasBody = true;
              state.body.push(Buffer.from(event.data));
              if (event.endStream) respond(event.streamId, state);
            }
            break;
          }
          case 'streamReset':
          case 'streamClosed':
            requests.delete(event.streamId);
            break;
          case 'closed':
            ended = true;
            break;
          default:
            break;
        }
      }
    };

    const pump = (work: () => ConnectionEvent[]): void => {
      try {
        handle(work());
        handle(connection.takeEvents());
      } catch (error) {
        record.crashes.push(error);
        socket.destroy();
        return;
      }
      const out = connection.takeOutput();
      if (out.length > 0 && !socket.destroyed) {
        socket.cork();
        for (const buf of out) socket.write(buf);
        socket.uncork();
      }
      if (ended) {
        socket.end();
        return;
      }
      schedule();
    };

    const schedule = (): void => {
      if (timer) clearTimeout(timer);
      timer = null;
      const deadline = connection.nextDeadline();
      if (deadline === Infinity) return;
      timer = setTimeout(() => pump(() => connection.tick(Date.now())), Math.max(0, deadline - Date.now()));
      timer.unref();
    };

    socket.on('data', (chunk: Buffer) => pump(() => connection.receive(chunk, Date.now())));
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      if (timer) clearTimeout(timer);
    });
    // The server speaks first too: its SETTINGS may already be in the output.
    pump(() => []);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
