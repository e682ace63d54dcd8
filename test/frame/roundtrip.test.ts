/**
 * Every frame type and every flag combination, written by FrameWriter and by hand, decoded by
 * FrameDecoder: the fields come back as written (RFC 9113 section 6 formats).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameFlags, FrameType, FrameWriter, UNKNOWN_FRAME, readFrameHeader, writeFrameHeader } from '../../src/frame/index.js';
import type { Frame } from '../../src/frame/index.js';
import { decodeAll, plain, rawFrame } from './helpers.js';

function writeAndDecode(write: (w: FrameWriter) => void, maxFrameSize = 16777215): Frame[] {
  const writer = new FrameWriter();
  write(writer);
  return decodeAll(Buffer.concat(writer.take()), [], maxFrameSize);
}

function one(write: (w: FrameWriter) => void): Frame {
  const frames = writeAndDecode(write);
  assert.equal(frames.length, 1);
  return frames[0]!;
}

test('frame header: 24-bit length, type, flags, 31-bit stream id (reserved bit ignored on read, cleared on write)', () => {
  const buf = Buffer.alloc(9);
  writeFrameHeader(buf, 0, 0xabcdef, 0xfe, 0xa5, 0xffffffff);
  assert.deepEqual(readFrameHeader(buf), { length: 0xabcdef, type: 0xfe, flags: 0xa5, streamId: 0x7fffffff });
  assert.equal(buf[5], 0x7f, 'reserved bit written as 0');
  const withReserved = rawFrame(0, 0, 0x80000003);
  assert.equal(readFrameHeader(withReserved).streamId, 3);
});

test('DATA: END_STREAM x PADDED (pad 0, pad 255, small and referenced payloads)', () => {
  for (const endStream of [false, true]) {
    for (const pad of [undefined, 0, 1, 255]) {
      for (const size of [0, 1, 100, 5000]) {
        const payload = Buffer.alloc(size, 0x61 + (size % 26));
        const f = one((w) => w.data(3, payload, endStream, pad));
        assert.equal(f.type, FrameType.DATA);
        assert.equal(f.streamId, 3);
        assert.equal(f.endStream, endStream);
        assert.deepEqual(f.data, payload);
        assert.equal(f.flowLength, size + (pad === undefined ? 0 : pad + 1));
        assert.equal(f.flags, (endStream ? FrameFlags.END_STREAM : 0) | (pad === undefined ? 0 : FrameFlags.PADDED));
      }
    }
  }
});

test('HEADERS: END_STREAM x END_HEADERS x PADDED x PRIORITY, by hand', () => {
  const fragment = Buffer.from('fragment-bytes');
  for (let flags = 0; flags < 0x40; flags++) {
    const padded = (flags & FrameFlags.PADDED) !== 0;
    const prio = (flags & FrameFlags.PRIORITY) !== 0;
    const parts: Buffer[] = [];
    if (padded) parts.push(Buffer.from([3]));
    if (prio) parts.push(Buffer.from([0x80, 0, 0, 5, 17]));
    parts.push(fragment);
    if (padded) parts.push(Buffer.alloc(3));
    const [f] = decodeAll(rawFrame(FrameType.HEADERS, flags, 7, Buffer.concat(parts)));
    assert.ok(f && f.type === FrameType.HEADERS);
    assert.equal(f.flags, flags, 'flags kept as received, unknown bits included');
    assert.equal(f.endStream, (flags & 1) !== 0);
    assert.equal(f.endHeaders, (flags & 4) !== 0);
    assert.deepEqual(f.priority, prio ? { dependency: 5, weight: 17, exclusive: true } : null);
    assert.deepEqual(f.fragment, fragment);
  }
});

test('HEADERS via the writer: priority, padding, END_STREAM', () => {
  for (const endStream of [false, true]) {
    for (const priority of [null, { dependency: 0x7fffffff, weight: 255, exclusive: false }, { dependency: 1, weight: 0, exclusive: true }]) {
      for (const pad of [undefined, 0, 9]) {
        const f = one((w) => w.headers(9, Buffer.from('abc'), endStream, 16384, priority, pad));
        assert.ok(f.type === FrameType.HEADERS);
        assert.equal(f.endStream, endStream);
        assert.equal(f.endHeaders, true);
        assert.deepEqual(f.priority, priority);
        assert.deepEqual(f.fragment, Buffer.from('abc'));
      }
    }
  }
});

test('HEADERS larger than the max frame size split into HEADERS + CONTINUATION, END_HEADERS on the last only', () => {
  const block = Buffer.alloc(16384 * 2 + 10);
  for (let i = 0; i < block.length; i++) block[i] = i & 0xff;
  const frames = writeAndDecode((w) => w.headers(1, block, true, 16384, { dependency: 0, weight: 15, exclusive: false }));
  assert.deepEqual(
    frames.map((f) => [f.type, f.streamId, 'endHeaders' in f ? f.endHeaders : undefined]),
    [
      [FrameType.HEADERS, 1, false],
      [FrameType.CONTINUATION, 1, false],
      [FrameType.CONTINUATION, 1, true],
    ],
  );
  const first = frames[0]!;
  assert.ok(first.type === FrameType.HEADERS);
  assert.equal(first.endStream, true);
  assert.equal(first.fragment.length, 16384 - 5, 'priority fields count towards the frame size');
  const joined = Buffer.concat(frames.map((f) => ('fragment' in f ? f.fragment : Buffer.alloc(0))));
  assert.deepEqual(joined, block);
  // Exactly maxFrameSize fits one frame.
  assert.equal(writeAndDecode((w) => w.headers(1, Buffer.alloc(16384), false, 16384)).length, 1);
  assert.equal(writeAndDecode((w) => w.headers(1, Buffer.alloc(16385), false, 16384)).length, 2);
});

test('PRIORITY: exclusive x dependency x weight', () => {
  for (const exclusive of [false, true]) {
    for (const dependency of [0, 1, 0x7fffffff]) {
      for (const weight of [0, 15, 255]) {
        const f = one((w) => w.priority(11, { dependency, weight, exclusive }));
        assert.deepEqual(plain(f), { type: FrameType.PRIORITY, streamId: 11, priority: { dependency, weight, exclusive } });
      }
    }
  }
});

test('RST_STREAM: error codes read as unsigned 32-bit', () => {
  for (const code of [0, 1, 8, 0xd, 0x7fffffff, 0x80000000, 0xffffffff]) {
    assert.deepEqual(one((w) => w.rstStream(5, code)), { type: FrameType.RST_STREAM, streamId: 5, errorCode: code });
  }
});

test('SETTINGS: empty, ACK, many pairs, unknown ids, values up to 2^32-1', () => {
  assert.deepEqual(one((w) => w.settings([])), { type: FrameType.SETTINGS, streamId: 0, ack: false, settings: [] });
  assert.deepEqual(one((w) => w.settingsAck()), { type: FrameType.SETTINGS, streamId: 0, ack: true, settings: [] });
  const pairs: Array<[number, number]> = [
    [1, 4096],
    [2, 0],
    [3, 100],
    [4, 0x7fffffff],
    [5, 16777215],
    [6, 0xffffffff],
    [8, 1],
    [0xffff, 0x80000000],
  ];
  assert.deepEqual(one((w) => w.settings(pairs)), { type: FrameType.SETTINGS, streamId: 0, ack: false, settings: pairs });
});

test('PUSH_PROMISE: END_HEADERS x PADDED, promised id 31-bit', () => {
  for (const pad of [undefined, 0, 4]) {
    const f = one((w) => w.pushPromise(1, 0x7ffffffe, Buffer.from('promised'), 16384, pad));
    assert.deepEqual(plain(f), {
      type: FrameType.PUSH_PROMISE,
      streamId: 1,
      endHeaders: true,
      promisedStreamId: 0x7ffffffe,
      fragment: Buffer.from('promised').toString('hex'),
    });
  }
  // Reserved bit of the promised id is masked; no END_HEADERS when the block is long.
  const [f] = decodeAll(rawFrame(FrameType.PUSH_PROMISE, 0, 3, Buffer.from([0x80, 0, 0, 2, 0xaa])));
  assert.deepEqual(plain(f!), { type: FrameType.PUSH_PROMISE, streamId: 3, endHeaders: false, promisedStreamId: 2, fragment: 'aa' });
  const split = writeAndDecode((w) => w.pushPromise(1, 2, Buffer.alloc(20000, 1), 16384));
  assert.deepEqual(split.map((x) => x.type), [FrameType.PUSH_PROMISE, FrameType.CONTINUATION]);
});

test('PING: ACK and not, 8 octets', () => {
  for (const ack of [false, true]) {
    const data = Buffer.from([1, 2, 3, 4, 5, 6, 7, 0xff]);
    assert.deepEqual(one((w) => w.ping(data, ack)), { type: FrameType.PING, streamId: 0, ack, data });
  }
});

test('GOAWAY: last stream id 31-bit, code 32-bit, debug data optional', () => {
  for (const debug of [undefined, Buffer.from('why it ended')]) {
    for (const code of [0, 2, 0xffffffff]) {
      const f = one((w) => w.goaway(0x7fffffff, code, debug));
      assert.deepEqual(f, {
        type: FrameType.GOAWAY,
        streamId: 0,
        lastStreamId: 0x7fffffff,
        errorCode: code,
        debugData: debug ?? Buffer.alloc(0),
      });
    }
  }
});

test('WINDOW_UPDATE: increments 0..2^31-1 on stream 0 and others; reserved bit masked', () => {
  for (const streamId of [0, 1, 0x7fffffff]) {
    for (const increment of [0, 1, 65535, 0x7fffffff]) {
      assert.deepEqual(one((w) => w.windowUpdate(streamId, increment)), { type: FrameType.WINDOW_UPDATE, streamId, increment });
    }
  }
  const [f] = decodeAll(rawFrame(FrameType.WINDOW_UPDATE, 0, 1, Buffer.from([0xff, 0xff, 0xff, 0xff])));
  assert.deepEqual(f, { type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 0x7fffffff });
});

test('CONTINUATION: END_HEADERS and not', () => {
  for (const endHeaders of [false, true]) {
    const f = one((w) => w.continuation(3, Buffer.from('more'), endHeaders));
    assert.deepEqual(f, { type: FrameType.CONTINUATION, streamId: 3, endHeaders, fragment: Buffer.from('more') });
  }
});

test('unknown frame types 0x0a..0xff decode as UnknownFrame with every flag kept', () => {
  for (let type = 0x0a; type <= 0xff; type++) {
    for (const flags of [0, 0xff]) {
      for (const streamId of [0, 5]) {
        const [f] = decodeAll(rawFrame(type, flags, streamId, Buffer.from([type])));
        assert.deepEqual(f, { type: UNKNOWN_FRAME, frameType: type, streamId, flags, payload: Buffer.from([type]) });
      }
    }
  }
  // An unknown frame may be as large as the frame size allows and has no length rules.
  const [big] = decodeAll(rawFrame(0xbb, 0, 0, Buffer.alloc(16384)), [], 16384);
  assert.ok(big && big.type === UNKNOWN_FRAME && big.payload.length === 16384);
});

test('unknown flags on known types are ignored', () => {
  const unknownBits = 0xff & ~(FrameFlags.END_STREAM | FrameFlags.END_HEADERS | FrameFlags.PADDED | FrameFlags.PRIORITY);
  const cases: Array<[number, number, Buffer, Partial<Record<string, unknown>>]> = [
    [FrameType.DATA, 1, Buffer.from('x'), { data: Buffer.from('x'), endStream: false }],
    [FrameType.PRIORITY, 1, Buffer.from([0, 0, 0, 0, 7]), { priority: { dependency: 0, weight: 7, exclusive: false } }],
    [FrameType.RST_STREAM, 1, Buffer.from([0, 0, 0, 8]), { errorCode: 8 }],
    [FrameType.SETTINGS, 0, Buffer.alloc(0), { ack: false }],
    [FrameType.PING, 0, Buffer.alloc(8), { ack: false }],
    [FrameType.GOAWAY, 0, Buffer.alloc(8), { errorCode: 0 }],
    [FrameType.WINDOW_UPDATE, 0, Buffer.from([0, 0, 0, 1]), { increment: 1 }],
    [FrameType.CONTINUATION, 1, Buffer.from('y'), { endHeaders: false }],
  ];
  for (const [type, streamId, payload, expected] of cases) {
    // Unknown bits, and for types that do not define them the bits other types use for ACK/END_STREAM etc. stay out.
    const flags = type === FrameType.DATA ? unknownBits : type === FrameType.CONTINUATION ? unknownBits | FrameFlags.END_STREAM : unknownBits & ~1;
    const [f] = decodeAll(rawFrame(type, flags, streamId, payload));
    assert.ok(f, `type ${type} decoded`);
    for (const [key, value] of Object.entries(expected)) assert.deepEqual((f as unknown as Record<string, unknown>)[key], value, `type ${type} ${key}`);
  }
});

test('FrameWriter.frame() re-encodes decoded frames to the same bytes (unpadded frames)', () => {
  const writer = new FrameWriter();
  writer.settings([[3, 100]]);
  writer.settingsAck();
  writer.headers(1, Buffer.from('h'), false, 16384, { dependency: 0, weight: 3, exclusive: true });
  writer.data(1, Buffer.from('body'), true);
  writer.priority(3, { dependency: 1, weight: 1, exclusive: false });
  writer.rstStream(3, 8);
  writer.pushPromise(1, 2, Buffer.from('pp'), 16384);
  writer.ping(Buffer.alloc(8, 9), false);
  writer.goaway(1, 0, Buffer.from('bye'));
  writer.windowUpdate(0, 1000);
  writer.raw(FrameType.HEADERS, 0, 5, Buffer.from('part'));
  writer.continuation(5, Buffer.from('rest'), true);
  writer.raw(0x42, 0x3, 0, Buffer.from('ext'));
  const bytes = Buffer.concat(writer.take());
  const again = new FrameWriter();
  for (const frame of decodeAll(bytes)) again.frame(frame);
  assert.deepEqual(Buffer.concat(again.take()), bytes);
});

test('decoder maxFrameSize defaults to 16384 and is settable', () => {
  const decoder = new FrameDecoder();
  assert.equal(decoder.maxFrameSize, 16384);
  decoder.maxFrameSize = 1 << 20;
  decoder.push(rawFrame(FrameType.DATA, 0, 1, Buffer.alloc(20000)));
  const f = decoder.next();
  assert.ok(f && f.type === FrameType.DATA && f.data.length === 20000);
});

test('HEADERS with priority and padding split into CONTINUATION: overhead only in the first frame, every frame within the size', () => {
  const block = Buffer.alloc(40000);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7) & 0xff;
  const writer = new FrameWriter();
  writer.headers(5, block, true, 16384, { dependency: 3, weight: 42, exclusive: true }, 100);
  const bytes = Buffer.concat(writer.take());
  const frames = decodeAll(bytes, [], 16384);
  assert.deepEqual(frames.map((f) => f.type), [FrameType.HEADERS, FrameType.CONTINUATION, FrameType.CONTINUATION]);
  const first = frames[0]!;
  assert.ok(first.type === FrameType.HEADERS);
  assert.equal(first.fragment.length, 16384 - 5 - 1 - 100);
  assert.deepEqual(first.priority, { dependency: 3, weight: 42, exclusive: true });
  assert.equal(bytes.readUIntBE(0, 3), 16384, 'the first frame is exactly maxFrameSize');
  assert.deepEqual(Buffer.concat(frames.map((f) => ('fragment' in f ? f.fragment : Buffer.alloc(0)))), block);
});
