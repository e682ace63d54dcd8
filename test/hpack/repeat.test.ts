/**
 * The deflater's repeat of its last block (deflater.ts `repeatOf`): the same field list again,
 * with the table unchanged, gives the block already made; it must always be exactly the octets
 * the full encoding would give. The reference is a second deflater given the same fields as
 * `[name, value, {}]`, which encodes the same way but is never repeated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HDDeflater, HDInflater, type HeaderField } from '../../src/hpack/index.js';

type Pair = [string, string];

const unrepeatable = (fields: readonly Pair[]): HeaderField[] => fields.map(([n, v]) => [n, v, {}]);

/** Deflates each list with both deflaters; asserts equal octets and that the block decodes back. */
function run(lists: ReadonlyArray<readonly Pair[] | number>, cap = 4096): { repeats: number } {
  const deflater = new HDDeflater(cap);
  const reference = new HDDeflater(cap);
  const inflater = new HDInflater({ maxHeaderListSize: 1 << 30 });
  let previous: Buffer | null = null;
  let repeats = 0;
  for (const item of lists) {
    if (typeof item === 'number') {
      deflater.changeTableSize(item);
      reference.changeTableSize(item);
      inflater.changeTableSize(item);
      continue;
    }
    const block = deflater.deflate(item.map(([n, v]) => [n, v]));
    if (block === previous) repeats++;
    previous = block;
    assert.deepEqual(block, reference.deflate(unrepeatable(item)));
    assert.deepEqual(
      inflater.inflate(block).map(([n, v]) => [n.toString(), v.toString()]),
      item.map(([n, v]) => [Buffer.from(n).toString(), Buffer.from(v).toString()]),
    );
    assert.deepEqual(deflater.getHdTable(), reference.getHdTable());
  }
  return { repeats };
}

const RESPONSE: Pair[] = [
  [':status', '200'],
  ['date', 'Mon, 07 Dec 2026 02:00:00 GMT'],
  ['etag', '"400-18c2b7e3f40"'],
  ['last-modified', 'Tue, 19 Nov 2024 10:12:45 GMT'],
  ['content-type', 'text/html; charset=utf-8'],
  ['content-length', '1024'],
];

test('a response list sent again is the same block, repeated once the table holds its fields', () => {
  const { repeats } = run([RESPONSE, RESPONSE, RESPONSE, RESPONSE, RESPONSE]);
  // The first adds entries and the second hits them (its table differs from the first's): both
  // encoded; the third is encoded too, and a copy of it kept; the fourth and fifth return that copy.
  assert.equal(repeats, 2);
});

test('a new date (an entry added) or a table size change ends the repeat, and the octets stay right', () => {
  const later: Pair[] = RESPONSE.map(([n, v]) => [n, n === 'date' ? 'Mon, 07 Dec 2026 02:00:01 GMT' : v]);
  const { repeats } = run([RESPONSE, RESPONSE, RESPONSE, RESPONSE, later, later, later, later, 256, later, later, later, 0, later, later, later, 4096, RESPONSE, RESPONSE, RESPONSE]);
  assert.ok(repeats > 0);
});

test('a block whose indexing decision counts attempts is not repeated (the 16th attempt indexes)', () => {
  // x-req's entries are never reused: after 8 attempts (the first field, with no record yet, is
  // none) it is indexed 1 time in 16, so the repeated list is a literal until its 16th attempt.
  const lists: Pair[][] = [];
  for (let i = 0; i < 9; i++) lists.push([['x-req', `id-${i}`]]);
  for (let i = 0; i < 12; i++) lists.push([['x-req', 'id-again']]);
  const deflater = new HDDeflater();
  for (const list of lists) deflater.deflate(list);
  assert.ok(deflater.getHdTable().some((e) => e.value.toString() === 'id-again'), 'the 16th attempt indexed it');
  run(lists);
});

test('sensitive fields and byte strings are never repeated', () => {
  const deflater = new HDDeflater();
  const sensitive: HeaderField[] = [['authorization', 'secret-token-value', { sensitive: true }]];
  const a = deflater.deflate(sensitive);
  assert.notEqual(deflater.deflate(sensitive), a);
  const bytes: HeaderField[] = [[Buffer.from('x-a'), Buffer.from('v')]];
  deflater.deflate(bytes);
  const b = deflater.deflate(bytes);
  assert.notEqual(deflater.deflate(bytes), b);
});

const POOL_NAMES = [':status', 'date', 'etag', 'x-a', 'x-b', 'content-length', 'cookie', 'authorization', 'last-modified'];
const POOL_VALUES = ['200', '304', 'a', 'b', 'x'.repeat(40), 'é', '', 'y'.repeat(300)];
const pair: fc.Arbitrary<Pair> = fc.tuple(fc.constantFrom(...POOL_NAMES), fc.constantFrom(...POOL_VALUES));

test('random lists drawn from a few, repeated, with size changes: the same octets as never repeating', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0, 100, 512, 4096),
      fc.array(fc.array(pair, { maxLength: 6 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.oneof({ weight: 8, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.constantFrom(0, 64, 256, 4096).map((s) => -1 - s) }), { maxLength: 60 }),
      (cap, lists, picks) => {
        run(picks.map((p) => (p < 0 ? -1 - p : lists[p % lists.length]!)), cap);
      },
    ),
    { numRuns: 300 },
  );
});

test('a malformed list after a remembered block is still refused, and the block is still repeated after it', () => {
  const deflater = new HDDeflater();
  deflater.deflate(RESPONSE);
  deflater.deflate(RESPONSE);
  const block = deflater.deflate(RESPONSE);
  assert.equal(deflater.deflate(RESPONSE), block, 'repeated from the third');
  // What the deflater keeps between calls is its own bytes, not a view pinning a 4 KiB arena slab.
  assert.equal(block.buffer.byteLength, block.length);
  const malformed = [null, 5, ['a'], [':status', 200]] as unknown[];
  for (const field of malformed) {
    assert.throws(() => deflater.deflate([field] as unknown as HeaderField[]), (err: Error) => err.name === 'HpackEncodingError');
  }
  assert.throws(() => deflater.deflate([...RESPONSE.slice(0, -1), null] as unknown as HeaderField[]), (err: Error) => err.name === 'HpackEncodingError');
  assert.equal(deflater.deflate(RESPONSE), block);
});
