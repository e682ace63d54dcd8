/** RFC 9113 section 4.2: frame size — SETTINGS_MAX_FRAME_SIZE and mandatory fields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType, SettingId } from '../../src/frame/index.js';
import { TestClient, literalBlock } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('4.2: a DATA frame of exactly SETTINGS_MAX_FRAME_SIZE (16384) is accepted', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, Buffer.alloc(16384, 0x61), true);
  const res = await c.expectResponse(1);
  assert.equal(res.body.length, 16384);
});

test('4.2: a DATA frame larger than SETTINGS_MAX_FRAME_SIZE -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, Buffer.alloc(16385), true);
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('4.2: a HEADERS frame larger than SETTINGS_MAX_FRAME_SIZE -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  const block = literalBlock(TestClient.requestHeaders({ headers: [['x-big', 'a'.repeat(17000)]] }));
  assert.ok(block.length > 16384);
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 1, block);
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('4.2: a frame of unknown type larger than SETTINGS_MAX_FRAME_SIZE -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(0x33, 0, 0, Buffer.alloc(16385));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('4.2: a frame too small for its mandatory fields (HEADERS with PRIORITY, 4 octets) -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.PRIORITY | FrameFlags.END_HEADERS, 1, Buffer.alloc(4));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('4.2: the server never sends frames larger than our SETTINGS_MAX_FRAME_SIZE (default 16384)', async () => {
  const c = await h2.client({ settings: [[SettingId.INITIAL_WINDOW_SIZE, 1 << 20]] });
  c.windowUpdate(0, 1 << 20);
  c.request(1, { path: '/big?n=60000' });
  const res = await c.expectResponse(1);
  assert.equal(res.body.length, 60000);
  for (const r of c.log) assert.ok(r.frame.type !== FrameType.DATA || r.frame.flowLength <= 16384, 'DATA within 16384');
});

test('4.2: after we advertise a larger SETTINGS_MAX_FRAME_SIZE the server may use it, and never exceeds it', async () => {
  const c = await h2.client({ settings: [[SettingId.MAX_FRAME_SIZE, 32768], [SettingId.INITIAL_WINDOW_SIZE, 1 << 20]] });
  c.windowUpdate(0, 1 << 20);
  c.request(1, { path: '/big?n=100000' });
  const res = await c.expectResponse(1);
  assert.equal(res.body.length, 100000);
  for (const r of c.log) assert.ok(r.frame.type !== FrameType.DATA || r.frame.flowLength <= 32768, 'DATA within 32768');
});
