/** RFC 9113 section 4.3: field section compression and decompression (HPACK errors, blocks over CONTINUATION). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('4.3: an undecodable field block (HPACK garbage) -> connection error COMPRESSION_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  await c.expectConnectionError(ErrorCode.COMPRESSION_ERROR);
});

test('4.3: an HPACK index beyond the tables -> connection error COMPRESSION_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 1, Buffer.from([0x82, 0x86, 0x84, 0xbf]));
  await c.expectConnectionError(ErrorCode.COMPRESSION_ERROR);
});

test('4.3: a truncated field block (string shorter than its length) -> connection error COMPRESSION_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 1, Buffer.from([0x82, 0x86, 0x84, 0x00, 0x05, 0x61]));
  await c.expectConnectionError(ErrorCode.COMPRESSION_ERROR);
});

test('4.3: a dynamic table size update above SETTINGS_HEADER_TABLE_SIZE (4096) -> connection error COMPRESSION_ERROR', async () => {
  const c = await h2.client();
  // 0x3f e1 1f = size update to 4097 (5-bit prefix: 31 + 4066)
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 1, Buffer.from([0x3f, 0xe2, 0x1f, 0x82, 0x86, 0x84]));
  await c.expectConnectionError(ErrorCode.COMPRESSION_ERROR);
});

test('4.3: HPACK garbage in the CONTINUATION part of a block -> connection error COMPRESSION_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.END_STREAM, 1, Buffer.from([0x82, 0x86]));
  c.continuation(1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), true);
  await c.expectConnectionError(ErrorCode.COMPRESSION_ERROR);
});

test('4.3: a field block split over HEADERS and several CONTINUATION frames is one block', async () => {
  const c = await h2.client();
  const block = c.encode(TestClient.requestHeaders({ headers: [['x-long', 'v'.repeat(300)]] }));
  c.headers(1, block.subarray(0, 5), { endStream: true, endHeaders: false });
  c.continuation(1, block.subarray(5, 100), false);
  c.continuation(1, block.subarray(100, 101), false);
  c.continuation(1, block.subarray(101), true);
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('4.3: the HPACK dynamic table carries over between requests on one connection', async () => {
  const c = await h2.client();
  for (const id of [1, 3, 5]) {
    c.request(id, { headers: [['x-repeated', 'same value every time']] });
    assert.equal((await c.expectResponse(id)).status, '200');
  }
  assert.ok(c.deflater.getHdTable().length > 0, 'our encoder used its dynamic table');
});

test('4.3: the field block of a request the server rejects (stream error) is still decoded: the HPACK state stays in step', async () => {
  const c = await h2.client();
  const shared: Array<[string, string]> = [['x-shared-field', 'indexed by the first request']];
  // Malformed (connection-specific field), but encoded with our stateful encoder.
  c.request(1, { headers: [...shared, ['connection', 'close']] });
  assert.ok(c.deflater.getHdTable().some((e) => String(e.name) === 'x-shared-field'), 'our encoder indexed the field');
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  c.request(3, { headers: shared });
  assert.equal((await c.expectResponse(3)).status, '200');
  const request = h2.record(c).streams.get(3);
  assert.ok(request, 'stream 3 reached the application');
  assert.ok(request.headers.some(([n, v]) => n === 'x-shared-field' && v === 'indexed by the first request'), 'the indexed field decoded right');
});

/** A GET from the static table (:method GET, :scheme http, :path /) followed by `tail`. */
function staticGetThen(tail: number[]): Buffer {
  return Buffer.from([0x82, 0x86, 0x84, ...tail]);
}

const hpackErrors: Array<[string, number[]]> = [
  ['an indexed field with index 0 (RFC 7541 6.1)', [0x80]],
  ['a dynamic table size update after a field (RFC 7541 4.2: only at the start of a block)', [0x20]],
  ['a Huffman string containing EOS (RFC 7541 5.2)', [0x00, 0x84, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61]],
  ['a Huffman string with more than 7 bits of padding (RFC 7541 5.2)', [0x00, 0x82, 0x1f, 0xff, 0x01, 0x61]],
  ['a Huffman string padded with zeros instead of the EOS prefix (RFC 7541 5.2)', [0x00, 0x81, 0x18, 0x01, 0x61]],
  ['an integer that overflows (RFC 7541 5.1)', [0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
];

for (const [name, tail] of hpackErrors) {
  test(`4.3: ${name} -> connection error COMPRESSION_ERROR`, async () => {
    const c = await h2.client();
    c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 1, staticGetThen(tail));
    await c.expectConnectionError(ErrorCode.COMPRESSION_ERROR);
  });
}
