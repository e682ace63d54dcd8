/**
 * RFC 9113 section 5.1: the states a stream reaches through what the SERVER sends —
 * half-closed (local) (the server ended its side first) and reserved (local) (a promised push).
 * What the client may and may not send on them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType, SettingId } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';
import { PUSHED_BODY } from './helpers/server.js';

const h2 = useServer();

// ---- half-closed (local) -----------------------------------------------------------------

test('5.1 half-closed (local): after the server ends its response, the client may still send DATA and end the stream', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', path: '/early', endStream: false });
  await c.expectResponse(1);
  c.data(1, 'still sending');
  c.windowUpdate(1, 100);
  c.priority(1);
  await c.expectAlive();
  c.data(1, 'end', true);
  await c.expectAlive();
  // Closed now (both sides ended it): more DATA is a connection error STREAM_CLOSED (5.1 "closed").
  c.data(1, 'after both ends', true);
  await c.expectConnectionError(ErrorCode.STREAM_CLOSED);
});

test('5.1 half-closed (local): RST_STREAM from the client closes the stream', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', path: '/early', endStream: false });
  await c.expectResponse(1);
  c.rstStream(1, ErrorCode.CANCEL);
  await c.expectAlive([1]);
});

// ---- reserved (local): server push ---------------------------------------------------------

test('8.4: with push enabled, the server promises an even stream and answers it', async () => {
  const c = await h2.client();
  c.request(1, { path: '/push' });
  const promise = await c.expectFrame(FrameType.PUSH_PROMISE, 1);
  assert.ok(promise.frame.type === FrameType.PUSH_PROMISE);
  const promised = promise.frame.promisedStreamId;
  assert.equal(promised % 2, 0, 'server-initiated ids are even');
  assert.ok(promise.headers?.some(([n, v]) => n === ':path' && v === '/pushed'));
  assert.equal((await c.expectResponse(promised)).body.toString(), PUSHED_BODY);
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('8.4: with SETTINGS_ENABLE_PUSH 0 the server does not push', async () => {
  const c = await h2.client({ settings: [[SettingId.ENABLE_PUSH, 0]] });
  c.request(1, { path: '/push' });
  await c.expectResponse(1);
  await c.expectAlive();
  assert.ok(!c.log.some((r) => r.frame.type === FrameType.PUSH_PROMISE));
});

async function reserved(): Promise<{ c: TestClient; promised: number }> {
  const c = await h2.client();
  c.request(1, { path: '/push-hold' });
  const promise = await c.expectFrame(FrameType.PUSH_PROMISE, 1);
  assert.ok(promise.frame.type === FrameType.PUSH_PROMISE);
  await c.expectResponse(1);
  return { c, promised: promise.frame.promisedStreamId };
}

test('5.1 reserved (local): WINDOW_UPDATE and PRIORITY from the client are allowed', async () => {
  const { c, promised } = await reserved();
  c.windowUpdate(promised, 1000);
  c.priority(promised);
  await c.expectAlive();
});

test('5.1 reserved (local): RST_STREAM from the client cancels the push', async () => {
  const { c, promised } = await reserved();
  c.rstStream(promised, ErrorCode.CANCEL);
  await c.expectAlive([promised]);
});

test('5.1 reserved (local): HEADERS from the client on the promised stream -> connection error PROTOCOL_ERROR', async () => {
  const { c, promised } = await reserved();
  c.request(promised);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1 reserved (local): DATA from the client on the promised stream -> connection error PROTOCOL_ERROR', async () => {
  const { c, promised } = await reserved();
  c.data(promised, 'not yours', true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});
