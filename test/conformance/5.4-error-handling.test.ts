/** RFC 9113 section 5.4: error handling — connection errors end with GOAWAY + close, stream errors with RST_STREAM only. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('5.4.1: a connection error sends GOAWAY with the last processed stream, then closes the TCP connection', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.raw(FrameType.PING, 0, 3, Buffer.alloc(8));
  await c.expectGoaway(ErrorCode.PROTOCOL_ERROR, 1);
  await c.expectClosed();
});

test('5.4.1: GOAWAY carries debug data naming the rejection', async () => {
  const c = await h2.client();
  c.raw(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(3));
  const r = await c.expectGoaway(ErrorCode.FRAME_SIZE_ERROR, 0);
  assert.ok(r.frame.type === FrameType.GOAWAY && r.frame.debugData.length > 0, 'non-empty debug data');
});

test('5.4.2: a stream error resets only that stream; other streams and the connection go on', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.request(3, { headers: [['Bad-Name', 'x']] });
  await c.expectRstStream(3, ErrorCode.PROTOCOL_ERROR);
  c.data(1, 'still open', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'still open');
});

test('5.4.2: the server does not answer a RST_STREAM with a RST_STREAM', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.rstStream(1, ErrorCode.INTERNAL_ERROR);
  c.rstStream(1, ErrorCode.INTERNAL_ERROR);
  await c.expectAlive([1]);
});

test('5.4.1: after a connection error the server processes no more frames (a request after the error is not answered)', async () => {
  const c = await h2.client();
  c.raw(FrameType.SETTINGS, 0, 0, Buffer.alloc(5));
  c.request(1);
  await c.expectGoaway(ErrorCode.FRAME_SIZE_ERROR, 0);
  await c.expectClosed();
  assert.ok(!c.log.some((r) => r.frame.streamId === 1), 'nothing sent on stream 1');
});
