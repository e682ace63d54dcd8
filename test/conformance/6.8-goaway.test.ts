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

test('6.8: a graceful GOAWAY from the server: GOAWAY(2^31-1) and a PING first; streams sent before the PING came back are served; the final GOAWAY names the last; newer streams are not processed; then the connection closes', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.request(3, { path: '/goaway' });
  const first = await c.waitFor('the first GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(first.frame.type === FrameType.GOAWAY);
  assert.equal(first.frame.errorCode, ErrorCode.NO_ERROR);
  assert.equal(first.frame.lastStreamId, 0x7fffffff, 'the shutdown notice: no stream is refused yet');
  const ping = await c.waitFor('the PING after it', (f) => (f.type === FrameType.PING ? (f.ack ? 'skip' : 'take') : f.type === FrameType.GOAWAY ? 'a second GOAWAY before the PING' : 'skip'));
  assert.ok(ping.frame.type === FrameType.PING);
  c.request(5); // crossed the first GOAWAY on the wire: still served
  c.ping(ping.frame.data, true);
  const final = await c.waitFor('the final GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(final.frame.type === FrameType.GOAWAY);
  assert.equal(final.frame.errorCode, ErrorCode.NO_ERROR);
  assert.equal(final.frame.lastStreamId, 5, 'the last stream the server processed');
  c.request(7); // above the last stream id: ignored
  c.data(1, 'in flight', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'in flight');
  await c.expectClosed();
  assert.ok(!c.log.some((r) => r.frame.streamId === 7), 'nothing on stream 7');
  assert.ok(c.log.some((r) => r.frame.type === FrameType.HEADERS && r.frame.streamId === 5), 'stream 5 was answered');
  const record = h2.record(c);
  assert.ok(record.received.some((e) => e.frame?.type === FrameType.HEADERS && e.frame.streamId === 7), "the server read stream 7's HEADERS");
  assert.ok(!record.streams.has(7), 'stream 7 never reached the application');
  assert.ok(record.streams.has(1) && record.streams.has(3) && record.streams.has(5));
});

test('6.8: a client that never answers the shutdown PING gets the final GOAWAY after a second all the same', async () => {
  const c = await h2.client();
  c.request(1, { path: '/goaway' });
  await c.waitFor('the first GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  const final = await c.waitFor('the final GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'), 5000);
  assert.ok(final.frame.type === FrameType.GOAWAY);
  assert.equal(final.frame.lastStreamId, 1);
  await c.expectClosed();
});
