/**
 * The `--verbose` frame trace on its own (the frame layer's FrameTracer, printed by the CLI's
 * formatter): bytes of a conversation (built with the frame
 * layer's FrameWriter and HDDeflater) fed whole, in random pieces and byte by byte all give
 * the same lines; header blocks split over CONTINUATION are printed once complete; the
 * preface is recognised on the direction that carries it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONNECTION_PREFACE, FrameTracer, FrameWriter } from '../../src/frame/index.js';
import { HDDeflater } from '../../src/hpack/index.js';
import { formatTraceEvent } from '../../src/cli/frame-format.js';

function conversation(): Buffer {
  const w = new FrameWriter();
  const deflater = new HDDeflater();
  w.settings([[2, 0], [4, 1048576]]);
  w.windowUpdate(0, 983041);
  w.headers(1, deflater.deflate([[':method', 'GET'], [':path', '/a'], [':scheme', 'https'], [':authority', 'x']]), true, 16384);
  // A header block in HEADERS + CONTINUATION (tiny max frame size forces the split).
  const big = deflater.deflate([[':method', 'GET'], [':path', '/b'], [':scheme', 'https'], [':authority', 'x'], ['x-long', 'v'.repeat(40)]]);
  w.headers(3, big, false, 20);
  w.data(3, Buffer.from('hello'), true);
  w.ping(Buffer.from('12345678'), false);
  w.rstStream(3, 8);
  w.goaway(3, 0, Buffer.from('bye'));
  return Buffer.concat([CONNECTION_PREFACE, ...w.take()]);
}

function traceOf(chunks: Buffer[], preface: boolean): string {
  let out = '';
  const t = new FrameTracer('recv', (event) => (out += `[t] ${formatTraceEvent(event)}`), preface);
  for (const c of chunks) t.push(c);
  return out;
}

function split(bytes: Buffer, sizes: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = Math.max(1, Math.min(bytes.length - i, sizes()));
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

test('every frame of a conversation, one line each, header blocks decoded', () => {
  const out = traceOf([conversation()], true);
  const frameLines = out.split('\n').filter((l) => l.startsWith('[t]'));
  assert.deepEqual(frameLines.map((l) => l.split(' ').slice(1, 3).join(' ')), [
    'recv connection',
    'recv SETTINGS',
    'recv WINDOW_UPDATE',
    'recv HEADERS',
    'recv HEADERS',
    ...frameLines.slice(5).filter((l) => l.includes('CONTINUATION')).map(() => 'recv CONTINUATION'),
    'recv DATA',
    'recv PING',
    'recv RST_STREAM',
    'recv GOAWAY',
  ]);
  assert.match(out, /\[SETTINGS_ENABLE_PUSH\(0x02\):0\]/);
  assert.match(out, /\[SETTINGS_INITIAL_WINDOW_SIZE\(0x04\):1048576\]/);
  assert.match(out, /WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=0> \(window_size_increment=983041\)/);
  assert.match(out, /HEADERS frame <length=\d+, flags=0x05, stream_id=1> ; END_STREAM \| END_HEADERS\n +:method: GET\n +:path: \/a\n/);
  assert.match(out, /CONTINUATION frame <length=\d+, flags=0x04, stream_id=3> ; END_HEADERS\n(?: +[^\n]+\n)* +x-long: v{40}\n/, 'the split block is printed after its last CONTINUATION');
  assert.match(out, /DATA frame <length=5, flags=0x01, stream_id=3> ; END_STREAM/);
  assert.match(out, /PING frame <length=8, flags=0x00, stream_id=0> \(opaque_data=3132333435363738\)/);
  assert.match(out, /RST_STREAM frame <length=4, flags=0x00, stream_id=3> \(error_code=CANCEL\(0x08\)\)/);
  assert.match(out, /GOAWAY frame <length=11, flags=0x00, stream_id=0> \(last_stream_id=3, error_code=NO_ERROR\(0x00\), opaque_data\(3\)=\[bye\]\)/);
});

test('the same lines whatever the chunking (byte by byte, random pieces)', () => {
  const bytes = conversation();
  const whole = traceOf([bytes], true);
  assert.equal(traceOf(split(bytes, () => 1), true), whole);
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 40) + 1;
  for (let round = 0; round < 20; round++) assert.equal(traceOf(split(bytes, random), true), whole);
});

test('without the preface option the first bytes are read as frames', () => {
  const bytes = conversation().subarray(CONNECTION_PREFACE.length);
  const out = traceOf([bytes], false);
  assert.ok(!out.includes('connection preface'));
  assert.match(out.split('\n')[0]!, /^\[t\] recv SETTINGS frame/);
});

test('a frame the decoder rejects is printed as invalid and tracing of that direction stops', () => {
  const w = new FrameWriter();
  w.raw(4, 0, 1, Buffer.alloc(6)); // SETTINGS on a stream: a connection error
  w.ping(Buffer.alloc(8), false);
  const out = traceOf([Buffer.concat(w.take())], false);
  assert.match(out, /recv SETTINGS frame <length=6, flags=0x00, stream_id=1> \(invalid: /);
  assert.ok(!out.includes('PING'));
});

test('a frame inside a header block is shown as not accepted, and the trace goes on with the next frames', () => {
  const w = new FrameWriter();
  const block = new HDDeflater().deflate([[':method', 'GET'], [':path', '/x'], [':scheme', 'https'], [':authority', 'x'], ['x-long', 'v'.repeat(40)]]);
  w.headers(1, block, true, 20); // HEADERS + CONTINUATIONs
  const bytes = Buffer.concat(w.take());
  // Cut after the HEADERS frame (9-octet header + 20-octet payload) and slip a PING in.
  const ping = new FrameWriter();
  ping.ping(Buffer.alloc(8), false);
  ping.ping(Buffer.from('abcdefgh'), true);
  const out = traceOf([bytes.subarray(0, 29), Buffer.concat(ping.take())], false);
  assert.match(out, /recv HEADERS frame <length=20, flags=0x01, stream_id=1> ; END_STREAM\n/);
  assert.match(out, /recv PING frame <length=8, flags=0x00, stream_id=0> \(opaque_data=0000000000000000\)\n +\(not accepted: /);
  // The block was dropped: the next frame is read afresh and accepted.
  assert.match(out, /recv PING frame <length=8, flags=0x01, stream_id=0> ; ACK \(opaque_data=6162636465666768\)\n$/);
});
