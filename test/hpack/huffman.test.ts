/** The Huffman code (RFC 7541 section 5.2, Appendix B): round trips and every malformed ending. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecodingError } from '../../src/errors.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../../src/hpack/index.js';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from '../../src/hpack/huffman-table.generated.js';
import { huffmanEncodeShorter } from '../../src/hpack/huffman.js';

function rejects(bytes: Uint8Array, token: string, message: string): void {
  assert.throws(
    () => huffmanDecode(bytes),
    (e: unknown) => e instanceof HpackDecodingError && e.token === token,
    message,
  );
}

/** Encodes a symbol list bit by bit (a slow, obviously correct reference), padding with ones. */
function referenceEncode(symbols: number[], padBits?: number, padValue?: number): Buffer {
  let bits = '';
  for (const s of symbols) bits += HUFFMAN_CODES[s].toString(2).padStart(HUFFMAN_LENGTHS[s], '0');
  if (padBits === undefined) padBits = (8 - (bits.length % 8)) % 8;
  if (padBits > 0) bits += (padValue ?? 2 ** padBits - 1).toString(2).padStart(padBits, '0');
  assert.equal(bits.length % 8, 0);
  const out = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

test('every octet value round-trips, alone and all together', () => {
  const all = Buffer.alloc(256);
  for (let b = 0; b < 256; b++) {
    all[b] = b;
    const one = Buffer.from([b]);
    const encoded = huffmanEncode(one);
    assert.deepEqual(encoded, referenceEncode([b]), `octet ${b}: encoding`);
    assert.equal(encoded.length, huffmanEncodedLength(one));
    assert.deepEqual(huffmanDecode(encoded), one, `octet ${b}: decoding`);
  }
  const encoded = huffmanEncode(all);
  assert.deepEqual(encoded, referenceEncode([...all]));
  assert.deepEqual(huffmanDecode(encoded), all);
  const reversed = Buffer.from(all).reverse();
  assert.deepEqual(huffmanDecode(huffmanEncode(reversed)), reversed);
});

test('known encodings from RFC 7541 Appendix C.4', () => {
  assert.equal(huffmanEncode(Buffer.from('www.example.com')).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
  assert.equal(huffmanEncode(Buffer.from('no-cache')).toString('hex'), 'a8eb10649cbf');
  assert.equal(huffmanDecode(Buffer.from('25a849e95ba97d7f', 'hex')).toString(), 'custom-key');
  assert.equal(huffmanDecode(Buffer.alloc(0)).length, 0);
});

test('pairs of symbols of every length combination round-trip (octet boundaries at every offset)', () => {
  // One symbol of each code length, then every ordered pair and a run of three.
  const byLength = new Map<number, number>();
  for (let s = 0; s < 256; s++) if (!byLength.has(HUFFMAN_LENGTHS[s])) byLength.set(HUFFMAN_LENGTHS[s], s);
  const reps = [...byLength.values()];
  for (const a of reps) {
    for (const b of reps) {
      for (const c of [reps[0], reps[reps.length - 1]]) {
        const src = Buffer.from([a, b, c]);
        assert.deepEqual(huffmanDecode(huffmanEncode(src)), src, `symbols ${a}, ${b}, ${c}`);
      }
    }
  }
});

test('padding of 1 to 7 one-bits is accepted; 8 or more is rejected', () => {
  // 'a' is 00011 (5 bits): 3 bits of padding. '0' is 00000.
  assert.equal(huffmanDecode(referenceEncode([0x61])).toString(), 'a');
  // A whole octet of ones after a complete symbol: padding longer than 7 bits.
  rejects(Buffer.concat([referenceEncode([0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61]), Buffer.from([0xff])]), 'hpack_huffman_bad_padding', '8 bits of padding');
  rejects(Buffer.from([0xff]), 'hpack_huffman_bad_padding', 'a lone octet of ones');
  rejects(Buffer.from([0xff, 0xff]), 'hpack_huffman_bad_padding', '16 bits of ones');
  rejects(referenceEncode([0x61], 11, 0x7ff), 'hpack_huffman_bad_padding', '11 bits of padding');
});

test('padding that is not all ones (not a prefix of EOS) is rejected', () => {
  // 'a' (00011) then 3 padding bits 110 instead of 111.
  rejects(referenceEncode([0x61], 3, 0b110), 'hpack_huffman_bad_padding', 'padding 110');
  rejects(referenceEncode([0x61], 3, 0b000), 'hpack_huffman_bad_padding', 'padding 000');
  // Ending inside a symbol whose code does not start with ones: '0' is 00000, cut after 3 bits.
  rejects(Buffer.from([0b00011000]), 'hpack_huffman_bad_padding', 'a truncated symbol');
});

test('the EOS symbol inside a string is rejected', () => {
  // EOS (30 ones) then 2 padding ones: exactly 4 octets of ones.
  rejects(Buffer.from([0xff, 0xff, 0xff, 0xff]), 'hpack_huffman_eos', 'EOS alone');
  // 'a', EOS, 'a', padding.
  rejects(referenceEncode([0x61, 256, 0x61]), 'hpack_huffman_eos', 'EOS between symbols');
});

test('the encoder fast path (octet pairs, give up when not shorter) agrees with the reference', () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const out = Buffer.alloc(600);
  let shorter = 0;
  let notShorter = 0;
  for (let k = 0; k < 3000; k++) {
    // Header-like text (short codes), any printable, or any octet (long codes, the single-symbol path).
    const length = rand(120);
    const octets = Buffer.alloc(length);
    const common = 'abcdefghijklmnopqrstuvwxyz0123456789-./=:;, ';
    const mix = rand(3);
    for (let i = 0; i < length; i++) {
      const r = rand(20);
      octets[i] = r === 0 && mix > 0 ? rand(256) : r < 16 - mix * 4 ? common.charCodeAt(rand(common.length)) : 0x20 + rand(95);
    }
    const s = octets.toString('latin1');
    const reference = referenceEncode([...octets]);
    const end = huffmanEncodeShorter(s, out, 3, 3 + length);
    if (reference.length < length) {
      shorter++;
      assert.equal(end, 3 + reference.length, `string ${k}: end`);
      assert.deepEqual(out.subarray(3, end), reference, `string ${k}: octets`);
    } else {
      notShorter++;
      assert.equal(end, -1, `string ${k}: Huffman is not shorter`);
    }
  }
  assert.ok(shorter > 100 && notShorter > 100, `both outcomes exercised (${shorter}, ${notShorter})`);
});
