/**
 * RFC 9113 section 5.1: the states a stream reaches through what the SERVER sends —
 * half-closed (local) (the server ended its side first), and a pushed stream (half-closed
 * (remote) from the start: the client never sends on it). What the client may and may not send on them.
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

// ---- server push ---------------------------------------------------------------------------

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

// A promised stream in reserved (local) (PUSH_PROMISE sent, its response not started) is not a
// state HTTP2Server's push() leaves a stream in: it starts the pushed response at once. The client
// frames on reserved (local) are tested on the core, in test/connection/server-role.test.ts. Here
// the pushed response's HEADERS are sent and its body held back (DATA_DEFERRED), so the promised
// stream is half-closed (remote) on the server: the client never sends on it, may only adjust
// its window, its priority, or cancel it.

async function pushPending(): Promise<{ c: TestClient; promised: number }> {
  const c = await h2.client();
  c.request(1, { path: '/push-pending' });
  const promise = await c.expectFrame(FrameType.PUSH_PROMISE, 1);
  assert.ok(promise.frame.type === FrameType.PUSH_PROMISE);
  const promised = promise.frame.promisedStreamId;
  const head = await c.expectFrame(FrameType.HEADERS, promised);
  assert.ok(head.frame.type === FrameType.HEADERS && !head.frame.endStream, 'the pushed response started and is not over');
  await c.expectResponse(1);
  return { c, promised };
}

test('5.1 half-closed (remote), a pushed stream: WINDOW_UPDATE and PRIORITY from the client are allowed', async () => {
  const { c, promised } = await pushPending();
  c.windowUpdate(promised, 1000);
  c.priority(promised);
  await c.expectAlive([promised]);
});

test('5.1 half-closed (remote), a pushed stream: RST_STREAM from the client cancels the push', async () => {
  const { c, promised } = await pushPending();
  c.rstStream(promised, ErrorCode.CANCEL);
  await c.expectAlive([promised]);
});

test('5.1 half-closed (remote), a pushed stream: HEADERS from the client on it -> stream error STREAM_CLOSED', async () => {
  const { c, promised } = await pushPending();
  c.request(promised);
  await c.expectRstStream(promised, ErrorCode.STREAM_CLOSED);
  await c.expectAlive();
});

test('5.1 half-closed (remote), a pushed stream: DATA from the client on it -> stream error STREAM_CLOSED', async () => {
  const { c, promised } = await pushPending();
  c.data(promised, 'not yours', true);
  await c.expectRstStream(promised, ErrorCode.STREAM_CLOSED);
  await c.expectAlive();
});
