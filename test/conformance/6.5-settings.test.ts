/** RFC 9113 section 6.5: SETTINGS (format, ACK, value ranges). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType, SettingId } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.5: SETTINGS is acknowledged with an empty SETTINGS ACK', async () => {
  const c = await h2.client();
  c.settings([[SettingId.HEADER_TABLE_SIZE, 4096]]);
  const r = await c.expectFrame(FrameType.SETTINGS);
  assert.ok(r.frame.type === FrameType.SETTINGS && r.frame.ack && r.frame.settings.length === 0);
});

test('6.5: an empty SETTINGS is acknowledged too', async () => {
  const c = await h2.client();
  c.settings([]);
  const r = await c.expectFrame(FrameType.SETTINGS);
  assert.ok(r.frame.type === FrameType.SETTINGS && r.frame.ack);
});

test('6.5: several SETTINGS in a row are each acknowledged, in order', async () => {
  const c = await h2.client();
  c.settings([[SettingId.MAX_CONCURRENT_STREAMS, 10]]);
  c.settings([[SettingId.MAX_CONCURRENT_STREAMS, 20]]);
  c.settings([]);
  for (let i = 0; i < 3; i++) {
    const r = await c.expectFrame(FrameType.SETTINGS);
    assert.ok(r.frame.type === FrameType.SETTINGS && r.frame.ack);
  }
});

test('6.5: SETTINGS on a stream other than 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.SETTINGS, 0, 1, Buffer.alloc(6));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.5: SETTINGS with a length not a multiple of 6 -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100, 0]));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.5: SETTINGS ACK with a payload -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.SETTINGS, FrameFlags.ACK, 0, Buffer.from([0, 3, 0, 0, 0, 100]));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.5.2: SETTINGS_ENABLE_PUSH other than 0 or 1 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.settings([[SettingId.ENABLE_PUSH, 2]]);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.5.2: SETTINGS_ENABLE_PUSH 0 and 1 from a client are fine', async () => {
  const c = await h2.client();
  c.settings([[SettingId.ENABLE_PUSH, 0]]);
  c.settings([[SettingId.ENABLE_PUSH, 1]]);
  await c.expectAlive();
});

test('6.5.2: SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1 -> connection error FLOW_CONTROL_ERROR', async () => {
  const c = await h2.client();
  c.settings([[SettingId.INITIAL_WINDOW_SIZE, 2 ** 31]]);
  await c.expectConnectionError(ErrorCode.FLOW_CONTROL_ERROR);
});

test('6.5.2: SETTINGS_INITIAL_WINDOW_SIZE of exactly 2^31-1 is fine', async () => {
  const c = await h2.client();
  c.settings([[SettingId.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]);
  await c.expectAlive();
});

test('6.5.2: SETTINGS_MAX_FRAME_SIZE below 16384 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.settings([[SettingId.MAX_FRAME_SIZE, 16383]]);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.5.2: SETTINGS_MAX_FRAME_SIZE above 2^24-1 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.settings([[SettingId.MAX_FRAME_SIZE, 2 ** 24]]);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.5.2: SETTINGS_MAX_FRAME_SIZE at the bounds (16384, 2^24-1) is fine', async () => {
  const c = await h2.client();
  c.settings([[SettingId.MAX_FRAME_SIZE, 16384]]);
  c.settings([[SettingId.MAX_FRAME_SIZE, 2 ** 24 - 1]]);
  await c.expectAlive();
});

test('6.5.2 (RFC 8441): SETTINGS_ENABLE_CONNECT_PROTOCOL above 1 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.settings([[SettingId.ENABLE_CONNECT_PROTOCOL, 2]]);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.5.3: values in one SETTINGS frame are processed in order (the last one wins)', async () => {
  const c = await h2.client();
  c.settings([
    [SettingId.INITIAL_WINDOW_SIZE, 0],
    [SettingId.INITIAL_WINDOW_SIZE, 5],
  ]);
  await c.expectFrame(FrameType.SETTINGS);
  c.request(1, { path: '/big?n=20' });
  const data = await c.expectFrame(FrameType.DATA, 1);
  assert.ok(data.frame.type === FrameType.DATA);
  assert.equal(data.frame.data.length, 5, 'the stream window is 5 (the later value)');
});

test('6.5.2: SETTINGS_HEADER_TABLE_SIZE 0: the server encoder stops using its dynamic table (its blocks still decode)', async () => {
  const c = await h2.client();
  c.settings([[SettingId.HEADER_TABLE_SIZE, 0]]);
  c.inflater.changeTableSize(0);
  await c.expectFrame(FrameType.SETTINGS);
  for (const id of [1, 3]) {
    c.request(id);
    assert.equal((await c.expectResponse(id)).status, '200');
  }
  assert.equal(c.inflater.getHdTable().length, 0);
});
