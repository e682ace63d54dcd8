/** RFC 9113 section 6.8: GOAWAY. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.8: GOAWAY on a stream other than 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.GOAWAY, 0, 1, Buffer.alloc(8));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.8: GOAWAY shorter than 8 octets -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.GOAWAY, 0, 0, Buffer.alloc(7));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.8: after the client sends GOAWAY, a request already sent is still answered', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.goaway(0, ErrorCode.NO_ERROR, Buffer.from('client leaving'));
  c.data(1, 'finish me', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'finish me');
  const goaway = h2.record(c).received.find((e) => e.frame?.type === FrameType.GOAWAY)?.frame;
  assert.ok(goaway?.type === FrameType.GOAWAY, 'the server read our GOAWAY');
  assert.equal(goaway.errorCode, ErrorCode.NO_ERROR);
  assert.equal(goaway.debugData.toString(), 'client leaving');
});

test('6.8: a graceful GOAWAY from the server: in-flight streams finish, newer streams are not processed, then the connection closes', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.request(3, { path: '/goaway' });
  const goaway = await c.waitFor('GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(goaway.frame.type === FrameType.GOAWAY);
  assert.equal(goaway.frame.errorCode, ErrorCode.NO_ERROR);
  assert.equal(goaway.frame.lastStreamId, 3, 'the last stream the server processed');
  c.request(5); // above the last stream id: ignored
  c.data(1, 'in flight', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'in flight');
  await c.expectClosed();
  assert.ok(!c.log.some((r) => r.frame.streamId === 5), 'nothing on stream 5');
  const record = h2.record(c);
  assert.ok(record.received.some((e) => e.frame?.type === FrameType.HEADERS && e.frame.streamId === 5), 'the server read stream 5\'s HEADERS');
  assert.ok(!record.streams.has(5), 'stream 5 never reached the application');
  assert.ok(record.streams.has(1) && record.streams.has(3));
});
