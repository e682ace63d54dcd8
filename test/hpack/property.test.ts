/**
 * Property tests (fast-check):
 *  - random header lists (random octets, UTF-8 strings, common names, sensitive marks) and
 *    random table size changes round-trip through a deflater and an inflater, whose tables stay
 *    identical after every block;
 *  - random octets and mutated valid blocks fed to `inflate` only ever give headers or an
 *    HpackDecodingError: no other exception, no hang (each test has a timeout), and with a small
 *    maxHeaderListSize nothing past the limit is delivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HpackDecodingError } from '../../src/errors.js';
import { HDDeflater, HDInflater, HeaderListTooLargeError, type HeaderField, type HeaderString } from '../../src/hpack/index.js';

const COMMON_NAMES = [':method', ':path', ':authority', 'cookie', 'authorization', 'content-length', 'x-a', 'x-b', 'user-agent', 'set-cookie'];
const COMMON_VALUES = ['GET', '/', '', 'a', 'gzip, deflate', 'value', 'x'.repeat(40), 'é'];

const bytes = (maxLength: number): fc.Arbitrary<HeaderString> => fc.uint8Array({ maxLength });
const headerString = (pool: string[], maxLength: number): fc.Arbitrary<HeaderString> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pool) },
    { weight: 2, arbitrary: bytes(maxLength) },
    { weight: 2, arbitrary: fc.string({ maxLength, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.string({ maxLength: maxLength * 20 }) }, // occasionally long
  );

const field: fc.Arbitrary<HeaderField> = fc
  .tuple(headerString(COMMON_NAMES, 12), headerString(COMMON_VALUES, 30), fc.boolean())
  .map(([name, value, sensitive]): HeaderField => (sensitive ? [name, value, { sensitive: true }] : [name, value]));

type Step = { kind: 'block'; fields: HeaderField[] } | { kind: 'resize'; size: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.array(field, { maxLength: 12 }).map((fields): Step => ({ kind: 'block', fields })) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 64, 100, 256, 1000, 4096, 8192).map((size): Step => ({ kind: 'resize', size })) },
);

const toBuffer = (x: HeaderString): Buffer => (typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x));

test('random header lists and table size changes round-trip with the tables in step', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(fc.constantFrom(0, 100, 256, 4096, 16384), fc.array(step, { maxLength: 25 }), (cap, steps) => {
      const deflater = new HDDeflater(cap);
      const inflater = new HDInflater({ maxHeaderListSize: 1 << 30 });
      for (const s of steps) {
        if (s.kind === 'resize') {
          // SETTINGS_HEADER_TABLE_SIZE: the decoder allows it, the encoder uses min(size, cap).
          inflater.changeTableSize(s.size);
          deflater.changeTableSize(s.size);
          continue;
        }
        const decoded = inflater.inflate(deflater.deflate(s.fields));
        assert.deepEqual(decoded, s.fields.map((f) => [toBuffer(f[0]), toBuffer(f[1])]));
        assert.deepEqual(inflater.getHdTable(), deflater.getHdTable());
        assert.equal(inflater.tableMaxSize, deflater.tableMaxSize);
        assert.ok(deflater.tableSize <= deflater.tableMaxSize && deflater.tableMaxSize <= cap);
      }
    }),
    { numRuns: 300 },
  );
});

test('sensitive fields never enter either table', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(bytes(10), bytes(10)), { minLength: 1, maxLength: 20 }), (pairs) => {
      const deflater = new HDDeflater();
      const inflater = new HDInflater();
      const never: boolean[] = [];
      inflater.decodeTo(deflater.deflate(pairs.map(([n, v]) => [n, v, { sensitive: true }])), (_n, _v, neverIndexed) => never.push(neverIndexed));
      assert.deepEqual(never, pairs.map(() => true));
      assert.equal(deflater.getHdTable().length, 0);
      assert.equal(inflater.getHdTable().length, 0);
    }),
    { numRuns: 200 },
  );
});

/** Decodes and checks the only outcomes allowed: headers, or our typed error. */
function inflateSafely(inflater: HDInflater, block: Uint8Array): Array<[Buffer, Buffer]> | HpackDecodingError {
  try {
    const headers = inflater.inflate(block);
    assert.ok(Array.isArray(headers));
    return headers;
  } catch (e) {
    if (e instanceof HpackDecodingError) return e;
    throw e;
  }
}

test('random octets give headers or HpackDecodingError, never anything else', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 5 }),
      fc.record({ maxHeaderListSize: fc.constantFrom(0, 50, 1000, 65536), maxStringLength: fc.constantFrom(0, 10, 100, 65536) }),
      (blocks, options) => {
        // One inflater for all blocks: state left by earlier (even failed) blocks must not break it.
        const inflater = new HDInflater(options);
        for (const block of blocks) inflateSafely(inflater, block);
      },
    ),
    { numRuns: 2000 },
  );
});

test('random octets after a valid prefix (index bytes, size updates, literals) give headers or HpackDecodingError', { timeout: 120_000 }, () => {
  const prefixes = ['', '82', '3fe11f', '20', '40', '00', '10', 'be', 'ff', '7f', '0f'].map((h) => Buffer.from(h, 'hex'));
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 64 }), (prefix, rest) => {
      inflateSafely(new HDInflater(), Buffer.concat([prefix, rest]));
    }),
    { numRuns: 3000 },
  );
});

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; octet: number } | { kind: 'delete'; at: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), octet: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);

function mutate(block: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(block);
  for (const m of mutations) {
    if (b.length === 0 && m.kind !== 'insert') continue;
    const at = m.at % Math.max(1, b.length);
    if (m.kind === 'flip') b[at] ^= 1 << m.bit;
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.octet]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

test('mutated valid blocks give headers or HpackDecodingError, never anything else', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(
      fc.array(field, { minLength: 1, maxLength: 10 }),
      fc.array(field, { minLength: 1, maxLength: 10 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.constantFrom<'shorter' | 'always' | 'never'>('shorter', 'always', 'never'),
      (first, second, mutations, huffman) => {
        const deflater = new HDDeflater(4096, { huffman });
        const inflater = new HDInflater();
        inflater.inflate(deflater.deflate(first)); // primes both tables, so the mutated block can refer to entries
        inflateSafely(inflater, mutate(deflater.deflate(second), mutations));
      },
    ),
    { numRuns: 1500 },
  );
});

test('with a small maxHeaderListSize, big blocks throw and nothing past the limit is delivered', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(fc.array(field, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 600 }), (fields, limit) => {
      const deflater = new HDDeflater();
      const block = deflater.deflate(fields);
      const size = fields.reduce((sum, f) => sum + toBuffer(f[0]).length + toBuffer(f[1]).length + 32, 0);
      const inflater = new HDInflater({ maxHeaderListSize: limit, maxStringLength: 1 << 20 });
      let delivered = 0;
      let threw: unknown = null;
      try {
        inflater.decodeTo(block, (n, v) => (delivered += n.length + v.length + 32));
      } catch (e) {
        threw = e;
      }
      assert.ok(delivered <= limit);
      if (size > limit) assert.ok(threw instanceof HeaderListTooLargeError, `list of ${size} over ${limit} must throw`);
      else assert.equal(threw, null);
      // Either way the decoder's table followed the encoder's.
      assert.deepEqual(inflater.getHdTable(), deflater.getHdTable());
    }),
    { numRuns: 500 },
  );
});
