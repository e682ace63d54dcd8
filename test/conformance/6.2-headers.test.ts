/** RFC 9113 section 6.2: HEADERS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.2: HEADERS on stream 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 0, c.encode(TestClient.requestHeaders()));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.2: HEADERS with the PRIORITY flag is accepted (priority fields parsed and ignored)', async () => {
  const c = await h2.client();
  c.headers(1, TestClient.requestHeaders(), { endStream: true, priority: { dependency: 0, weight: 255, exclusive: true } });
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('6.2: padded HEADERS is accepted (with and without PRIORITY)', async () => {
  const c = await h2.client();
  c.headers(1, TestClient.requestHeaders(), { endStream: true, padLength: 20 });
  assert.equal((await c.expectResponse(1)).status, '200');
  c.headers(3, TestClient.requestHeaders(), { endStream: true, padLength: 0, priority: { dependency: 1, weight: 1, exclusive: false } });
  assert.equal((await c.expectResponse(3)).status, '200');
});

test('6.2: HEADERS whose padding fills the payload or more -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  const block = c.encode(TestClient.requestHeaders());
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM | FrameFlags.PADDED, 1, Buffer.concat([Buffer.from([block.length + 1]), block]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.2: HEADERS with PRIORITY and padding where the padding eats the priority fields -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.PADDED | FrameFlags.PRIORITY, 1, Buffer.from([5, 0, 0, 0, 0, 16]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.2: HEADERS without END_HEADERS followed by a frame of another type -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.headers(1, TestClient.requestHeaders(), { endStream: true, endHeaders: false });
  c.data(1, 'x', true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.2: HEADERS with END_STREAM followed by CONTINUATION: the request ends when the block does', async () => {
  const c = await h2.client();
  const block = c.encode(TestClient.requestHeaders());
  c.headers(1, block.subarray(0, 1), { endStream: true, endHeaders: false });
  c.continuation(1, block.subarray(1), true);
  assert.equal((await c.expectResponse(1)).status, '200');
});
