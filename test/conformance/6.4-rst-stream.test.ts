/** RFC 9113 section 6.4: RST_STREAM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.4: RST_STREAM on stream 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.RST_STREAM, 0, 0, Buffer.from([0, 0, 0, 8]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.4: RST_STREAM on an idle stream -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.rstStream(3, ErrorCode.CANCEL);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.4: RST_STREAM with a length other than 4 -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.raw(FrameType.RST_STREAM, 0, 1, Buffer.from([0, 0, 0, 0, 8]));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.4: RST_STREAM with length 3 -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.raw(FrameType.RST_STREAM, 0, 1, Buffer.from([0, 0, 8]));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.4: RST_STREAM on an open stream stops the response; the server reports the reset', async () => {
  const c = await h2.client({ settings: [[4, 0]] });
  c.request(1, { path: '/big?n=1000' });
  await c.expectFrame(FrameType.HEADERS, 1);
  c.rstStream(1, ErrorCode.CANCEL);
  c.windowUpdate(1, 1000);
  await c.expectAlive([1]);
  assert.ok(!c.log.some((r) => r.frame.type === FrameType.DATA && r.frame.streamId === 1), 'no DATA after the reset');
  assert.equal(await h2.record(c).closed(1), ErrorCode.CANCEL, 'the handler saw the client\'s reset');
});
