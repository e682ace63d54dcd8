/**
 * Header blocks (RFC 9113 sections 4.3, 6.2, 6.10) and field validation (section 8), server role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import type { HeaderList } from '../../src/connection/index.js';
import { eventsOf, GET, ofType, post, ScriptedPeer } from './helpers/peer.js';
import { literalBlock } from '../conformance/helpers/client.js';

function server(options: ConstructorParameters<typeof ScriptedPeer>[0] = { role: 'server' }): ScriptedPeer {
  const p = new ScriptedPeer(options);
  p.handshake();
  return p;
}

function goawayCode(p: ScriptedPeer): number {
  const g = ofType(p.frames(), FrameType.GOAWAY);
  assert.equal(g.length, 1);
  return g[0]!.errorCode;
}

function rstCode(p: ScriptedPeer, id: number): number | undefined {
  return ofType(p.frames(), FrameType.RST_STREAM).find((f) => f.streamId === id)?.errorCode;
}

test('a header block split over HEADERS + CONTINUATION frames is one headers event', () => {
  const p = server();
  const headers: HeaderList = [...GET, ['x-long', 'v'.repeat(40000)]];
  const block = p.block(headers);
  p.send((w) => w.headers(1, block, true, 16384));
  const ev = eventsOf(p.events, 'headers');
  assert.equal(ev.length, 1);
  assert.deepEqual(ev[0]!.headers, headers);
});

test('a frame of another stream inside a header block is a connection error PROTOCOL_ERROR', () => {
  const p = server();
  const block = p.block(GET);
  p.send((w) => {
    w.raw(FrameType.HEADERS, 0x1, 1, block.subarray(0, 3));
    w.headers(3, p.block(GET), true, 16384);
  });
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
});

test('a PING inside a header block is a connection error PROTOCOL_ERROR', () => {
  const p = server();
  const block = p.block(GET);
  p.send((w) => {
    w.raw(FrameType.HEADERS, 0x1, 1, block.subarray(0, 3));
    w.ping(Buffer.alloc(8), false);
  });
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
});

test('CONTINUATION without a header block in progress is a connection error PROTOCOL_ERROR', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.continuation(1, Buffer.alloc(0), true));
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
});

test('a flood of empty CONTINUATION frames is cut off (ENHANCE_YOUR_CALM)', () => {
  const p = server({ role: 'server', maxContinuationFrames: 10 });
  p.send((w) => {
    w.raw(FrameType.HEADERS, 0x1, 1, Buffer.alloc(0));
    for (let i = 0; i < 11; i++) w.continuation(1, Buffer.alloc(0), false);
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
});

test('a header block above maxHeaderBlockSize is cut off before it is buffered', () => {
  const p = server({ role: 'server', maxHeaderBlockSize: 20000 });
  p.send((w) => {
    w.raw(FrameType.HEADERS, 0x1, 1, Buffer.alloc(16384));
    w.continuation(1, Buffer.alloc(16384), false);
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
});

test('an undecodable header block is a connection error COMPRESSION_ERROR', () => {
  const p = server();
  // Indexed field 0x7f + huge index: out of range.
  p.send((w) => w.headers(1, Buffer.from([0xff, 0xff, 0x7f]), true, 16384));
  assert.equal(goawayCode(p), ErrorCode.COMPRESSION_ERROR);
});

test('a header list over maxHeaderListSize gets 431 and the connection (and HPACK state) go on', () => {
  const p = server({ role: 'server', settings: { maxHeaderListSize: 1000 } });
  p.send((w) => w.headers(1, p.block([...GET, ['x-big', 'b'.repeat(2000)]]), true, 16384));
  const frames = p.frames();
  const h = ofType(frames, FrameType.HEADERS);
  assert.equal(h.length, 1);
  assert.deepEqual(h[0]!.headers, [[':status', '431']]);
  assert.ok(h[0]!.endStream);
  assert.equal(eventsOf(p.events, 'headers').length, 0);
  p.send((w) => w.headers(3, p.block(GET), true, 16384));
  assert.deepEqual(eventsOf(p.events, 'headers')[0]!.headers, GET);
});

// Malformed requests (section 8.1.1): stream error PROTOCOL_ERROR, the connection goes on.
const malformed: Array<[string, HeaderList]> = [
  ['uppercase field name', [...GET, ['X-Upper', '1']]],
  ['field name with a space', [...GET, ['x y', '1']]],
  ['field name with a colon inside', [...GET, ['x:y', '1']]],
  ['empty field name', [...GET, ['', '1']]],
  ['value with NUL', [...GET, ['x', 'a\0b']]],
  ['value with CR', [...GET, ['x', 'a\rb']]],
  ['value with LF', [...GET, ['x', 'a\nb']]],
  ['value with leading space', [...GET, ['x', ' a']]],
  ['value with trailing tab', [...GET, ['x', 'a\t']]],
  ['connection', [...GET, ['connection', 'keep-alive']]],
  ['keep-alive', [...GET, ['keep-alive', '5']]],
  ['proxy-connection', [...GET, ['proxy-connection', 'x']]],
  ['transfer-encoding', [...GET, ['transfer-encoding', 'chunked']]],
  ['upgrade', [...GET, ['upgrade', 'h2c']]],
  ['te other than trailers', [...GET, ['te', 'gzip']]],
  ['missing :method', GET.filter((h) => h[0] !== ':method')],
  ['missing :scheme', GET.filter((h) => h[0] !== ':scheme')],
  ['missing :path', GET.filter((h) => h[0] !== ':path')],
  ['empty :path', [[':method', 'GET'], [':scheme', 'https'], [':path', ''], [':authority', 'a']]],
  ['repeated :method', [...GET.slice(0, 1), ...GET]],
  ['repeated :path', [...GET, [':path', '/again']]],
  ['unknown pseudo-header', [...GET.slice(0, 3), [':foo', 'bar']]],
  ['response pseudo-header in a request', [...GET.slice(0, 3), [':status', '200']]],
  ['pseudo-header after a regular field', [[':method', 'GET'], [':scheme', 'https'], ['x', '1'], [':path', '/']]],
  ['CONNECT with :path', [[':method', 'CONNECT'], [':authority', 'a:443'], [':path', '/']]],
  ['CONNECT without :authority', [[':method', 'CONNECT']]],
  [':protocol without extended CONNECT', [...GET, [':protocol', 'websocket']]],
  ['content-length not a number', [...GET, ['content-length', 'abc']]],
];

for (const [name, headers] of malformed) {
  test(`malformed request: ${name} -> RST_STREAM PROTOCOL_ERROR`, () => {
    const p = server();
    p.send((w) => w.headers(1, literalBlock(headers), true, 16384));
    assert.equal(rstCode(p, 1), ErrorCode.PROTOCOL_ERROR);
    assert.equal(eventsOf(p.events, 'headers').length, 0);
    assert.equal(p.conn.isClosed, false);
  });
}

test('well-formed requests are accepted: te trailers, CONNECT, OPTIONS *, no :authority', () => {
  for (const headers of [
    [...GET, ['te', 'trailers']],
    [[':method', 'CONNECT'], [':authority', 'example.com:443']],
    [[':method', 'OPTIONS'], [':scheme', 'https'], [':path', '*'], [':authority', 'a']],
    [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], ['host', 'example.com']],
  ] as HeaderList[]) {
    const p = server();
    p.send((w) => w.headers(1, literalBlock(headers), true, 16384));
    assert.deepEqual(eventsOf(p.events, 'headers')[0]?.headers, headers);
  }
});

test('content-length larger than the DATA at END_STREAM -> RST_STREAM PROTOCOL_ERROR', () => {
  const p = server();
  p.send((w) => {
    w.headers(1, p.block(post('/', [['content-length', '10']])), false, 16384);
    w.data(1, Buffer.from('12345'), true);
  });
  assert.equal(rstCode(p, 1), ErrorCode.PROTOCOL_ERROR);
});

test('DATA beyond content-length -> RST_STREAM PROTOCOL_ERROR', () => {
  const p = server();
  p.send((w) => {
    w.headers(1, p.block(post('/', [['content-length', '3']])), false, 16384);
    w.data(1, Buffer.from('12345'), false);
  });
  assert.equal(rstCode(p, 1), ErrorCode.PROTOCOL_ERROR);
});

test('content-length on HEADERS with END_STREAM and no DATA -> RST_STREAM PROTOCOL_ERROR', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post('/', [['content-length', '3']])), true, 16384));
  assert.equal(rstCode(p, 1), ErrorCode.PROTOCOL_ERROR);
});

test('content-length matching the DATA is accepted', () => {
  const p = server();
  p.send((w) => {
    w.headers(1, p.block(post('/', [['content-length', '5']])), false, 16384);
    w.data(1, Buffer.from('12'), false);
    w.data(1, Buffer.from('345'), true);
  });
  assert.equal(rstCode(p, 1), undefined);
  assert.equal(eventsOf(p.events, 'data').length, 2);
});

test('trailers: accepted with END_STREAM; without it, or with pseudo-headers, malformed', () => {
  let p = server();
  p.send((w) => {
    w.headers(1, p.block(post()), false, 16384);
    w.data(1, Buffer.from('x'), false);
    w.headers(1, p.block([['x-sum', '1']]), true, 16384);
  });
  assert.deepEqual(eventsOf(p.events, 'headers').map((e) => e.kind), ['request', 'trailers']);

  p = server();
  p.send((w) => {
    w.headers(1, p.block(post()), false, 16384);
    w.headers(1, p.block([['x-sum', '1']]), false, 16384);
  });
  assert.equal(rstCode(p, 1), ErrorCode.PROTOCOL_ERROR);

  p = server();
  p.send((w) => {
    w.headers(1, p.block(post()), false, 16384);
    w.headers(1, literalBlock([[':path', '/x']]), true, 16384);
  });
  assert.equal(rstCode(p, 1), ErrorCode.PROTOCOL_ERROR);
});

test('HPACK state stays in sync across a rejected (malformed) request', () => {
  const p = server();
  // Indexed into the dynamic table by our deflater, then referenced by the next block.
  p.send((w) => w.headers(1, p.block([...GET, ['x-custom', 'same'], ['connection', 'close']]), true, 16384));
  assert.equal(rstCode(p, 1), ErrorCode.PROTOCOL_ERROR);
  p.send((w) => w.headers(3, p.block([...GET, ['x-custom', 'same']]), true, 16384));
  assert.deepEqual(eventsOf(p.events, 'headers')[0]!.headers, [...GET, ['x-custom', 'same']]);
});
