/**
 * Per-file setup for the conformance suite: one server under test for the file's tests, one
 * fresh client connection per test, everything closed afterwards so the process exits.
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
import type { TestServer } from './server.js';

export interface ServerHandle {
  readonly server: TestServer;
  /** A new connection to the server; handshaken (preface + SETTINGS exchange) unless `handshake: false`. */
  client(options?: { handshake?: boolean; settings?: Array<[number, number]> }): Promise<TestClient>;
  /** Fails if the core threw out of receive()/tick()/a command on any connection so far (it must never throw for peer input). */
  assertNoCrash(): void;
}

export function useServer(options: Partial<ConnectionOptions> = {}): ServerHandle {
  let server: TestServer | null = null;
  const clients: TestClient[] = [];
  before(async () => {
    server = await startServer(options);
  });
  afterEach(() => {
    for (const c of clients) c.close();
    clients.length = 0;
  });
  after(async () => {
    await server?.close();
  });
  const handle: ServerHandle = {
    get server(): TestServer {
      assert.ok(server, 'server started');
      return server;
    },
    async client(clientOptions = {}) {
      const c = await TestClient.connect(handle.server.port);
      clients.push(c);
      if (clientOptions.handshake ?? true) await c.handshake(clientOptions.settings ?? []);
      return c;
    },
    assertNoCrash() {
      const crashes = handle.server.connections.flatMap((r) => r.crashes);
      assert.deepEqual(crashes.map(String), [], 'the connection core threw');
    },
  };
  return handle;
}
