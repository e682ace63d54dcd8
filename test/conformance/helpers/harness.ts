/**
 * Per-file setup for the conformance suite: one server under test (the real HTTP2Server, see
 * server.ts) for the file's tests, one fresh client connection per test, everything closed
 * afterwards so the process exits. After each test, the server must not have met an unexpected
 * error nor logged anything.
 *
 *   const h2 = useServer();                      // at the top of a test file
 *   test('...', async () => {
 *     const c = await h2.client();               // connected and handshaken
 *     ...
 *   });
 */
import { after, afterEach, before } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionOptions } from '../../../src/connection/index.js';
import { TestClient } from './client.js';
import { startServer } from './server.js';
import type { ConnectionRecord, TestServer } from './server.js';

export interface ServerHandle {
  readonly server: TestServer;
  /** A new connection to the server; handshaken (preface + SETTINGS exchange) unless `handshake: false`. */
  client(options?: { handshake?: boolean; settings?: Array<[number, number]> }): Promise<TestClient>;
  /** What the server recorded about `c`'s connection: frames both ways, streams that reached the application. */
  record(c: TestClient): ConnectionRecord;
  /**
   * Fails if the server met an exception it did not expect (server.stats.unexpectedErrors) or
   * logged anything, on any connection so far. Checked after every test, too.
   */
  assertNoCrash(): void;
}

export function useServer(options: Partial<ConnectionOptions> = {}): ServerHandle {
  let server: TestServer | null = null;
  const clients: TestClient[] = [];
  /** Each client's local port, kept: the socket forgets it once closed, and the server's records are keyed by it. */
  const ports = new WeakMap<TestClient, number>();
  before(async () => {
    server = await startServer(options);
  });
  afterEach(() => {
    for (const c of clients) c.close();
    clients.length = 0;
    handle.assertNoCrash();
  });
  after(async () => {
    await server?.close();
    if (server !== null) handle.assertNoCrash();
  });
  const handle: ServerHandle = {
    get server(): TestServer {
      assert.ok(server, 'server started');
      return server;
    },
    async client(clientOptions = {}) {
      const c = await TestClient.connect(handle.server.port);
      clients.push(c);
      ports.set(c, c.socket.localPort!);
      if (clientOptions.handshake ?? true) await c.handshake(clientOptions.settings ?? []);
      return c;
    },
    record(c) {
      return handle.server.connection(ports.get(c));
    },
    assertNoCrash() {
      assert.deepEqual(handle.server.problems(), [], 'the server under test failed or logged an error');
    },
  };
  return handle;
}
