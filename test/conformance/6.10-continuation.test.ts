/** RFC 9113 section 6.10: CONTINUATION (and 4.3: field blocks are contiguous). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

/** Sends the first two octets of a request block in HEADERS without END_HEADERS; returns the rest. */
function openBlock(c: TestClient, streamId = 1): Buffer {
  const block = c.encode(TestClient.requestHeaders());
  c.headers(streamId, block.subarray(0, 2), { endStream: true, endHeaders: false });
  return block.subarray(2);
}

test('6.10: CONTINUATION on stream 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.CONTINUATION, 0x4, 0, Buffer.from([0x82]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.10: CONTINUATION after a HEADERS that had END_HEADERS -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.continuation(1, Buffer.from([0x82]), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.10: CONTINUATION without any preceding HEADERS -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.continuation(1, c.encode(TestClient.requestHeaders()), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.10: CONTINUATION preceded by DATA (no block open) -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'x');
  c.continuation(1, c.encode([['x-a', 'b']]), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.10: HEADERS + several CONTINUATIONs make one block (answered)', async () => {
  const c = await h2.client();
  const rest = openBlock(c);
  for (let i = 0; i < rest.length - 1; i++) c.continuation(1, rest.subarray(i, i + 1), false);
  c.continuation(1, rest.subarray(rest.length - 1), true);
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('6.10: empty CONTINUATION frames inside a block are fine', async () => {
  const c = await h2.client();
  const rest = openBlock(c);
  c.continuation(1, Buffer.alloc(0), false);
  c.continuation(1, rest, true);
  assert.equal((await c.expectResponse(1)).status, '200');
});

const interleavings: Array<[string, (c: TestClient) => void]> = [
  ['PING', (c) => c.ping(Buffer.alloc(8))],
  ['DATA on the same stream', (c) => c.data(1, 'x')],
  ['PRIORITY on the same stream', (c) => c.priority(1)],
  ['PRIORITY on another stream', (c) => c.priority(3)],
  ['SETTINGS', (c) => c.settings([])],
  ['WINDOW_UPDATE on the connection', (c) => c.windowUpdate(0, 1)],
  ['RST_STREAM on the same stream', (c) => c.rstStream(1, ErrorCode.CANCEL)],
  ['HEADERS on another stream', (c) => c.request(3)],
  ['an unknown frame type', (c) => c.raw(0xcc, 0, 0, Buffer.alloc(0))],
];

for (const [name, interleave] of interleavings) {
  test(`6.10: ${name} between HEADERS and its CONTINUATION -> connection error PROTOCOL_ERROR`, async () => {
    const c = await h2.client();
    const rest = openBlock(c);
    interleave(c);
    c.continuation(1, rest, true);
    await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
  });
}

test('6.10: CONTINUATION on a different stream than its HEADERS -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  const rest = openBlock(c, 1);
  c.continuation(3, rest, true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.10: a field block that never ends (a flood of CONTINUATION) is cut off with a connection error', async () => {
  const c = await h2.client();
  openBlock(c);
  for (let i = 0; i < 2000; i++) c.continuation(1, Buffer.from([0x40, 0x01, 0x61, 0x01, 0x62]), false);
  const r = await c.waitFor('GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(r.frame.type === FrameType.GOAWAY);
  assert.notEqual(r.frame.errorCode, ErrorCode.NO_ERROR);
  await c.expectClosed();
});
