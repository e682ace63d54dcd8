/** RFC 9113 section 6.7: PING. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.7: PING is answered with a PING ACK carrying the same payload', async () => {
  const c = await h2.client();
  const payload = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]);
  c.ping(payload);
  const r = await c.expectFrame(FrameType.PING);
  assert.ok(r.frame.type === FrameType.PING);
  assert.equal(r.frame.ack, true);
  assert.deepEqual(r.frame.data, payload);
  assert.equal(r.frame.streamId, 0);
});

test('6.7: several PINGs are each answered, in order', async () => {
  const c = await h2.client();
  for (let i = 0; i < 5; i++) c.ping(Buffer.alloc(8, i));
  for (let i = 0; i < 5; i++) {
    const r = await c.expectFrame(FrameType.PING);
    assert.ok(r.frame.type === FrameType.PING && r.frame.ack);
    assert.deepEqual(r.frame.data, Buffer.alloc(8, i));
  }
});

test('6.7: a PING ACK is not answered', async () => {
  const c = await h2.client();
  const payload = Buffer.from('ackonly!');
  c.ping(payload, true);
  await c.expectAlive();
  assert.ok(!c.log.some((r) => r.frame.type === FrameType.PING && r.frame.data.equals(payload)), 'no answer to the ACK');
});

test('6.7: PING on a stream other than 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.PING, 0, 1, Buffer.alloc(8));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.7: PING with a length other than 8 -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.PING, 0, 0, Buffer.alloc(6));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.7: a PING ACK with a length other than 8 -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.PING, FrameFlags.ACK, 0, Buffer.alloc(9));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});
