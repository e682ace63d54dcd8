/**
 * HeaderBlockJoiner (RFC 9113 sections 4.3, 6.10): fragments joined in order, the sequencing
 * errors with their tokens, and the two caps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionError, ErrorCode } from '../../src/errors.js';
import { FrameDecoder, FrameType, FrameWriter, HeaderBlockJoiner } from '../../src/frame/index.js';
import type { Frame } from '../../src/frame/index.js';

function frames(build: (w: FrameWriter) => void): Frame[] {
  const w = new FrameWriter();
  build(w);
  const d = new FrameDecoder({ maxFrameSize: 16777215 });
  d.push(Buffer.concat(w.take()));
  const out: Frame[] = [];
  for (let f = d.next(); f !== null; f = d.next()) out.push(f);
  return out;
}

/** Pushes every frame; returns the blocks completed, or the token of the error thrown. */
function join(j: HeaderBlockJoiner, list: Frame[]): Buffer[] | string {
  const blocks: Buffer[] = [];
  try {
    for (const f of list) {
      const b = j.push(f);
      if (b !== null) blocks.push(b);
    }
  } catch (error) {
    assert.ok(error instanceof ConnectionError);
    return `${error.token}:${error.code}`;
  }
  return blocks;
}

const block = Buffer.from('0123456789abcdefghij');

test('a block in one HEADERS frame comes back as its own fragment (no copy)', () => {
  const j = new HeaderBlockJoiner();
  const fragment = Buffer.from('abc');
  assert.equal(j.start(FrameType.HEADERS, 1, fragment, true), fragment);
  assert.equal(j.inProgress, false);
});

test('HEADERS + CONTINUATION frames join in order; other frames between blocks pass', () => {
  const j = new HeaderBlockJoiner();
  const list = frames((w) => {
    w.raw(FrameType.HEADERS, 0x0, 1, block.subarray(0, 5));
    w.continuation(1, block.subarray(5, 5), false);
    w.continuation(1, block.subarray(5, 12), false);
    w.continuation(1, block.subarray(12), true);
    w.ping(Buffer.alloc(8), false);
    w.pushPromise(1, 2, block, 16384);
  });
  const out = join(j, list);
  assert.ok(Array.isArray(out));
  assert.deepEqual(out.map((b) => b.toString()), [block.toString(), block.toString()]);
  assert.equal(j.startType, FrameType.PUSH_PROMISE);
  assert.equal(j.streamId, 1);
});

test('a PUSH_PROMISE block split over CONTINUATION joins too', () => {
  const j = new HeaderBlockJoiner();
  const big = Buffer.alloc(40000, 7);
  const out = join(j, frames((w) => w.pushPromise(3, 4, big, 16384)));
  assert.ok(Array.isArray(out));
  assert.equal(out.length, 1);
  assert.ok(out[0]!.equals(big));
});

test('a frame of another type inside a block: PROTOCOL_ERROR continuation_expected', () => {
  const j = new HeaderBlockJoiner();
  const out = join(j, frames((w) => {
    w.raw(FrameType.HEADERS, 0x0, 1, block);
    w.ping(Buffer.alloc(8), false);
  }));
  assert.equal(out, `continuation_expected:${ErrorCode.PROTOCOL_ERROR}`);
});

test('an unknown frame type inside a block is an error too', () => {
  const j = new HeaderBlockJoiner();
  const out = join(j, frames((w) => {
    w.raw(FrameType.HEADERS, 0x0, 1, block);
    w.raw(0xfa, 0x0, 1, Buffer.alloc(1));
  }));
  assert.equal(out, `continuation_expected:${ErrorCode.PROTOCOL_ERROR}`);
});

test('CONTINUATION on another stream, or HEADERS, inside a block: continuation_expected', () => {
  for (const build of [
    (w: FrameWriter) => w.continuation(3, block, true),
    (w: FrameWriter) => w.raw(FrameType.HEADERS, 0x4, 1, block),
  ]) {
    const j = new HeaderBlockJoiner();
    const out = join(j, frames((w) => {
      w.raw(FrameType.HEADERS, 0x0, 1, block);
      build(w);
    }));
    assert.equal(out, `continuation_expected:${ErrorCode.PROTOCOL_ERROR}`);
  }
});

test('CONTINUATION with no block started: PROTOCOL_ERROR continuation_unexpected', () => {
  const j = new HeaderBlockJoiner();
  const out = join(j, frames((w) => {
    w.headers(1, block, true, 16384);
    w.continuation(1, block, true);
  }));
  assert.equal(out, `continuation_unexpected:${ErrorCode.PROTOCOL_ERROR}`);
});

test('more than maxContinuations CONTINUATION frames: ENHANCE_YOUR_CALM continuation_flood', () => {
  const list = frames((w) => {
    w.raw(FrameType.HEADERS, 0x0, 1, Buffer.alloc(0));
    for (let i = 0; i < 3; i++) w.continuation(1, Buffer.alloc(0), false);
    w.continuation(1, Buffer.alloc(0), true);
  });
  assert.ok(Array.isArray(join(new HeaderBlockJoiner({ maxContinuations: 4 }), list)));
  assert.equal(join(new HeaderBlockJoiner({ maxContinuations: 3 }), list), `continuation_flood:${ErrorCode.ENHANCE_YOUR_CALM}`);
});

test('a block over maxBlockSize: ENHANCE_YOUR_CALM header_block_too_large, single frames included', () => {
  const split = frames((w) => {
    w.raw(FrameType.HEADERS, 0x0, 1, block.subarray(0, 10));
    w.continuation(1, block.subarray(10), true);
  });
  assert.ok(Array.isArray(join(new HeaderBlockJoiner({ maxBlockSize: 20 }), split)));
  assert.equal(join(new HeaderBlockJoiner({ maxBlockSize: 19 }), split), `header_block_too_large:${ErrorCode.ENHANCE_YOUR_CALM}`);
  const single = frames((w) => w.headers(1, block, true, 16384));
  assert.equal(join(new HeaderBlockJoiner({ maxBlockSize: 19 }), single), `header_block_too_large:${ErrorCode.ENHANCE_YOUR_CALM}`);
});

test('reset() forgets a block in progress', () => {
  const j = new HeaderBlockJoiner();
  assert.equal(j.start(FrameType.HEADERS, 1, block, false), null);
  j.reset();
  assert.equal(j.inProgress, false);
  assert.equal(j.start(FrameType.HEADERS, 3, Buffer.from('x'), false), null);
  assert.equal(j.continuation(3, Buffer.from('y'), true)!.toString(), 'xy');
});
