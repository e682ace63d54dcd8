/**
 * The decoder's per-type rules (RFC 9113 sections 4.2 and 6): each yields the right error
 * class (connection vs stream error) and code; stream errors leave the decoder usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionError, ErrorCode, StreamError } from '../../src/errors.js';
import { FrameDecoder, FrameFlags, FrameType } from '../../src/frame/index.js';
import { rawFrame } from './helpers.js';

function expectError(bytes: Buffer, kind: typeof ConnectionError | typeof StreamError, code: number, maxFrameSize = 16384): Error {
  for (let cut = 0; cut <= bytes.length; cut++) {
    const decoder = new FrameDecoder({ maxFrameSize });
    let caught: unknown = null;
    try {
      decoder.push(bytes.subarray(0, cut));
      while (decoder.next() !== null);
      decoder.push(bytes.subarray(cut));
      while (decoder.next() !== null);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof kind, `expected ${kind.name} (cut at ${cut}), got ${String(caught)}`);
    if (kind === ConnectionError) assert.ok(!(caught instanceof StreamError));
    assert.equal((caught as ConnectionError).code, code, `code (cut at ${cut})`);
  }
  const decoder = new FrameDecoder({ maxFrameSize });
  decoder.push(bytes);
  try {
    while (decoder.next() !== null);
  } catch (error) {
    return error as Error;
  }
  assert.fail('no error');
}

const streamBound = [FrameType.DATA, FrameType.HEADERS, FrameType.PRIORITY, FrameType.RST_STREAM, FrameType.CONTINUATION, FrameType.PUSH_PROMISE];
const validPayload: Record<number, Buffer> = {
  [FrameType.DATA]: Buffer.from('x'),
  [FrameType.HEADERS]: Buffer.from([0x82]),
  [FrameType.PRIORITY]: Buffer.from([0, 0, 0, 1, 16]),
  [FrameType.RST_STREAM]: Buffer.from([0, 0, 0, 8]),
  [FrameType.CONTINUATION]: Buffer.from([0x82]),
  [FrameType.PUSH_PROMISE]: Buffer.from([0, 0, 0, 2, 0x82]),
  [FrameType.SETTINGS]: Buffer.alloc(6),
  [FrameType.PING]: Buffer.alloc(8),
  [FrameType.GOAWAY]: Buffer.alloc(8),
};

for (const type of streamBound) {
  test(`type ${type} on stream 0 -> connection error PROTOCOL_ERROR`, () => {
    const error = expectError(rawFrame(type, 0, 0, validPayload[type]), ConnectionError, ErrorCode.PROTOCOL_ERROR);
    assert.match((error as ConnectionError).token, /zero_stream/);
  });
}

for (const type of [FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY]) {
  test(`type ${type} on a non-zero stream -> connection error PROTOCOL_ERROR`, () => {
    expectError(rawFrame(type, 0, 1, validPayload[type]), ConnectionError, ErrorCode.PROTOCOL_ERROR);
    expectError(rawFrame(type, 0, 0x7fffffff, validPayload[type]), ConnectionError, ErrorCode.PROTOCOL_ERROR);
  });
}

test('SETTINGS length not a multiple of 6 -> FRAME_SIZE_ERROR connection error', () => {
  for (const length of [1, 5, 7, 11, 13]) expectError(rawFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(length)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
});

test('SETTINGS ACK with a payload -> FRAME_SIZE_ERROR connection error', () => {
  for (const length of [1, 6]) expectError(rawFrame(FrameType.SETTINGS, FrameFlags.ACK, 0, Buffer.alloc(length)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
});

test('PING length other than 8 -> FRAME_SIZE_ERROR connection error', () => {
  for (const length of [0, 7, 9, 16]) {
    expectError(rawFrame(FrameType.PING, 0, 0, Buffer.alloc(length)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
    expectError(rawFrame(FrameType.PING, FrameFlags.ACK, 0, Buffer.alloc(length)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
  }
});

test('WINDOW_UPDATE length other than 4 -> FRAME_SIZE_ERROR connection error (stream 0 and others)', () => {
  for (const streamId of [0, 1]) {
    for (const length of [0, 3, 5]) expectError(rawFrame(FrameType.WINDOW_UPDATE, 0, streamId, Buffer.alloc(length, 1)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
  }
});

test('RST_STREAM length other than 4 -> FRAME_SIZE_ERROR connection error', () => {
  for (const length of [0, 3, 5]) expectError(rawFrame(FrameType.RST_STREAM, 0, 1, Buffer.alloc(length)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
});

test('GOAWAY shorter than 8 -> FRAME_SIZE_ERROR connection error', () => {
  for (const length of [0, 7]) expectError(rawFrame(FrameType.GOAWAY, 0, 0, Buffer.alloc(length)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
});

test('PRIORITY length other than 5 -> FRAME_SIZE_ERROR stream error, frame consumed, decoding goes on', () => {
  for (const length of [0, 4, 6]) {
    const error = expectError(rawFrame(FrameType.PRIORITY, 0, 3, Buffer.alloc(length)), StreamError, ErrorCode.FRAME_SIZE_ERROR);
    assert.equal((error as StreamError).streamId, 3);
  }
  const decoder = new FrameDecoder();
  decoder.push(Buffer.concat([rawFrame(FrameType.PRIORITY, 0, 3, Buffer.alloc(6)), rawFrame(FrameType.PING, 0, 0, Buffer.alloc(8))]));
  assert.throws(() => decoder.next(), StreamError);
  assert.equal(decoder.next()?.type, FrameType.PING);
  assert.equal(decoder.next(), null);
});

test('padding as long as the payload or longer -> PROTOCOL_ERROR connection error (DATA, HEADERS, PUSH_PROMISE)', () => {
  // DATA: payload = Pad Length octet + data + padding.
  expectError(rawFrame(FrameType.DATA, FrameFlags.PADDED, 1, Buffer.from([1])), ConnectionError, ErrorCode.PROTOCOL_ERROR);
  expectError(rawFrame(FrameType.DATA, FrameFlags.PADDED, 1, Buffer.from([5, 0, 0, 0, 0])), ConnectionError, ErrorCode.PROTOCOL_ERROR);
  expectError(rawFrame(FrameType.DATA, FrameFlags.PADDED, 1, Buffer.from([255, 0])), ConnectionError, ErrorCode.PROTOCOL_ERROR);
  expectError(rawFrame(FrameType.HEADERS, FrameFlags.PADDED | FrameFlags.END_HEADERS, 1, Buffer.from([3, 0x82, 0])), ConnectionError, ErrorCode.PROTOCOL_ERROR);
  // With PRIORITY the 5 priority octets are not padding room either.
  expectError(
    rawFrame(FrameType.HEADERS, FrameFlags.PADDED | FrameFlags.PRIORITY | FrameFlags.END_HEADERS, 1, Buffer.from([3, 0, 0, 0, 0, 16, 0, 0])),
    ConnectionError,
    ErrorCode.PROTOCOL_ERROR,
  );
  expectError(rawFrame(FrameType.PUSH_PROMISE, FrameFlags.PADDED | FrameFlags.END_HEADERS, 1, Buffer.from([2, 0, 0, 0, 2, 0])), ConnectionError, ErrorCode.PROTOCOL_ERROR);
});

test('padding that exactly fills the rest of the payload is fine (empty content)', () => {
  for (const [type, flags, payload] of [
    [FrameType.DATA, FrameFlags.PADDED, Buffer.from([3, 0, 0, 0])],
    [FrameType.DATA, FrameFlags.PADDED, Buffer.from([0])],
    [FrameType.HEADERS, FrameFlags.PADDED | FrameFlags.PRIORITY, Buffer.from([1, 0, 0, 0, 0, 16, 0])],
    [FrameType.PUSH_PROMISE, FrameFlags.PADDED, Buffer.from([1, 0, 0, 0, 2, 0])],
  ] as const) {
    const decoder = new FrameDecoder();
    decoder.push(rawFrame(type, flags, 1, payload));
    const f = decoder.next();
    assert.ok(f, `type ${type}`);
    assert.equal(('data' in f ? f.data : 'fragment' in f ? f.fragment : null)?.length, 0);
  }
});

test('frames too short for their mandatory fields -> FRAME_SIZE_ERROR connection error', () => {
  expectError(rawFrame(FrameType.DATA, FrameFlags.PADDED, 1, Buffer.alloc(0)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
  expectError(rawFrame(FrameType.HEADERS, FrameFlags.PRIORITY, 1, Buffer.alloc(4)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
  expectError(rawFrame(FrameType.HEADERS, FrameFlags.PRIORITY | FrameFlags.PADDED, 1, Buffer.alloc(5)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
  expectError(rawFrame(FrameType.PUSH_PROMISE, 0, 1, Buffer.alloc(3)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
  expectError(rawFrame(FrameType.PUSH_PROMISE, FrameFlags.PADDED, 1, Buffer.alloc(4)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
});

test('a frame longer than maxFrameSize -> FRAME_SIZE_ERROR connection error, raised from the header alone', () => {
  for (const type of [FrameType.DATA, FrameType.HEADERS, FrameType.CONTINUATION, 0x77]) {
    expectError(rawFrame(type, 0, 1, Buffer.alloc(16385)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR);
  }
  expectError(rawFrame(FrameType.DATA, 0, 1, Buffer.alloc(101)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR, 100);
  // Only the 9-octet header has arrived: the error does not wait for 16 MB of payload.
  const decoder = new FrameDecoder();
  decoder.push(Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1]));
  assert.throws(() => decoder.next(), (e: unknown) => e instanceof ConnectionError && e.code === ErrorCode.FRAME_SIZE_ERROR);
  // exactly maxFrameSize is fine
  const ok = new FrameDecoder();
  ok.push(rawFrame(FrameType.DATA, 0, 1, Buffer.alloc(16384)));
  assert.equal(ok.next()?.type, FrameType.DATA);
});

test('connection errors are sticky: the decoder keeps throwing the same error', () => {
  const decoder = new FrameDecoder();
  decoder.push(rawFrame(FrameType.PING, 0, 1, Buffer.alloc(8)));
  let first: unknown;
  try {
    decoder.next();
  } catch (error) {
    first = error;
  }
  assert.ok(first instanceof ConnectionError);
  decoder.push(rawFrame(FrameType.PING, 0, 0, Buffer.alloc(8)));
  assert.throws(() => decoder.next(), (e: unknown) => e === first);
});

test('WINDOW_UPDATE increment 0 is decoded, not rejected (the connection decides stream vs connection error)', () => {
  for (const streamId of [0, 1]) {
    const decoder = new FrameDecoder();
    decoder.push(rawFrame(FrameType.WINDOW_UPDATE, 0, streamId, Buffer.alloc(4)));
    assert.deepEqual(decoder.next(), { type: FrameType.WINDOW_UPDATE, streamId, increment: 0 });
  }
});

test('errors carry stable tokens and say which value was wrong', () => {
  const error = expectError(rawFrame(FrameType.PING, 0, 0, Buffer.alloc(7)), ConnectionError, ErrorCode.FRAME_SIZE_ERROR) as ConnectionError;
  assert.equal(error.token, 'frame_ping_bad_length');
  assert.match(error.message, /7/);
});
