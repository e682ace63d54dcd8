/** HPACK integers (RFC 7541 section 5.1): edge cases around prefixes, the 2^32-1 cap, truncation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecodingError } from '../../src/errors.js';
import { decodeInteger, encodeInteger, MAX_HPACK_INTEGER } from '../../src/hpack/index.js';

function rejects(hex: string, prefix: number, token: string): void {
  assert.throws(
    () => decodeInteger(Buffer.from(hex, 'hex'), prefix),
    (e: unknown) => e instanceof HpackDecodingError && e.token === token,
    `${hex} with a ${prefix}-bit prefix should throw ${token}`,
  );
}

test('values just below, at and above the prefix maximum, for every prefix size', () => {
  for (let prefix = 1; prefix <= 8; prefix++) {
    const max = (1 << prefix) - 1;
    assert.deepEqual([...encodeInteger(max - 1, prefix)], max - 1 === -1 ? [] : [max - 1]);
    assert.deepEqual([...encodeInteger(max, prefix)], [max, 0]); // the prefix maximum needs a zero continuation
    assert.deepEqual([...encodeInteger(max + 127, prefix)], [max, 127]);
    assert.deepEqual([...encodeInteger(max + 128, prefix)], [max, 0x80, 1]);
    for (const v of [0, max - 1, max, max + 1, max + 127, max + 128, 16383, 2 ** 21, 2 ** 28 - 1, MAX_HPACK_INTEGER]) {
      if (v < 0) continue;
      const bytes = encodeInteger(v, prefix);
      assert.deepEqual(decodeInteger(bytes, prefix), { value: v, length: bytes.length }, `${v} with prefix ${prefix}`);
    }
  }
});

test('flags above the prefix are kept on encode and ignored on decode', () => {
  const bytes = encodeInteger(1337, 5, 0xe0);
  assert.equal(bytes.toString('hex'), 'ff9a0a');
  assert.equal(decodeInteger(bytes, 5).value, 1337);
});

test('2^32-1 is the largest value: 5 continuation octets with an 8-bit prefix at most', () => {
  const bytes = encodeInteger(MAX_HPACK_INTEGER, 8);
  assert.equal(bytes.length, 6);
  assert.equal(decodeInteger(bytes, 8).value, MAX_HPACK_INTEGER);
  // 2^32 (one more) overflows.
  rejects('ff' + '81ffffff0f', 8, 'hpack_integer_overflow');
  // A huge value in 5 octets.
  rejects('1f' + 'ffffffff7f', 5, 'hpack_integer_overflow');
  // More than 5 continuation octets, even if the value is small (zero padding).
  rejects('1f' + '8080808080' + '00', 5, 'hpack_integer_overflow');
});

test('a block that ends inside an integer is a truncated integer', () => {
  rejects('1f', 5, 'hpack_truncated_integer');
  rejects('1f80', 5, 'hpack_truncated_integer');
  rejects('1fffffff', 5, 'hpack_truncated_integer');
  rejects('', 5, 'hpack_truncated_integer');
});

test('decodeInteger honours an offset and reports the octets used', () => {
  assert.deepEqual(decodeInteger(Buffer.from('00001f9a0aff', 'hex'), 5, 2), { value: 1337, length: 3 });
});
