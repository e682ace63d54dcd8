/** FrameWriter's gathering: one output per burst, buffers never rewritten once taken, large DATA referenced. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import { CheckedBufferArena } from '../../src/buffer-pool.js';
import { FrameType, FrameWriter } from '../../src/frame/index.js';
import { decodeAll, rawFrame } from './helpers.js';

test('take() is empty when nothing was written, and after a take', () => {
  const w = new FrameWriter();
  assert.deepEqual(w.take(), []);
  assert.equal(w.pending(), 0);
  w.settingsAck();
  assert.equal(w.pending(), 9);
  assert.equal(w.take().length, 1);
  assert.deepEqual(w.take(), []);
  assert.equal(w.pending(), 0);
});

test('small frames are coalesced into one buffer', () => {
  const w = new FrameWriter();
  w.settings([[3, 100]]);
  w.settingsAck();
  w.ping(Buffer.alloc(8), true);
  w.windowUpdate(0, 100);
  w.data(1, Buffer.from('small'), true);
  assert.equal(w.pending(), 15 + 9 + 17 + 13 + 14);
  const out = w.take();
  assert.equal(out.length, 1);
  assert.deepEqual(
    decodeAll(out[0]!).map((f) => f.type),
    [FrameType.SETTINGS, FrameType.SETTINGS, FrameType.PING, FrameType.WINDOW_UPDATE, FrameType.DATA],
  );
});

test('large DATA payloads are referenced, not copied; padding follows them', () => {
  const w = new FrameWriter();
  const payload = Buffer.alloc(10000, 0x5a);
  w.windowUpdate(1, 5);
  w.data(1, payload, false, 3);
  w.ping(Buffer.alloc(8), false);
  const out = w.take();
  assert.ok(out.some((b) => b === payload), 'the payload Buffer itself is in the output');
  const frames = decodeAll(Buffer.concat(out));
  assert.deepEqual(frames.map((f) => f.type), [FrameType.WINDOW_UPDATE, FrameType.DATA, FrameType.PING]);
  const data = frames[1]!;
  assert.ok(data.type === FrameType.DATA);
  assert.equal(data.flowLength, 10004);
  assert.deepEqual(data.data, payload);
  // A Uint8Array that is not a Buffer is referenced too (as a Buffer view of the same memory).
  const view = new Uint8Array(4096).fill(1);
  w.data(3, view, true);
  const out2 = w.take();
  assert.ok(out2.some((b) => b.buffer === view.buffer));
});

test('bytes handed out by take() are never overwritten by later frames', () => {
  const w = new FrameWriter(64);
  const taken: Array<{ out: Buffer[]; copy: Buffer }> = [];
  for (let i = 0; i < 200; i++) {
    w.ping(Buffer.alloc(8, i), false);
    if (i % 3 === 0) w.data(1, Buffer.alloc(i * 7, i), false);
    const out = w.take();
    taken.push({ out, copy: Buffer.from(Buffer.concat(out)) });
  }
  for (const { out, copy } of taken) assert.deepEqual(Buffer.concat(out), copy);
});

test('the block is reused between takes: consecutive small takes share one allocation', () => {
  const w = new FrameWriter();
  w.settingsAck();
  const [a] = w.take();
  w.settingsAck();
  const [b] = w.take();
  assert.equal(a!.buffer, b!.buffer);
  assert.equal(b!.byteOffset, a!.byteOffset + 9);
});

test('a frame larger than the block gets its own block', () => {
  const w = new FrameWriter(32);
  w.goaway(0, 0, Buffer.alloc(100, 1));
  w.settingsAck();
  const frames = decodeAll(Buffer.concat(w.take()));
  assert.equal(frames.length, 2);
  assert.ok(frames[0]!.type === FrameType.GOAWAY && frames[0]!.debugData.length === 100);
});

test('raw() writes anything verbatim, including malformed frames for tests', () => {
  const w = new FrameWriter();
  w.raw(FrameType.PING, 0, 0, Buffer.alloc(7));
  w.raw(0xee, 0xff, 0x7fffffff);
  assert.deepEqual(Buffer.concat(w.take()), Buffer.concat([rawFrame(FrameType.PING, 0, 0, Buffer.alloc(7)), rawFrame(0xee, 0xff, 0x7fffffff)]));
});

test('misuse is a UsageError: pad length out of range, PING data over 8, padding too large for the frame', () => {
  const w = new FrameWriter();
  assert.throws(() => w.data(1, Buffer.alloc(1), false, 256), UsageError);
  assert.throws(() => w.data(1, Buffer.alloc(1), false, -1), UsageError);
  assert.throws(() => w.ping(Buffer.alloc(9), false), UsageError);
  assert.throws(() => w.headers(1, Buffer.alloc(1), false, 100, null, 99), UsageError);
  assert.throws(() => w.raw(0, 0, 1, Buffer.alloc(16777216)), UsageError);
  assert.equal(w.pending(), 0, 'nothing half-written');
});

test('PING data shorter than 8 octets is zero-filled', () => {
  const w = new FrameWriter();
  w.ping(Buffer.from([1, 2]), false);
  const [f] = decodeAll(Buffer.concat(w.take()));
  assert.ok(f?.type === FrameType.PING);
  assert.deepEqual(f.data, Buffer.from([1, 2, 0, 0, 0, 0, 0, 0]));
});

test('writers sharing the arena: interleaved frames of several writers stay intact, each in its own order', () => {
  // A small arena (64-octet slabs, checked) so the writers cross slabs often; random-ish
  // interleaving by a fixed pattern; the third writer uses the process-wide arena.
  const arena = new CheckedBufferArena('test', 64);
  const writers = [new FrameWriter(arena), new FrameWriter(arena), new FrameWriter()];
  const expected: number[][] = writers.map(() => []);
  const taken: Array<Array<{ out: Buffer[]; copy: Buffer }>> = writers.map(() => []);
  for (let i = 0; i < 300; i++) {
    const w = (i * 7 + (i >> 3)) % writers.length;
    writers[w]!.ping(Buffer.alloc(8, i & 0xff), false);
    if (i % 5 === 0) writers[w]!.data(1, Buffer.alloc(i % 40, i & 0xff), false);
    expected[w]!.push(i & 0xff);
    if (i % 4 === 3) {
      // Take from one writer while the others keep bytes pending in the arena.
      const t = i % writers.length;
      const out = writers[t]!.take();
      taken[t]!.push({ out, copy: Buffer.from(Buffer.concat(out)) });
    }
  }
  for (let w = 0; w < writers.length; w++) {
    const out = writers[w]!.take();
    taken[w]!.push({ out, copy: Buffer.from(Buffer.concat(out)) });
    for (const t of taken[w]!) assert.deepEqual(Buffer.concat(t.out), t.copy, 'a taken buffer was overwritten');
    const pings = decodeAll(Buffer.concat(taken[w]!.map((t) => t.copy))).filter((f) => f.type === FrameType.PING);
    assert.deepEqual(
      pings.map((f) => (f.type === FrameType.PING ? f.data[0] : -1)),
      expected[w],
    );
  }
});

test('a writer holds no buffer between takes, and a small burst after a full arena is still one piece', () => {
  // A frame larger than a slab leaves the arena full, so the next frame starts a fresh slab (of 64).
  const arena = new CheckedBufferArena('test', 64);
  const filler = new FrameWriter(arena);
  filler.raw(0xee, 0, 0, Buffer.alloc(20000));
  filler.take();
  const a = new FrameWriter(arena);
  const b = new FrameWriter(arena);
  a.settingsAck();
  assert.equal(a.take().length, 1);
  // Fill the arena nearly to its end with b, then a burst from a must move to a new arena whole.
  // Arena: 9 (a's first take) + 34 (b) = 43 of 64; a's SETTINGS ACK fits (52), its PING does not.
  b.ping(Buffer.alloc(8), false);
  b.ping(Buffer.alloc(8), false);
  a.settingsAck();
  a.ping(Buffer.alloc(8, 1), true);
  const out = a.take();
  assert.equal(out.length, 1);
  assert.deepEqual(decodeAll(out[0]!).map((f) => f.type), [FrameType.SETTINGS, FrameType.PING]);
  assert.equal(decodeAll(Buffer.concat(b.take())).length, 2);
  assert.equal(arena.isOpen, false);
});

test('a big pending burst is cut at a full slab, not copied; the pieces still decode in order', () => {
  const arena = new CheckedBufferArena('test', 64);
  const w = new FrameWriter(arena);
  for (let i = 0; i < 4; i++) w.ping(Buffer.alloc(8, i), false); // 4 x 17 = 68: past one slab
  const out = w.take();
  assert.equal(out.length, 2, 'two pieces: the first slab, then the rest');
  assert.deepEqual(decodeAll(Buffer.concat(out)).map((f) => (f.type === FrameType.PING ? f.data[0] : -1)), [0, 1, 2, 3]);
});

test('a writer never leaves a run of its arena open, whatever it writes', () => {
  const arena = new CheckedBufferArena('test', 64);
  const w = new FrameWriter(arena);
  w.data(1, Buffer.alloc(10), false, 3);
  w.data(1, Buffer.alloc(2000), true, 5);
  w.headers(1, Buffer.alloc(150, 7), false, 16384, { dependency: 3, weight: 9, exclusive: true }, 2);
  w.pushPromise(1, 2, Buffer.alloc(40000, 1), 16384, 1);
  w.settings([[1, 2], [3, 4]]);
  w.goaway(5, 0, Buffer.from('debug'));
  assert.throws(() => w.ping(Buffer.alloc(9), false), UsageError);
  w.windowUpdate(0, 1);
  assert.equal(arena.isOpen, false);
  arena.verify();
  assert.ok(decodeAll(Buffer.concat(w.take())).length > 5);
});
