/**
 * What the frame layer shares across the process: the constant tables are frozen, and every
 * zero-length payload the decoder hands out is the one EMPTY_BUFFER (empty, so nothing can be
 * written through it; see src/buffer-pool.ts for why it is not frozen).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_BUFFER } from '../../src/buffer-pool.js';
import { FrameDecoder, FrameFlags, FrameType, FrameWriter, SettingId } from '../../src/frame/index.js';

test('FrameType, FrameFlags and SettingId are frozen', () => {
  for (const table of [FrameType, FrameFlags, SettingId]) {
    assert.ok(Object.isFrozen(table));
    assert.throws(() => {
      (table as unknown as Record<string, number>).DATA = 7;
    }, TypeError);
  }
  assert.equal(FrameType.DATA, 0);
});

test('zero-length payloads are the shared EMPTY_BUFFER, which holds nothing', () => {
  const w = new FrameWriter();
  w.settingsAck();
  w.data(1, Buffer.alloc(0), true);
  w.raw(0xee, 0, 0);
  const d = new FrameDecoder();
  d.push(Buffer.concat(w.take()));
  const payloads = [];
  for (let f = d.next(); f !== null; f = d.next()) {
    if (f.type === FrameType.DATA) payloads.push(f.data);
    else if (f.type === -1) payloads.push(f.payload);
  }
  assert.equal(payloads.length, 2);
  for (const p of payloads) {
    assert.equal(p, EMPTY_BUFFER);
    p[0] = 1;
    assert.equal(p.length, 0);
    assert.equal(p[0], undefined);
    assert.throws(() => p.set([1], 0), RangeError);
  }
  assert.equal(EMPTY_BUFFER.buffer.byteLength, 0);
});
