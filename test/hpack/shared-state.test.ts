/**
 * What hpack shares across the process is read-only: the public static table and the token
 * table are frozen (a caller cannot change them under every encoder and decoder), and the
 * deflater's and inflater's runs of the shared arenas are closed after every call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HDDeflater, HDInflater, HpackErrorToken, STATIC_TABLE } from '../../src/hpack/index.js';
import { HPACK_BLOCK_ARENA, HUFFMAN_SCRATCH } from '../../src/buffer-pool.js';

test('STATIC_TABLE and its entries are frozen; writes throw in strict mode and change nothing', () => {
  assert.ok(Object.isFrozen(STATIC_TABLE));
  assert.ok(STATIC_TABLE.every((entry) => Object.isFrozen(entry)));
  assert.throws(() => {
    (STATIC_TABLE as unknown as string[][])[1]![1] = 'PUT';
  }, TypeError);
  assert.throws(() => (STATIC_TABLE as unknown as unknown[]).push(['x', 'y']), TypeError);
  assert.deepEqual(STATIC_TABLE[1], [':method', 'GET']);
  const block = new HDDeflater().deflate([[':method', 'GET']]);
  assert.deepEqual([...block], [0x82]);
});

test('HpackErrorToken is frozen', () => {
  assert.ok(Object.isFrozen(HpackErrorToken));
  assert.throws(() => {
    (HpackErrorToken as unknown as Record<string, string>).INDEX_ZERO = 'x';
  }, TypeError);
});

test('a deflated block is the committed end of the shared block arena; decoding leaves the Huffman scratch empty', () => {
  const block = new HDDeflater().deflate([['x-custom', 'some value that is long enough to be huffman coded']]);
  assert.equal(block.buffer, HPACK_BLOCK_ARENA.buffer.buffer);
  assert.equal(block.byteOffset + block.length, HPACK_BLOCK_ARENA.buffer.byteOffset + HPACK_BLOCK_ARENA.end);
  new HDInflater().decodeTo(block, () => {});
  assert.equal(HUFFMAN_SCRATCH.end, 0, 'the scratch never commits: strings are released once read');
});
