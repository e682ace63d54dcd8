/** RFC 9113 section 8.1: HTTP message framing (header blocks, trailers, content-length). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('8.1: a request with trailers (HEADERS, DATA, HEADERS with END_STREAM) is complete', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'with trailers');
  c.headers(1, [['x-checksum', 'abc']], { endStream: true });
  assert.equal((await c.expectResponse(1)).body.toString(), 'with trailers');
  assert.deepEqual(h2.record(c).streams.get(1)?.trailers, [['x-checksum', 'abc']], 'the application got the trailers');
});

test('8.1: a second HEADERS without END_STREAM (trailers must end the stream) -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'x');
  c.headers(1, [['x-trailer', 'no end']], { endStream: false });
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  await c.expectAlive();
});

test('8.1.1: content-length larger than the DATA received -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false, headers: [['content-length', '10']] });
  c.data(1, 'short', true);
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  await c.expectAlive();
});

test('8.1.1: content-length smaller than the DATA received -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false, headers: [['content-length', '2']] });
  c.data(1, 'too long', true);
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  await c.expectAlive();
});

test('8.1.1: content-length over several DATA frames matching exactly is fine', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false, headers: [['content-length', '11']] });
  c.data(1, 'hello');
  c.data(1, ' world', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'hello world');
});

test('8.1.1: content-length non-zero with END_STREAM on the HEADERS (no DATA) -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: true, headers: [['content-length', '5']] });
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
});

test('8.1.1: a content-length that is not a number -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false, headers: [['content-length', 'abc']] });
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
});

test('8.1.1: two content-length fields with different values -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, {
    method: 'POST',
    endStream: false,
    headers: [
      ['content-length', '4'],
      ['content-length', '5'],
    ],
  });
  c.data(1, 'abcd', true);
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
});

test('8.1.1: content-length 0 with END_STREAM on the HEADERS is fine', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: true, headers: [['content-length', '0']] });
  assert.equal((await c.expectResponse(1)).status, '200');
});
