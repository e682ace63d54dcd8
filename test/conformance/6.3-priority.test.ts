/** RFC 9113 section 6.3: PRIORITY (deprecated signalling; the frame is still parsed and its rules kept). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.3: PRIORITY on stream 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.PRIORITY, 0, 0, Buffer.from([0, 0, 0, 1, 16]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.3: PRIORITY with a length other than 5 -> stream error FRAME_SIZE_ERROR; the connection goes on', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.raw(FrameType.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0, 16, 0]));
  await c.expectRstStream(1, ErrorCode.FRAME_SIZE_ERROR);
  await c.expectAlive();
  c.request(3);
  assert.equal((await c.expectResponse(3)).status, '200');
});

test('6.3: PRIORITY of length 4 on an idle stream -> stream error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.PRIORITY, 0, 5, Buffer.from([0, 0, 0, 0]));
  await c.expectRstStream(5, ErrorCode.FRAME_SIZE_ERROR);
  await c.expectAlive();
});

test('6.3: PRIORITY is accepted in every state: idle, open, half-closed (remote), closed', async () => {
  const c = await h2.client();
  c.priority(9);
  c.request(1, { path: '/hold', endStream: false });
  c.priority(1, { dependency: 9, weight: 3, exclusive: true });
  c.request(3, { path: '/hold' });
  c.priority(3);
  c.request(5);
  await c.expectResponse(5);
  c.priority(5);
  await c.expectAlive([1, 3, 9]);
});

test('6.3: a PRIORITY frame does not open the stream (a later HEADERS on it opens it)', async () => {
  const c = await h2.client();
  c.priority(3);
  c.request(1);
  assert.equal((await c.expectResponse(1)).status, '200');
  c.request(3);
  assert.equal((await c.expectResponse(3)).status, '200');
});
