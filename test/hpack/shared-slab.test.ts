/**
 * Every HDDeflater writes its blocks into one shared slab (a server has one deflater per
 * connection; a slab each cost 4 KiB per idle connection). Blocks of different deflaters, taken
 * in turns and across slab changes, must each stay intact and decode with their own inflater.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HDDeflater, HDInflater } from '../../src/hpack/index.js';

function fieldsFor(deflaterIndex: number, i: number): Array<[string, string]> {
  // Big enough values that 200 rounds fill several 4 KiB slabs; repeats exercise indexed hits.
  return [
    [':status', '200'],
    [`x-d${deflaterIndex}`, `v${i % 7}-`.repeat(1 + (i % 40))],
    ['content-length', String(i * 31 + deflaterIndex)],
  ];
}

test('blocks of interleaved deflaters stay intact and decode in order', () => {
  const deflaters = [new HDDeflater(), new HDDeflater(), new HDDeflater()];
  const blocks: Buffer[][] = deflaters.map(() => []);
  const copies: Buffer[][] = deflaters.map(() => []);
  for (let i = 0; i < 200; i++) {
    // A different deflater order every round, so each one's blocks sit between the others'.
    for (let k = 0; k < deflaters.length; k++) {
      const d = (i + k) % deflaters.length;
      const block = deflaters[d]!.deflate(fieldsFor(d, i));
      blocks[d]!.push(block);
      copies[d]!.push(Buffer.from(block));
    }
  }
  for (let d = 0; d < deflaters.length; d++) {
    const inflater = new HDInflater();
    for (let i = 0; i < blocks[d]!.length; i++) {
      assert.deepEqual(blocks[d]![i], copies[d]![i], `deflater ${d} block ${i} was overwritten`);
      const decoded = inflater.inflate(blocks[d]![i]!).map(([n, v]) => [n.toString('latin1'), v.toString('latin1')]);
      assert.deepEqual(decoded, fieldsFor(d, i));
    }
  }
});

test('a deflate that throws on a bad field leaves the next blocks of every deflater intact', () => {
  const a = new HDDeflater();
  const b = new HDDeflater();
  const first = a.deflate([['x-a', '1']]);
  const copy = Buffer.from(first);
  assert.throws(() => b.deflate([['x-b', 2 as unknown as string]]));
  const second = b.deflate([['x-b', '2']]);
  assert.deepEqual(first, copy);
  assert.deepEqual(new HDInflater().inflate(second).map(([n, v]) => [n.toString(), v.toString()]), [['x-b', '2']]);
});
