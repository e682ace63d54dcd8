/**
 * Findings of the fuzzer, each as the smallest input that showed it, kept as regression tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection/index.js';
import { ErrorCode } from '../../src/errors.js';
import { CONNECTION_PREFACE, FrameWriter } from '../../src/frame/index.js';
import { HDDeflater } from '../../src/hpack/index.js';

// Found by connectionMutated (fixed in src/connection after the report) (seed 1277965545, path 51): after the client's GOAWAY, a stream error
// that closes the last stream finishes the connection ('closed'), but the frames after it in the same
// chunk were still processed: a 'headers' event (a new request) came after 'closed'.
test('fuzz finding: no event after closed when a stream error closes the last stream after the peer GOAWAY', () => {
  const conn = new Connection({ role: 'server', now: 0 });
  const hpack = new HDDeflater();
  const w = new FrameWriter();
  w.settings([]);
  w.settingsAck();
  w.headers(1, hpack.deflate([[':method', 'POST'], [':scheme', 'http'], [':authority', 'a'], [':path', '/up']]), false, 16384);
  w.goaway(0, ErrorCode.NO_ERROR);
  w.windowUpdate(1, 0); // a stream error on the last stream: RST_STREAM PROTOCOL_ERROR, the stream closes
  w.headers(3, hpack.deflate([[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', '/']]), true, 16384);
  const events = conn.receive(Buffer.concat([CONNECTION_PREFACE, ...w.take()]), 0);
  const types = events.map((e) => e.type);
  const closedAt = types.indexOf('closed');
  if (closedAt >= 0) assert.deepEqual(types.slice(closedAt + 1), [], `no event after closed: ${types.join(', ')}`);
  assert.ok(!events.some((e) => e.type === 'headers' && e.streamId === 3) || !conn.isClosed, 'a request after closed is not delivered');
});
