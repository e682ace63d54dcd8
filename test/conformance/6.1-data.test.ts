/** RFC 9113 section 6.1: DATA. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.1: DATA on stream 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.DATA, 0, 0, Buffer.from('x'));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.1: padded DATA: the padding is removed from the body', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'padded ', false, 10);
  c.data(1, 'zero-pad ', false, 0);
  c.data(1, 'end', true, 255);
  assert.equal((await c.expectResponse(1)).body.toString(), 'padded zero-pad end');
});

test('6.1: DATA whose padding fills the payload or more -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.raw(FrameType.DATA, FrameFlags.PADDED, 1, Buffer.from([5, 0x61, 0, 0, 0]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.1: PADDED DATA with no room for the Pad Length octet -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.raw(FrameType.DATA, FrameFlags.PADDED, 1, Buffer.alloc(0));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.1: padding that exactly fills the payload (empty data) is fine', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.raw(FrameType.DATA, FrameFlags.PADDED, 1, Buffer.from([3, 0, 0, 0]));
  c.data(1, 'after', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'after');
});

test('6.1: an empty DATA frame with END_STREAM ends the request', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'body');
  c.data(1, Buffer.alloc(0), true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'body');
});

test('6.1: DATA on a stream in half-closed (remote) -> stream error STREAM_CLOSED', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold' });
  c.data(1, 'late', true);
  await c.expectRstStream(1, ErrorCode.STREAM_CLOSED);
});

test('6.1: DATA on an idle stream -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.data(3, 'idle', true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});
