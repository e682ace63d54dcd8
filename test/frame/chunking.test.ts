/**
 * Incremental decoding over arbitrary TCP chunking: every frame split at every byte boundary,
 * many frames in one chunk, random chunkings (fast-check), and no copies when a payload lies
 * within one chunk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, FrameType, FrameWriter } from '../../src/frame/index.js';
import type { Frame } from '../../src/frame/index.js';
import { decodeAll, plain, rawFrame } from './helpers.js';

/** One frame of each type (padding, priority, unknown type included). */
function sampleFrames(): Buffer[] {
  const build = (write: (w: FrameWriter) => void): Buffer => {
    const w = new FrameWriter();
    write(w);
    return Buffer.concat(w.take());
  };
  return [
    build((w) => w.data(1, Buffer.from('hello'), false)),
    build((w) => w.data(1, Buffer.from('padded'), true, 4)),
    build((w) => w.headers(3, Buffer.from('field block'), true, 16384, { dependency: 1, weight: 9, exclusive: true }, 2)),
    build((w) => w.priority(5, { dependency: 3, weight: 200, exclusive: false })),
    build((w) => w.rstStream(3, 8)),
    build((w) => w.settings([[4, 1 << 20], [5, 32768]])),
    build((w) => w.settingsAck()),
    build((w) => w.pushPromise(1, 2, Buffer.from('promise'), 16384, 1)),
    build((w) => w.ping(Buffer.from('pingpong'), false)),
    build((w) => w.goaway(7, 0, Buffer.from('debug'))),
    build((w) => w.windowUpdate(0, 12345)),
    build((w) => w.continuation(3, Buffer.from('cont'), true)),
    rawFrame(0xfa, 0xff, 9, Buffer.from('ext')),
    build((w) => w.data(1, Buffer.alloc(3000, 7), true)),
    build((w) => w.settings([])),
  ];
}

const whole = Buffer.concat(sampleFrames());
const expected = decodeAll(whole).map(plain);

test('the sample holds one frame of each of the ten types plus an unknown one', () => {
  const types = new Set(decodeAll(whole).map((f) => f.type));
  assert.equal(types.size, 11);
});

test('every frame split at every byte boundary decodes identically', () => {
  for (const frame of sampleFrames()) {
    const reference = decodeAll(frame).map(plain);
    assert.equal(reference.length, 1);
    for (let cut = 0; cut <= frame.length; cut++) {
      assert.deepEqual(decodeAll(frame, [cut]).map(plain), reference, `cut at ${cut}`);
    }
  }
});

test('the whole sample cut at every byte boundary decodes identically', () => {
  for (let cut = 0; cut <= whole.length; cut++) {
    assert.deepEqual(decodeAll(whole, [cut]).map(plain), expected, `cut at ${cut}`);
  }
});

test('one byte at a time', () => {
  const cuts = Array.from({ length: whole.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(decodeAll(whole, cuts).map(plain), expected);
});

test('many frames in one chunk come out one per next() call, then null', () => {
  const decoder = new FrameDecoder({ maxFrameSize: 16384 });
  decoder.push(whole);
  const frames: Frame[] = [];
  for (let f = decoder.next(); f !== null; f = decoder.next()) frames.push(f);
  assert.deepEqual(frames.map(plain), expected);
  assert.equal(decoder.next(), null);
  assert.equal(decoder.buffered, 0);
});

test('random chunkings decode identically (fast-check)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 40 }), (cuts) => {
      cuts.sort((a, b) => a - b);
      assert.deepEqual(decodeAll(whole, cuts).map(plain), expected);
    }),
    { numRuns: 300 },
  );
});

test('random frames, random chunking: the writer and decoder agree (fast-check)', () => {
  const arbFrame = fc.oneof(
    fc.record({ kind: fc.constant('data'), id: fc.integer({ min: 1, max: 0x7fffffff }), body: fc.uint8Array({ maxLength: 2000 }), end: fc.boolean(), pad: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }) }),
    fc.record({ kind: fc.constant('ping'), body: fc.uint8Array({ minLength: 8, maxLength: 8 }), end: fc.boolean() }),
    fc.record({ kind: fc.constant('wu'), id: fc.integer({ min: 0, max: 0x7fffffff }), n: fc.integer({ min: 0, max: 0x7fffffff }) }),
    fc.record({ kind: fc.constant('headers'), id: fc.integer({ min: 1, max: 0x7fffffff }), body: fc.uint8Array({ maxLength: 300 }), end: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(arbFrame, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 30 }), (specs, sizes) => {
      const w = new FrameWriter(64);
      for (const s of specs) {
        if (s.kind === 'data') w.data(s.id, s.body, s.end, s.pad);
        else if (s.kind === 'ping') w.ping(s.body, s.end);
        else if (s.kind === 'wu') w.windowUpdate(s.id, s.n);
        else w.headers(s.id, s.body, s.end, 100);
      }
      const bytes = Buffer.concat(w.take());
      const cuts: number[] = [];
      let at = 0;
      for (const size of sizes) {
        at += size;
        if (at >= bytes.length) break;
        cuts.push(at);
      }
      const frames = decodeAll(bytes, cuts);
      let i = 0;
      for (const s of specs) {
        const f = frames[i++]!;
        if (s.kind === 'data') {
          assert.ok(f.type === FrameType.DATA);
          assert.deepEqual(new Uint8Array(f.data), s.body);
          assert.equal(f.flowLength, s.body.length + (s.pad === undefined ? 0 : s.pad + 1));
        } else if (s.kind === 'ping') {
          assert.ok(f.type === FrameType.PING && f.ack === s.end);
          assert.deepEqual(new Uint8Array(f.data), s.body);
        } else if (s.kind === 'wu') {
          assert.deepEqual(f, { type: FrameType.WINDOW_UPDATE, streamId: s.id, increment: s.n });
        } else {
          assert.ok(f.type === FrameType.HEADERS);
          const parts = [f.fragment];
          let last = f.endHeaders;
          while (!last) {
            const c = frames[i++]!;
            assert.ok(c.type === FrameType.CONTINUATION && c.streamId === s.id);
            parts.push(c.fragment);
            last = c.endHeaders;
          }
          assert.deepEqual(new Uint8Array(Buffer.concat(parts)), s.body);
        }
      }
      assert.equal(i, frames.length);
    }),
    { numRuns: 200 },
  );
});

test('payloads within one chunk are slices of it (no copy); a payload spanning chunks is assembled', () => {
  const chunk = Buffer.concat([rawFrame(FrameType.DATA, 0, 1, Buffer.from('abcdef')), rawFrame(FrameType.DATA, 0, 1, Buffer.from('ghijkl'))]);
  const decoder = new FrameDecoder();
  decoder.push(chunk);
  const first = decoder.next();
  const second = decoder.next();
  assert.ok(first?.type === FrameType.DATA && second?.type === FrameType.DATA);
  assert.equal(first.data.buffer, chunk.buffer, 'same memory');
  assert.equal(first.data.byteOffset, chunk.byteOffset + 9);
  assert.equal(second.data.byteOffset, chunk.byteOffset + 24);
  chunk[9] = 0x41; // writing the chunk shows through the slice: it really is not a copy
  assert.equal(first.data.toString(), 'Abcdef');

  const split = rawFrame(FrameType.DATA, 0, 1, Buffer.from('abcdef'));
  const d2 = new FrameDecoder();
  d2.push(split.subarray(0, 12));
  assert.equal(d2.next(), null);
  d2.push(split.subarray(12));
  const assembled = d2.next();
  assert.ok(assembled?.type === FrameType.DATA);
  assert.equal(assembled.data.toString(), 'abcdef');
  assert.notEqual(assembled.data.buffer, split.buffer);

  // Header split across chunks, payload whole in the second chunk: still a slice, no copy.
  const d3 = new FrameDecoder();
  const head = rawFrame(FrameType.DATA, 0, 1, Buffer.from('xyz'));
  d3.push(head.subarray(0, 4));
  const tail = Buffer.from(head.subarray(4));
  d3.push(tail);
  const f3 = d3.next();
  assert.ok(f3?.type === FrameType.DATA);
  assert.equal(f3.data.buffer, tail.buffer);
});

test('next() returns null on an empty decoder and on a partial header, and empty pushes are harmless', () => {
  const decoder = new FrameDecoder();
  assert.equal(decoder.next(), null);
  decoder.push(Buffer.alloc(0));
  decoder.push(Buffer.from([0, 0]));
  assert.equal(decoder.next(), null);
  assert.equal(decoder.buffered, 2);
  decoder.push(Buffer.from([8, 6, 0, 0, 0, 0, 0]));
  assert.equal(decoder.next(), null);
  decoder.push(Buffer.alloc(8, 1));
  const f = decoder.next();
  assert.ok(f?.type === FrameType.PING);
  assert.deepEqual(f.data, Buffer.alloc(8, 1));
});
