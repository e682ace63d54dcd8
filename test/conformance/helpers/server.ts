/**
 * The server under test: the real `HTTP2Server` (src/server/) on 127.0.0.1, cleartext with prior
 * knowledge (h2c), so the suite exercises what production runs: the first-bytes sniffing, the
 * ServerSession, its ConnectionDriver (socket glue, write policy, body pump) and the connection
 * core. Its handler class is the smallest application:
 * - a request is answered, once it has ended, with `200` and a body: the request body echoed
 *   when there was one, else `RESPONSE_BODY`;
 * - path `/hold` is never answered (the stream stays open / half-closed (remote), so tests can
 *   probe those states);
 * - path `/stall` is never answered and its DATA is never consumed (`onData` returns a promise
 *   that never settles, which holds the flow-control credit: tests can fill the receive windows);
 * - path `/big?n=N` is answered with N octets (flow-control tests on the server's sending side);
 * - path `/early` is answered as soon as its HEADERS arrive, before the request ends (the
 *   stream is then half-closed (local) on the server until the client ends it);
 * - path `/push` promises `/pushed` (when the client allows push) and answers both streams;
 *   `/push-pending` promises `/pushed` and starts its response but holds the body back
 *   (DATA_DEFERRED, never resumed): the promised stream stays half-closed (remote) on the server.
 *   (A promised stream left in reserved (local) is not something HTTP2Server's `push()` does: it
 *   sends the pushed response at once. That state is tested at the core level, in
 *   test/connection/server-role.test.ts.)
 * - path `/goaway` is answered, then the handler closes its connection gracefully
 *   (`this.http2.shutdown()`: GOAWAY NO_ERROR).
 *
 * What is recorded, per connection (found by the client's port, `connection(c.socket.localPort)`):
 * every frame the server received and sent, decoded by the server's own `onFrame` trace, and every
 * stream that reached the application (request head, trailers, onClose's code). Failures of the
 * server itself: `server.stats.unexpectedErrors` and every line it logged (`problems()`).
 *
 * Production defaults changed here, and why (everything else is as shipped: sniffing, handshake
 * timeout, socketHighWaterMark, the connection options' defaults):
 * - `idleTimeout: 0`: no idle GOAWAY, no socket inactivity timeout. With it, the core's
 *   `maxSendStallMs` stays at its own default (60 s) instead of following the idle timeout.
 * - `requestTimeout: 0`, `minRequestDataRate: null`, `minResponseDataRate: null`: a `/hold` or
 *   `/stall` stream must stay as the test left it; a 408 or a CANCEL from a policy (tested in
 *   test/attacks and test/server) would be a reaction no RFC 9113 requirement asks for.
 * - `closeTimeout: 1000`: close() at the end of a file does not wait 30 s for a stream a test left open.
 */
import { HTTP2Server } from '../../../src/server/server.js';
import type { ConnectionInfo } from '../../../src/server/index.js';
import { BaseRequestHandler } from '../../../src/server/request-handler.js';
import { DATA_DEFERRED } from '../../../src/io/data-flags.js';
import type { ConnectionOptions } from '../../../src/connection/index.js';
import type { TraceEvent } from '../../../src/frame/trace.js';

export const RESPONSE_BODY = 'hello from h2kit';
export const PUSHED_BODY = 'pushed by h2kit';

/** A stream that reached the application: a handler was made for it. */
export interface StreamRecord {
  readonly streamId: number;
  readonly pushed: boolean;
  method: string;
  path: string;
  /** The request's header fields as the handler saw them (pseudo-headers first). */
  headers: Array<[string, string]>;
  /** The request's trailers, once the request ended with them. */
  trailers: Array<[string, string]> | null;
  /** The error code the handler's onClose got; null while the stream is open. */
  closeCode: number | null;
}

export interface ConnectionRecord {
  /** The server's number for this connection (ConnectionInfo.id). */
  readonly id: number;
  /** Every frame the server read, decoded by its onFrame trace, in wire order. */
  readonly received: TraceEvent[];
  /** Every frame the server wrote. */
  readonly sent: TraceEvent[];
  /** The streams that reached the application, by id. */
  readonly streams: Map<number, StreamRecord>;
  /** Resolves with the code of `streamId`'s onClose (at once if it already ran); fails after `timeout` ms. */
  closed(streamId: number, timeout?: number): Promise<number>;
}

export interface TestServer {
  readonly port: number;
  readonly server: HTTP2Server;
  /** The record of the connection whose client end is on `clientPort` (a TestClient's `socket.localPort`). */
  connection(clientPort: number | undefined): ConnectionRecord;
  /** What went wrong in the server itself: unexpected errors (stats) and every line it logged. Empty when all is well. */
  problems(): string[];
  close(): Promise<void>;
}

const DEFAULT_WAIT = 3000;

class Recorder implements ConnectionRecord {
  readonly received: TraceEvent[] = [];
  readonly sent: TraceEvent[] = [];
  readonly streams = new Map<number, StreamRecord>();
  private readonly closeWaiters = new Map<number, Array<(code: number) => void>>();

  constructor(readonly id: number) {}

  closed(streamId: number, timeout = DEFAULT_WAIT): Promise<number> {
    const code = this.streams.get(streamId)?.closeCode;
    if (code !== undefined && code !== null) return Promise.resolve(code);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stream ${streamId}: no onClose within ${timeout} ms`)), timeout);
      const list = this.closeWaiters.get(streamId) ?? [];
      list.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
      this.closeWaiters.set(streamId, list);
    });
  }

  streamClosed(record: StreamRecord, code: number): void {
    record.closeCode = code;
    const list = this.closeWaiters.get(record.streamId);
    this.closeWaiters.delete(record.streamId);
    for (const wake of list ?? []) wake(code);
  }
}

export async function startServer(options: Partial<ConnectionOptions> = {}): Promise<TestServer> {
  const { role: _role, now: _now, ...connection } = options;
  /** By the client's port: the handler knows its client's address, onFrame its ConnectionInfo. */
  const byPort = new Map<number, Recorder>();
  const logged: string[] = [];

  const recordOf = (info: ConnectionInfo): Recorder => {
    const port = info.clientAddress[1];
    let rec = byPort.get(port);
    // A port the OS reused for a later connection starts a new record.
    if (rec === undefined || rec.id !== info.id) {
      rec = new Recorder(info.id);
      byPort.set(port, rec);
    }
    return rec;
  };

  class ConformanceHandler extends BaseRequestHandler {
    private readonly body: Buffer[] = [];
    private hasBody = false;
    private record: StreamRecord | null = null;

    private connectionRecord(): Recorder | undefined {
      return byPort.get(this.clientAddress[1]);
    }

    override onHeaders(): void {
      const record: StreamRecord = {
        streamId: this.streamId,
        pushed: this.pushed,
        method: this.method,
        path: this.path,
        headers: this.headers,
        trailers: null,
        closeCode: null,
      };
      this.record = record;
      this.connectionRecord()?.streams.set(this.streamId, record);
      if (this.path === '/early') this.respond();
    }

    override onData(data: Buffer): void | Promise<void> {
      // Never settles: the credit for this DATA (and all after it) stays with the application.
      if (this.path === '/stall') return new Promise<void>(() => {});
      this.hasBody = true;
      this.body.push(Buffer.from(data));
    }

    override onRequestDone(): void {
      if (this.record !== null) this.record.trailers = this.trailers;
      if (this.path === '/hold' || this.path === '/stall' || this.path === '/early') return;
      if ((this.path === '/push' || this.path === '/push-pending') && this.canPush) {
        // A body generator that defers and is never resumed: the pushed response's HEADERS go, its body never does.
        const held = (): [null, typeof DATA_DEFERRED] => [null, DATA_DEFERRED];
        this.push({ path: '/pushed', body: this.path === '/push' ? PUSHED_BODY : held });
      }
      this.respond();
      if (this.path === '/goaway') this.http2.shutdown();
    }

    override onClose(errorCode: number): void {
      if (this.record !== null) this.connectionRecord()?.streamClosed(this.record, errorCode);
    }

    private respond(): void {
      let body: Buffer;
      const big = /^\/big\?n=(\d+)$/.exec(this.path);
      if (big) body = Buffer.alloc(Number(big[1]), 0x62);
      else body = this.hasBody ? Buffer.concat(this.body) : Buffer.from(RESPONSE_BODY);
      this.sendResponse({ status: 200, headers: { 'content-type': 'text/plain' }, body });
    }
  }

  const server = new HTTP2Server(['127.0.0.1', 0], ConformanceHandler, {
    connection,
    logger: {
      error(message: string, ...details: unknown[]): void {
        logged.push([message, ...details.map(String)].join(' '));
      },
    },
    idleTimeout: 0,
    requestTimeout: 0,
    minRequestDataRate: null,
    minResponseDataRate: null,
    closeTimeout: 1000,
    onFrame(event, info) {
      const rec = recordOf(info);
      (event.direction === 'recv' ? rec.received : rec.sent).push(event);
    },
  });
  await server.listen();
  return {
    port: server.port,
    server,
    connection(clientPort) {
      const rec = clientPort === undefined ? undefined : byPort.get(clientPort);
      if (rec === undefined) throw new Error(`no connection from client port ${String(clientPort)} reached the server`);
      return rec;
    },
    problems() {
      const unexpected = server.stats.unexpectedErrors;
      return [...(unexpected > 0 ? [`server.stats.unexpectedErrors = ${unexpected}`] : []), ...logged];
    },
    close: () => server.close(),
  };
}
