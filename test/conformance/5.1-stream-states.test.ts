/**
 * RFC 9113 section 5.1: stream states, and the frames allowed and forbidden in each, as the
 * server sees them (client-initiated streams: idle, open, half-closed (remote), closed).
 *
 * Paths: `/hold` is never answered, so after the request's END_STREAM the stream stays
 * half-closed (remote) on the server; without END_STREAM it stays open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

// ---- idle ------------------------------------------------------------------------------

test('5.1 idle: HEADERS opens the stream (answered)', async () => {
  const c = await h2.client();
  c.request(1);
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('5.1 idle: PRIORITY is allowed and does not open the stream', async () => {
  const c = await h2.client();
  c.priority(1);
  c.priority(7, { dependency: 3, weight: 100, exclusive: true });
  await c.expectAlive();
  // Stream 1 is still idle: it can be opened now.
  c.request(1);
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('5.1 idle: DATA -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.data(1, 'no stream', true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1 idle: RST_STREAM -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.rstStream(1, ErrorCode.CANCEL);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1 idle: WINDOW_UPDATE -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.windowUpdate(1, 100);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1 idle: CONTINUATION -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.continuation(1, c.encode([[':method', 'GET']]), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1 idle: DATA on an idle stream above open ones -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  await c.expectAlive();
  c.data(3, 'idle', false);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

// ---- open ------------------------------------------------------------------------------

test('5.1 open: DATA, WINDOW_UPDATE and PRIORITY are allowed; END_STREAM completes the request', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'part one, ');
  c.windowUpdate(1, 1000);
  c.priority(1, { dependency: 0, weight: 200, exclusive: false });
  await c.expectAlive([1]);
  c.data(1, 'part two', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'part one, part two');
});

test('5.1 open: trailers (HEADERS with END_STREAM) end the request', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'body');
  c.headers(1, [['x-trailer', 'yes']], { endStream: true });
  assert.equal((await c.expectResponse(1)).body.toString(), 'body');
});

test('5.1 open: RST_STREAM from the client closes the stream; the server sends nothing on it and the connection goes on', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  // The PING answered after the HEADERS: the stream reached the application before the reset
  // (a reset read together with its HEADERS never makes a handler: see the next test).
  await c.expectAlive([1]);
  assert.ok(h2.record(c).streams.has(1));
  c.rstStream(1, ErrorCode.CANCEL);
  await c.expectAlive([1]);
  c.request(3);
  assert.equal((await c.expectResponse(3)).status, '200');
  // The application saw the stream end with the client's code.
  assert.equal(await h2.record(c).closed(1), ErrorCode.CANCEL);
});

test('5.1 open: HEADERS and RST_STREAM read together close the stream before it reaches the application', async () => {
  const c = await h2.client();
  // One write: the server reads both at once (Rapid Reset's pattern), and builds no handler.
  c.writer.headers(1, c.encode(TestClient.requestHeaders({ path: '/hold' })), false, 16384);
  c.writer.rstStream(1, ErrorCode.CANCEL);
  c.flush();
  await c.expectAlive([1]);
  c.request(3);
  assert.equal((await c.expectResponse(3)).status, '200');
  const record = h2.record(c);
  assert.ok(record.received.some((e) => e.frame?.type === FrameType.RST_STREAM && e.frame.streamId === 1), 'the server read the reset');
  assert.ok(!record.streams.has(1), 'no handler was made for stream 1');
});

// ---- half-closed (remote) ---------------------------------------------------------------

test('5.1 half-closed (remote): DATA -> stream error STREAM_CLOSED', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: true });
  c.data(1, 'too late', false);
  await c.expectRstStream(1, ErrorCode.STREAM_CLOSED);
  await c.expectAlive();
});

test('5.1 half-closed (remote): HEADERS -> stream error STREAM_CLOSED', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: true });
  c.headers(1, [['x-trailer', 'late']], { endStream: true });
  await c.expectRstStream(1, ErrorCode.STREAM_CLOSED);
  await c.expectAlive();
});

test('5.1 half-closed (remote): CONTINUATION (no block open) -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: true });
  c.continuation(1, c.encode([['x-a', 'b']]), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1 half-closed (remote): WINDOW_UPDATE, PRIORITY are allowed; RST_STREAM closes it', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: true });
  c.windowUpdate(1, 500);
  c.priority(1);
  await c.expectAlive([1]);
  c.rstStream(1, ErrorCode.CANCEL);
  await c.expectAlive([1]);
});

test('5.1 half-closed (remote): the server still sends its response (a stream half-closed after the request)', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'x', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'x');
});

// ---- closed ----------------------------------------------------------------------------

test('5.1 closed: PRIORITY on a closed stream is allowed', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.priority(1);
  await c.expectAlive();
});

// RFC 9113 5.1 "closed": a frame other than PRIORITY on a closed stream MAY be a connection
// error STREAM_CLOSED. h2kit makes it one once both sides have ended the stream normally (the
// peer knew it was closed), and a stream error STREAM_CLOSED right after a RST_STREAM (frames
// may have been in flight).
test('5.1 closed (after END_STREAM both ways): DATA -> connection error STREAM_CLOSED', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.data(1, 'after close', true);
  await c.expectConnectionError(ErrorCode.STREAM_CLOSED);
});

test('5.1 closed (after END_STREAM both ways): HEADERS -> connection error STREAM_CLOSED', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.request(1);
  await c.expectConnectionError(ErrorCode.STREAM_CLOSED);
});

test('5.1 closed (after the client sent RST_STREAM): DATA -> stream error STREAM_CLOSED, the connection goes on', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', path: '/hold', endStream: false });
  c.rstStream(1, ErrorCode.CANCEL);
  // Frames in flight when the peer reset the stream: RFC 9113 5.1 "closed" says the
  // receiver of a RST_STREAM it SENT must process and discard them; here the CLIENT sent the
  // reset, so further frames from it are its own error: STREAM_CLOSED.
  c.data(1, 'after reset', true);
  await c.expectRstStream(1, ErrorCode.STREAM_CLOSED);
  await c.expectAlive();
});

test('5.1 closed (after the server reset the stream): frames in flight are discarded, and DATA counts toward the connection window', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false, headers: [['content-length', '1']] });
  c.data(1, 'too long');
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  c.data(1, 'in flight', false);
  c.windowUpdate(1, 10);
  c.rstStream(1, ErrorCode.CANCEL);
  await c.expectAlive([1]);
  c.request(3);
  assert.equal((await c.expectResponse(3)).status, '200');
});

test('5.1 closed: WINDOW_UPDATE and RST_STREAM on a stream the server just closed are ignored (they may cross its END_STREAM)', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.windowUpdate(1, 1000);
  c.rstStream(1, ErrorCode.CANCEL);
  await c.expectAlive([1]);
  c.request(3);
  assert.equal((await c.expectResponse(3)).status, '200');
});

test('5.1 closed: a header block on a closed stream still updates the HPACK state (later requests decode)', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', path: '/hold', endStream: false });
  c.rstStream(1, ErrorCode.CANCEL);
  const trailers: Array<[string, string]> = [['x-trailer-indexed', 'kept in the table']];
  c.headers(1, trailers, { endStream: true });
  assert.ok(c.deflater.getHdTable().some((e) => String(e.name) === 'x-trailer-indexed'), 'our encoder indexed the field');
  await c.waitFor('the reaction to HEADERS on closed stream 1', (f) =>
    f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY || (f.type === FrameType.PING && f.ack) ? 'take' : 'skip',
  ).catch(() => undefined);
  if (c.log.some((r) => r.frame.type === FrameType.GOAWAY)) return; // a connection error is allowed (5.1 closed); nothing more to check
  c.request(3, { headers: trailers });
  assert.equal((await c.expectResponse(3)).status, '200');
});

test('5.1 closed: CONTINUATION after a complete block on a closed stream -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.continuation(1, c.encode([['x-a', 'b']]), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1 closed (after the client sent RST_STREAM): CONTINUATION -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.rstStream(1, ErrorCode.CANCEL);
  c.continuation(1, c.encode([['x-a', 'b']]), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});
