/**
 * src/buffer-pool.ts: the arenas' API (acquire, keep, grow, commit, release), the checks of
 * CheckedBufferArena (each broken rule throws BufferPoolError), and H2KIT_DEBUG_BUFFERS=1 turning
 * the process-wide arenas into checked ones, under which the codec and the writer keep the rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { waitFor } from './helpers/wait.js';
import {
  BufferArena,
  BufferPoolError,
  CheckedBufferArena,
  CheckedRecycledBuffers,
  RecycledBuffers,
  createArena,
  DEBUG_BUFFERS,
  EMPTY_BUFFER,
  FRAME_ARENA,
  HPACK_BLOCK_ARENA,
  HUFFMAN_SCRATCH,
} from '../src/buffer-pool.js';

/** Writes `bytes` into a run of `arena` and commits it, returning the committed view. */
function put(arena: BufferArena, bytes: number[]): Buffer {
  const at = arena.acquire(bytes.length);
  arena.buffer.set(bytes, at);
  return arena.commitSlice(at + bytes.length);
}

for (const Arena of [BufferArena, CheckedBufferArena]) {
  test(`${Arena.name}: runs follow each other in one slab; committed views stay intact`, () => {
    const arena = new Arena('t', 16);
    const a = put(arena, [1, 2, 3]);
    const b = put(arena, [4, 5]);
    assert.equal(a.buffer, b.buffer);
    assert.equal(b.byteOffset, a.byteOffset + 3);
    assert.equal(arena.end, 5);
    assert.equal(arena.room, 11);
    const c = put(arena, new Array(12).fill(9)); // does not fit: a new slab
    assert.notEqual(c.buffer, a.buffer);
    assert.equal(c.byteOffset, 0);
    assert.deepEqual([...a, ...b], [1, 2, 3, 4, 5]);
  });

  test(`${Arena.name}: a run larger than a slab gets a slab of its own size, the next run a fresh slab`, () => {
    const arena = new Arena('t', 16);
    const big = put(arena, new Array(40).fill(7));
    assert.equal(big.length, 40);
    assert.equal(arena.buffer.length, 40);
    const next = put(arena, [1]);
    assert.equal(arena.buffer.length, 16);
    assert.notEqual(next.buffer, big.buffer);
  });

  test(`${Arena.name}: commit may use less than acquired; the rest goes to the next run`, () => {
    const arena = new Arena('t', 32);
    const at = arena.acquire(10);
    arena.buffer[at] = 1;
    arena.commit(at + 1);
    assert.equal(arena.acquire(4), at + 1);
    arena.release();
  });

  test(`${Arena.name}: acquire(n, keep) carries the kept octets to a new slab, contiguous with the run`, () => {
    const arena = new Arena('t', 8);
    const first = put(arena, [1, 2, 3, 4, 5, 6]);
    // Room for 2: a run of 4 keeping the last 3 committed octets moves them along.
    const at = arena.acquire(4, 3);
    assert.equal(at, 3);
    assert.notEqual(arena.buffer, first.buffer);
    assert.ok(arena.buffer.length >= 14, 'twice the piece');
    arena.buffer.set([7, 8, 9, 10], at);
    const run = arena.commitSlice(at + 4);
    assert.deepEqual([...run], [4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual([...first], [1, 2, 3, 4, 5, 6], 'the old copy is left as it was');
    // With room, keep changes nothing but where the run starts.
    const at2 = arena.acquire(1, 7);
    arena.buffer[at2] = 11;
    assert.deepEqual([...arena.commitSlice(at2 + 1)], [4, 5, 6, 7, 8, 9, 10, 11]);
  });

  test(`${Arena.name}: grow moves the open run to a bigger slab and the run comes out whole`, () => {
    const arena = new Arena('t', 8);
    const before = put(arena, [1, 2, 3, 4]);
    let pos = arena.acquire(2);
    for (let i = 0; i < 50; i++) {
      pos = arena.grow(pos, 1);
      arena.buffer[pos++] = i;
    }
    const run = arena.commitSlice(pos);
    assert.deepEqual([...run], Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual([...before], [1, 2, 3, 4]);
    assert.equal(arena.end, pos);
  });

  test(`${Arena.name}: release keeps nothing: the next run starts at the same place`, () => {
    const arena = new Arena('t', 16);
    put(arena, [1]);
    const at = arena.acquire(5);
    arena.buffer.fill(0xee, at, at + 5);
    arena.release();
    assert.equal(arena.end, 1);
    assert.equal(arena.acquire(5), at);
    arena.release();
  });

  test(`${Arena.name}: random runs (acquire, keep, grow, commit, release): every committed view keeps its bytes`, () => {
    const op = fc.record({
      size: fc.integer({ min: 0, max: 40 }),
      grows: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }),
      keep: fc.boolean(),
      release: fc.boolean(),
      used: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (ops, slabSize) => {
        const arena = new Arena('t', slabSize);
        const views: Array<{ view: Buffer; copy: Buffer }> = [];
        let fill = 0;
        let lastRun = 0; // octets of the last committed run, all at the arena's end
        for (const o of ops) {
          const keep = o.keep && arena.end >= lastRun ? lastRun : 0;
          const at = arena.acquire(o.size, keep);
          let pos = at;
          let room = o.size;
          for (const g of o.grows) {
            const n = Math.min(room, o.used);
            arena.buffer.fill(++fill & 0xff, pos, pos + n);
            pos = arena.grow(pos + n, g);
            room = g;
          }
          const n = Math.min(room, o.used);
          arena.buffer.fill(++fill & 0xff, pos, pos + n);
          pos += n;
          if (o.release) {
            arena.release();
            lastRun = 0;
            continue;
          }
          const view = arena.commitSlice(pos);
          views.push({ view, copy: Buffer.from(view) });
          lastRun = view.length;
        }
        for (const { view, copy } of views) assert.deepEqual(view, copy);
      }),
      { numRuns: 300 },
    );
  });
}

function assertPoolError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof BufferPoolError && pattern.test(error.message));
}

test('checked: acquire while a run is open (never committed) throws', () => {
  const arena = new CheckedBufferArena('t', 16);
  arena.acquire(4);
  assertPoolError(() => arena.acquire(4), /acquire while a run is open/);
});

test('checked: a second commit of the same run throws (double commit), and a commit without acquire', () => {
  const arena = new CheckedBufferArena('t', 16);
  const at = arena.acquire(4);
  arena.commit(at + 2);
  assertPoolError(() => arena.commit(at + 4), /commit without an open run/);
  assertPoolError(() => new CheckedBufferArena('u', 16).commitSlice(0), /commit without an open run/);
});

test('checked: a commit past the acquired space, or before the run, throws', () => {
  const arena = new CheckedBufferArena('t', 64);
  put(arena, [1, 2, 3]);
  const at = arena.acquire(4);
  assertPoolError(() => arena.commit(at + 5), /outside the acquired space 3\.\.7/);
  const at2 = arena.acquire(4);
  assertPoolError(() => arena.commit(at2 - 1), /outside the acquired space/);
  const at3 = arena.acquire(4);
  assertPoolError(() => arena.commit(at3 + 0.5), /outside the acquired space/);
});

test('checked: grow extends the space a commit may reach; grow outside a run throws', () => {
  const arena = new CheckedBufferArena('t', 64);
  let pos = arena.acquire(2);
  pos = arena.grow(pos + 2, 10);
  arena.commit(pos + 10);
  assertPoolError(() => arena.grow(pos, 1), /grow without an open run/);
  const at = arena.acquire(2);
  assertPoolError(() => arena.grow(at + 3, 1), /outside the run's space/);
});

test('checked: a write into committed bytes is caught at the next acquire, grow or commit', () => {
  const arena = new CheckedBufferArena('t', 64);
  const view = put(arena, [1, 2, 3, 4]);
  view[2] = 99; // a caller writing through a view it was handed: forbidden
  assertPoolError(() => arena.acquire(1), /committed octet 2 of the current slab was written after its commit/);

  const other = new CheckedBufferArena('t', 64);
  put(other, [1, 2]);
  const at = other.acquire(8);
  other.buffer[0] = 7; // writing outside the run, into the committed part of the slab
  assertPoolError(() => other.commit(at + 1), /committed octet 0/);
});

test('checked: a write into committed bytes is caught even when the next acquire needs a new slab', () => {
  const arena = new CheckedBufferArena('t', 8);
  const view = put(arena, [1, 2, 3, 4, 5, 6, 7]);
  view[0] = 0;
  assertPoolError(() => arena.acquire(8), /committed octet 0/); // checked before the slab is dropped
});

test('checked: bad arguments throw (negative size, keep beyond the committed bytes)', () => {
  const arena = new CheckedBufferArena('t', 8);
  assertPoolError(() => arena.acquire(-1), /not a byte count/);
  assertPoolError(() => arena.acquire(1, 3), /keeping 3 octets, but only 0 are committed/);
});

test('checked: release closes a run (also when none is open), and a thrown check leaves the arena usable', () => {
  const arena = new CheckedBufferArena('t', 8);
  arena.release();
  arena.acquire(2);
  assert.equal(arena.isOpen, true);
  arena.release();
  assert.equal(arena.isOpen, false);
  arena.acquire(2);
  assertPoolError(() => arena.acquire(2), /run is open/);
  assert.deepEqual([...put(arena, [5])], [5]);
});

test('the plain arena does no checking (that is the checked one\'s job)', () => {
  const arena = new BufferArena('t', 8);
  arena.acquire(2);
  arena.acquire(2);
  arena.commit(1);
  arena.commit(1);
  assert.throws(() => new BufferArena('t', 0), RangeError);
});

test('without H2KIT_DEBUG_BUFFERS the process-wide arenas are plain ones; EMPTY_BUFFER is empty and owns no memory', () => {
  if (DEBUG_BUFFERS) return; // this process runs with the checks on: nothing to compare
  for (const arena of [FRAME_ARENA, HPACK_BLOCK_ARENA, HUFFMAN_SCRATCH, createArena('t', 8)]) {
    assert.equal(Object.getPrototypeOf(arena), BufferArena.prototype);
  }
  assert.equal(EMPTY_BUFFER.length, 0);
  assert.equal(EMPTY_BUFFER.buffer.byteLength, 0);
});

test('H2KIT_DEBUG_BUFFERS=1: checked arenas everywhere, and the codec and the writer keep the contract, errors included', () => {
  const src = new URL('../src/', import.meta.url).href;
  const script = `
    import assert from 'node:assert/strict';
    import { CheckedBufferArena, FRAME_ARENA, HPACK_BLOCK_ARENA, HUFFMAN_SCRATCH } from '${src}buffer-pool.js';
    import { HDDeflater, HDInflater } from '${src}hpack/index.js';
    import { FrameWriter, FrameDecoder } from '${src}frame/index.js';
    for (const a of [FRAME_ARENA, HPACK_BLOCK_ARENA, HUFFMAN_SCRATCH]) assert.ok(a instanceof CheckedBufferArena, a.name);
    const deflater = new HDDeflater();
    const inflater = new HDInflater();
    const writer = new FrameWriter();
    const sent = [];
    for (let i = 0; i < 300; i++) {
      const fields = [[':status', '200'], ['x-n', 'v'.repeat(i % 50) + i], ['set-cookie', 'c'.repeat(i * 13 % 3000)]];
      const block = deflater.deflate(fields);
      writer.headers(1 + 2 * i, block, i % 2 === 0, 16384);
      writer.data(1 + 2 * i, Buffer.alloc(i * 37 % 3000, i), true);
      const got = [];
      inflater.decodeTo(block, (n, v) => got.push([n, v]));
      assert.deepEqual(got, fields);
      if (i % 7 === 0) sent.push(...writer.take());
    }
    sent.push(...writer.take());
    const decoder = new FrameDecoder();
    decoder.push(Buffer.concat(sent));
    let frames = 0;
    while (decoder.next() !== null) frames++;
    assert.equal(frames, 600);
    // A throw in the middle of a block leaves no run open.
    const evil = { get sensitive() { throw new Error('evil getter'); } };
    assert.throws(() => deflater.deflate([['a', 'b'], ['c', 'd', evil]]), /evil getter/);
    assert.throws(() => inflater.decodeTo(Buffer.from([0x00, 0x81, 0xff, 0x01, 0x61]), () => {}), /padding/);
    // emit decoding with another inflater (the Huffman scratch is shared).
    const b2 = new HDDeflater().deflate([['x-a', 'hello world'], ['x-b', 'second value']]);
    const outer = [];
    new HDInflater().decodeTo(b2, (n, v) => {
      new HDInflater().decodeTo(b2, () => {});
      outer.push(n + '=' + v);
    });
    assert.deepEqual(outer, ['x-a=hello world', 'x-b=second value']);
    // A list past maxHeaderListSize: the skipped value's run is released too.
    const small = new HDInflater({ maxHeaderListSize: 40 });
    assert.throws(() => small.decodeTo(new HDDeflater(4096, { indexing: 'never', huffman: 'always' }).deflate([['x-a', 'aaaaaaaaaa'], ['x-b', 'bbbbbbbbbbbbbbbbbbb']]), () => {}), /HeaderListTooLarge|header list/i);
    assert.equal(deflater.deflate([['a', 'b']]).length > 0, true);
    for (const a of [FRAME_ARENA, HPACK_BLOCK_ARENA, HUFFMAN_SCRATCH]) { assert.equal(a.isOpen, false, a.name); a.verify(); }
    console.log('ok');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, H2KIT_DEBUG_BUFFERS: '1' },
    encoding: 'utf8',
  });
  assert.equal(child.stderr, '');
  assert.equal(child.stdout.trim(), 'ok');
  assert.equal(child.status, 0);
});

test('RecycledBuffers: a buffer given back is taken again; at most `keep` are kept; a wrong size is not kept', () => {
  const pool = new RecycledBuffers('t', 64, 2, 60_000);
  const a = pool.take();
  const b = pool.take();
  const c = pool.take();
  assert.equal(a.length, 64);
  assert.deepEqual(pool.stats, { takes: 3, allocations: 3, free: 0 });
  pool.give(a);
  pool.give(b);
  pool.give(c); // over `keep`: dropped
  pool.give(Buffer.alloc(10));
  assert.equal(pool.stats.free, 2);
  const again = pool.take();
  assert.ok(again === a || again === b);
  assert.equal(pool.stats.allocations, 3, 'no new allocation');
});

test('RecycledBuffers: each trim lets go of the buffers no take needed since the last one', async () => {
  const pool = new RecycledBuffers('t', 16, 10, 5);
  const bufs = Array.from({ length: 4 }, () => pool.take());
  for (const b of bufs) pool.give(b);
  assert.equal(pool.stats.free, 4);
  await waitFor(() => pool.stats.free === 0, 'unused free buffers to be trimmed');
});

test('CheckedRecycledBuffers: a buffer given back is poisoned at once; given back twice, it throws', () => {
  const pool = new CheckedRecycledBuffers('t', 8, 4, 60_000);
  const a = pool.take();
  a.fill(1);
  pool.give(a);
  assert.deepEqual([...a], new Array(8).fill(0xdb));
  assert.throws(() => pool.give(a), BufferPoolError);
  assert.equal(pool.take(), a);
  pool.give(a); // taken again: may be given back again
});
