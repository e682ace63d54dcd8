/**
 * Hostile input: the core never throws for what the peer sends, and floods are cut off with
 * ENHANCE_YOUR_CALM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Connection } from '../../src/connection/index.js';
import type { ConnectionEvent } from '../../src/connection/index.js';
import { ConnectionError, ErrorCode, isProtocolError, UsageError } from '../../src/errors.js';
import { FloodGuard } from '../../src/connection/flood-guard.js';
import { CONNECTION_PREFACE, FrameType, FrameWriter } from '../../src/frame/index.js';
import { HDDeflater } from '../../src/hpack/index.js';
import { eventsOf, GET, ofType, post, ScriptedPeer } from './helpers/peer.js';

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 11 }),
  flags: fc.integer({ min: 0, max: 255 }),
  streamId: fc.integer({ min: 0, max: 9 }),
  payload: fc.uint8Array({ maxLength: 40 }),
});

function checkEvents(events: ConnectionEvent[], conn: Connection): void {
  const errorAt = events.findIndex((e) => e.type === 'connectionError');
  if (errorAt >= 0) {
    assert.equal(events.at(-1)!.type, 'closed');
    assert.equal(conn.isClosed, true);
    assert.equal(events.filter((e) => e.type === 'closed').length, 1);
  }
}

test('random frames after a valid opening never make the core throw', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 30 }), fc.integer({ min: 1, max: 50 }), (frames, cut) => {
      const conn = new Connection({ role: 'server', now: 0 });
      const hpack = new HDDeflater();
      const w = new FrameWriter();
      w.settings([]);
      w.headers(1, hpack.deflate(post()), false, 16384);
      for (const f of frames) w.raw(f.type, f.flags, f.streamId, f.payload);
      const bytes = Buffer.concat([CONNECTION_PREFACE, ...w.take()]);
      const events: ConnectionEvent[] = [];
      for (let i = 0; i < bytes.length; i += cut) events.push(...conn.receive(bytes.subarray(i, i + cut)));
      conn.takeOutput();
      checkEvents(events, conn);
      // Commands after whatever happened still do not throw for a closed stream.
      conn.sendData(1, Buffer.from('x'), true);
      conn.consume(1, 10);
      conn.resetStream(1, ErrorCode.CANCEL);
    }),
    { numRuns: 500 },
  );
});

test('random bytes never make the core throw (both roles)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (data, asServer) => {
      const conn = new Connection({ role: asServer ? 'server' : 'client', now: 0 });
      const prefix = asServer ? CONNECTION_PREFACE : Buffer.alloc(0);
      const events = conn.receive(Buffer.concat([prefix, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), data]));
      checkEvents(events, conn);
    }),
    { numRuns: 500 },
  );
});

function server(options: ConstructorParameters<typeof ScriptedPeer>[0]): ScriptedPeer {
  const p = new ScriptedPeer(options);
  p.handshake();
  return p;
}

function goawayCode(p: ScriptedPeer): number | undefined {
  return ofType(p.frames(), FrameType.GOAWAY)[0]?.errorCode;
}

test('PING flood: ENHANCE_YOUR_CALM past the burst; the bucket refills at its rate', () => {
  const p = server({ role: 'server', controlFrameLimit: { burst: 50, perSecond: 50 } });
  for (let i = 0; i < 50; i++) p.send((w) => w.ping(Buffer.alloc(8), false));
  p.now = 1000;
  for (let i = 0; i < 50; i++) p.send((w) => w.ping(Buffer.alloc(8), false));
  assert.equal(p.conn.isClosed, false);
  p.send((w) => w.ping(Buffer.alloc(8), false));
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
});

test('SETTINGS flood: ENHANCE_YOUR_CALM', () => {
  const p = server({ role: 'server', controlFrameLimit: { burst: 20 } });
  p.send((w) => {
    for (let i = 0; i < 21; i++) w.settings([]);
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
});

test('rapid reset: streams opened and reset past the limit -> ENHANCE_YOUR_CALM', () => {
  const p = server({ role: 'server', resetLimit: { burst: 100 } });
  p.send((w) => {
    for (let i = 0; i < 101; i++) {
      const id = 1 + 2 * i;
      w.headers(id, p.block(GET), false, 16384);
      w.rstStream(id, ErrorCode.CANCEL);
    }
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(eventsOf(p.events, 'connectionError')[0]!.error.token, 'flood_resets');
});

test('empty DATA frames flood -> ENHANCE_YOUR_CALM', () => {
  const p = server({ role: 'server', glitchLimit: { burst: 100 } });
  p.send((w) => {
    w.headers(1, p.block(post()), false, 16384);
    for (let i = 0; i < 101; i++) w.data(1, Buffer.alloc(0), false);
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
});

test('input after a connection error is ignored', () => {
  const p = server({ role: 'server' });
  p.send((w) => w.windowUpdate(0, 0));
  const before = p.events.length;
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  assert.equal(p.events.length, before);
  assert.deepEqual(p.frames().map((f) => f.type), [FrameType.GOAWAY]);
});

test('provoked resets (MadeYouReset): stream errors we send count toward resetLimit', () => {
  const p = server({ role: 'server', resetLimit: { burst: 50 }, streamErrorLimit: { burst: 1000 } });
  p.send((w) => {
    for (let i = 0; i < 51; i++) {
      const id = 1 + 2 * i;
      w.headers(id, p.block(GET), true, 16384);
      w.windowUpdate(id, 0x7fffffff); // overflow: RST_STREAM FLOW_CONTROL_ERROR
    }
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(eventsOf(p.events, 'connectionError')[0]!.error.token, 'flood_resets');
});

test('malformed requests past streamErrorLimit end the connection; refusals only count as resets', () => {
  const p = server({ role: 'server', streamErrorLimit: { burst: 10 } });
  p.send((w) => {
    for (let i = 0; i < 11; i++) w.headers(1 + 2 * i, p.block([...GET, ['connection', 'close']]), true, 16384);
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(eventsOf(p.events, 'connectionError')[0]!.error.token, 'flood_stream_errors');
  // REFUSED_STREAM is not a stream error of the peer's making: 20 refusals stay under 10.
  const q = server({ role: 'server', streamErrorLimit: { burst: 10 }, settings: { maxConcurrentStreams: 1 } });
  q.send((w) => {
    for (let i = 0; i < 21; i++) w.headers(1 + 2 * i, q.block(post()), false, 16384);
  });
  assert.equal(q.conn.isClosed, false);
  assert.equal(ofType(q.frames(), FrameType.RST_STREAM).length, 20);
});

test('PRIORITY is a glitch everywhere (CVE-2019-9513); the few a browser sends per request are paid for by its requests', () => {
  const p = server({ role: 'server', glitchLimit: { burst: 100, perSecond: 0, perRequest: 10 } });
  // 50 requests with 5 PRIORITY frames each: 250 glitches, but each request earns 10.
  p.send((w) => {
    for (let i = 0; i < 50; i++) {
      const id = 1 + 2 * i;
      w.headers(id, p.block(post()), false, 16384);
      for (let j = 0; j < 5; j++) w.priority(id, { dependency: 0, weight: j, exclusive: false });
    }
  });
  assert.equal(p.conn.isClosed, false);
  // Churn with no requests: on an open stream as on idle ones, cut once the budget is spent.
  p.send((w) => {
    for (let i = 0; i < 101; i++) w.priority(i % 2 === 0 ? 1 : 1001 + 2 * i, { dependency: 0, weight: 1, exclusive: false });
  });
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(eventsOf(p.events, 'connectionError')[0]!.error.token, 'flood_glitches');
});

test('frames that cost work and do none are glitches: RST_STREAM on closed streams, WINDOW_UPDATE, unknown types, unsolicited ACKs, repeated GOAWAY', () => {
  const floods: Array<[string, (w: import('../../src/frame/index.js').FrameWriter) => void]> = [
    ['RST_STREAM on a closed stream', (w) => w.rstStream(1, ErrorCode.CANCEL)],
    ['WINDOW_UPDATE on stream 0', (w) => w.windowUpdate(0, 1)],
    ['WINDOW_UPDATE on a closed stream', (w) => w.windowUpdate(1, 1)],
    ['unknown frame type', (w) => w.raw(0xfa, 0, 0, Buffer.alloc(4))],
    ['unsolicited SETTINGS ACK', (w) => w.settingsAck()],
    ['repeated GOAWAY', (w) => w.goaway(0x7fffffff, ErrorCode.NO_ERROR, Buffer.alloc(0))],
  ];
  for (const [name, frame] of floods) {
    const p = server({ role: 'server', glitchLimit: { burst: 100, perSecond: 0 } });
    // Stream 1 opens and ends both ways; stream 3 stays open (so a GOAWAY does not end the connection).
    p.send((w) => w.headers(1, p.block(GET), true, 16384));
    p.conn.sendHeaders(1, [[':status', '204']], true);
    p.send((w) => w.headers(3, p.block(post()), false, 16384));
    // The first GOAWAY means something (the peer is leaving); only the ones after it are glitches.
    if (name === 'repeated GOAWAY') p.send((w) => frame(w));
    p.send((w) => {
      for (let i = 0; i < 100; i++) frame(w);
    });
    assert.equal(p.conn.isClosed, false, `${name}: 100 fit the burst`);
    p.send((w) => frame(w));
    assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM, `${name}: the 101st is cut`);
  }
});

test('a SETTINGS frame of more than maxSettingsEntries entries is ENHANCE_YOUR_CALM (CVE-2020-11080)', () => {
  const p = server({ role: 'server' });
  p.send((w) => w.settings(Array.from({ length: 32 }, () => [3, 100] as [number, number])));
  assert.equal(p.conn.isClosed, false, '32 entries are fine');
  p.send((w) => w.settings(Array.from({ length: 33 }, () => [3, 100] as [number, number])));
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(eventsOf(p.events, 'connectionError')[0]!.error.token, 'settings_too_many_entries');
});

test('rapid reset is a token bucket: a steady rate above the refill is cut, one below it is not', () => {
  // burst 100, 50 a second: 100 resets a second for 2 s is cut (100 + 50 * t < 100 * t from t = 2 s).
  const fast = server({ role: 'server', resetLimit: { burst: 100, perSecond: 50 } });
  let id = 1;
  let cutAt = -1;
  for (let ms = 0; ms <= 5000 && cutAt < 0; ms += 10) {
    fast.now = ms;
    fast.send((w) => {
      w.headers(id, fast.block(GET), false, 16384);
      w.rstStream(id, ErrorCode.CANCEL);
    });
    id += 2;
    if (fast.conn.isClosed) cutAt = ms;
  }
  assert.ok(cutAt >= 1500 && cutAt <= 2500, `cut at ${cutAt} ms`);
  // 40 a second stays under the refill forever (here 20 s).
  const slow = server({ role: 'server', resetLimit: { burst: 100, perSecond: 50 } });
  id = 1;
  for (let ms = 0; ms <= 20000; ms += 25) {
    slow.now = ms;
    slow.send((w) => {
      w.headers(id, slow.block(GET), false, 16384);
      w.rstStream(id, ErrorCode.CANCEL);
    });
    id += 2;
  }
  assert.equal(slow.conn.isClosed, false);
});

test('data dribble (CVE-2019-9511): windows opened an octet at a time while we wait to send are glitches', () => {
  const p = server({ role: 'server', glitchLimit: { burst: 100 } });
  p.send((w) => w.settings([[4 /* INITIAL_WINDOW_SIZE */, 1]]));
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200']], false);
  assert.equal(p.conn.sendData(1, Buffer.alloc(5000), false), false);
  for (let i = 0; i < 100; i++) p.send((w) => w.windowUpdate(1, 1));
  assert.equal(p.conn.isClosed, false);
  p.send((w) => w.windowUpdate(1, 1));
  assert.equal(goawayCode(p), ErrorCode.ENHANCE_YOUR_CALM);
  // Honest large steps are not glitches.
  const q = server({ role: 'server', glitchLimit: { burst: 10 } });
  q.send((w) => w.settings([[4, 1]]));
  q.send((w) => w.headers(1, q.block(GET), true, 16384));
  q.conn.sendHeaders(1, [[':status', '200']], false);
  q.conn.sendData(1, Buffer.alloc(500000), false);
  // A reading client opens both windows as it reads: the DATA frames it gets pay for them.
  for (let i = 0; i < 50; i++) {
    q.send((w) => {
      w.windowUpdate(1, 8192);
      w.windowUpdate(0, 8192);
    });
  }
  assert.equal(q.conn.isClosed, false);
});

test('fuzz regression: a stream error that closes the last stream after the peer\'s GOAWAY ends input (nothing after closed)', () => {
  const p = server({ role: 'server' });
  p.send((w) => {
    w.headers(1, p.block(post()), false, 16384);
    w.goaway(0, ErrorCode.NO_ERROR);
    w.windowUpdate(1, 0);
    w.headers(3, p.block(GET), true, 16384);
  });
  assert.deepEqual(p.events.slice(-3).map((e) => e.type), ['streamReset', 'streamClosed', 'closed']);
  assert.equal(eventsOf(p.events, 'headers').length, 1);
});

test('an exception inside the core (a bug, not the peer) is GOAWAY INTERNAL_ERROR: a ConnectionError with a code, the original as its cause', () => {
  // A stand-in for a bug: the part every PING goes through throws. A non-protocol H2Error has no
  // wire code, so the core must pick INTERNAL_ERROR itself and keep the error's token.
  const original = FloodGuard.prototype.controlFrame;
  for (const thrown of [new UsageError('misused inside the core', 'some_usage'), new TypeError('x is undefined')]) {
    const p = server({ role: 'server' });
    FloodGuard.prototype.controlFrame = () => {
      throw thrown;
    };
    try {
      assert.doesNotThrow(() => p.send((w) => w.ping(Buffer.alloc(8), false)));
    } finally {
      FloodGuard.prototype.controlFrame = original;
    }
    const token = thrown instanceof UsageError ? 'some_usage' : 'internal_error';
    const goaway = ofType(p.frames(), FrameType.GOAWAY)[0]!;
    assert.equal(goaway.errorCode, ErrorCode.INTERNAL_ERROR);
    assert.equal(goaway.debugData.toString(), token);
    const { error } = eventsOf(p.events, 'connectionError')[0]!;
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.code, ErrorCode.INTERNAL_ERROR);
    assert.equal(error.token, token);
    assert.equal(error.cause, thrown);
    assert.equal(isProtocolError(error), true);
  }
});
