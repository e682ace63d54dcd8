/**
 * The server's `onFrame` and `onBytes` options: every connection's frames, decoded, each way,
 * labelled with the connection; the raw bytes start with the client's preface.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaseRequestHandler } from '../../src/server/index.js';
import { CONNECTION_PREFACE, FrameType, type TraceEvent } from '../../src/frame/index.js';
import type { ConnectionInfo } from '../../src/server/index.js';
import { closeSession, connect, request, startServer } from './support.js';

class Hello extends BaseRequestHandler {
  override onHeaders(): void {
    this.sendResponse({ body: `hello ${this.path}` });
  }
}

test('onFrame sees each connection\'s frames both ways, header blocks decoded; onBytes sees the preface first', async () => {
  const frames: Array<{ event: TraceEvent; connection: ConnectionInfo }> = [];
  const firstBytes = new Map<number, Buffer>();
  const { server, url } = await startServer(Hello, {
    onFrame: (event, connection) => frames.push({ event, connection }),
    onBytes: (direction, chunk, connection) => {
      if (direction === 'recv' && !firstBytes.has(connection.id)) firstBytes.set(connection.id, Buffer.from(chunk));
    },
  });
  try {
    for (const path of ['/one', '/two']) {
      const session = await connect(url);
      assert.equal((await request(session, { ':path': path })).body.toString(), `hello ${path}`);
      await closeSession(session);
    }
    const ids = [...new Set(frames.map((f) => f.connection.id))];
    assert.deepEqual(ids, [1, 2], 'two connections, numbered in order');
    for (const [id, path] of [[1, '/one'], [2, '/two']] as const) {
      const mine = frames.filter((f) => f.connection.id === id).map((f) => f.event);
      assert.equal(mine[0]!.preface, true, 'the preface comes first');
      const request = mine.find((e) => e.direction === 'recv' && e.type === FrameType.HEADERS);
      assert.ok(request?.headers?.some(([n, v]) => n === ':path' && v === path), `connection ${id} received HEADERS for ${path}`);
      const data = mine.find((e) => e.direction === 'send' && e.type === FrameType.DATA);
      assert.ok(data?.frame?.type === FrameType.DATA && data.frame.data.toString() === `hello ${path}`, `connection ${id} sent the body`);
      assert.ok(mine.every((e) => e.error === undefined), 'every frame decoded');
      assert.ok(firstBytes.get(id)!.subarray(0, CONNECTION_PREFACE.length).equals(CONNECTION_PREFACE.subarray(0, firstBytes.get(id)!.length)));
    }
  } finally {
    await server.close();
  }
});
