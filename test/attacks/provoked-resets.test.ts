/**
 * Attacks where the client makes the *server* do the work of resetting or refusing streams:
 * MadeYouReset (CVE-2025-8671), Reset flood (CVE-2019-9514), PRIORITY churn / resource loop
 * (CVE-2019-9513), and a client opening far more streams than SETTINGS_MAX_CONCURRENT_STREAMS.
 *
 * Each attack runs once (the first test of its pair) and is checked for the server's health;
 * the second test checks that the attacker was cut off: provoked resets count against
 * resetLimit (and malformed input against streamErrorLimit), PRIORITY on streams
 * that are not open counts as a glitch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import type { HTTP2Server } from '../../src/server/server.js';
import { assertCutOff, assertServerHealthy, bodyStats, handlerStats, literalBlock, runAttack, TestClient, type AttackResult } from './support.js';

const SMALL_RESET_LIMIT = { connection: { resetLimit: { burst: 100 } } };
const STREAMS = 2000;

// ---- MadeYouReset ------------------------------------------------------------------------------

let madeYouReset: AttackResult | null = null;

test('MadeYouReset (CVE-2025-8671): WINDOW_UPDATE overflow, DATA on half-closed, zero increments make the server reset streams; the server stays healthy', async (t) => {
  madeYouReset = await runAttack(t, {
    server: SMALL_RESET_LIMIT,
    cutOffWithin: 1500,
    async attack(a) {
      let id = 1;
      await a.flood(STREAMS / 3, (w) => {
        // A handler is started for each (the request is complete), then the server must reset it.
        w.headers(id, a.requestBlock('/hold'), true, 16384);
        w.windowUpdate(id, 0x7fffffff); // stream window over 2^31-1: FLOW_CONTROL_ERROR
        id += 2;
        w.headers(id, a.requestBlock('/hold'), true, 16384);
        w.data(id, Buffer.from('x'), false); // DATA on half-closed (remote): STREAM_CLOSED
        id += 2;
        w.headers(id, a.requestBlock('/hold'), true, 16384);
        w.windowUpdate(id, 0); // zero increment on a stream: PROTOCOL_ERROR
        id += 2;
      });
    },
  });
  assertServerHealthy(madeYouReset);
  assert.ok(madeYouReset.attacker.resetCount() > 0, 'the server reset the provoked streams');
});

test('MadeYouReset (CVE-2025-8671): the attacker is cut off (ENHANCE_YOUR_CALM)', () => {
  assert.ok(madeYouReset);
  assertCutOff(madeYouReset, [ErrorCode.ENHANCE_YOUR_CALM]);
});

// ---- Reset flood (CVE-2019-9514) -------------------------------------------------------------------

let resetFlood: AttackResult | null = null;
let resetFloodServer: HTTP2Server | null = null;

test('Reset flood (CVE-2019-9514): malformed requests make the server send RST_STREAM, the client does not read; the server stays healthy', async (t) => {
  // Connection-specific and uppercase fields: malformed requests (RFC 9113 section 8.2.2), a stream error each.
  const malformed = literalBlock([...TestClient.requestHeaders({ path: '/hold' }), ['connection', 'keep-alive']]);
  const uppercase = literalBlock([...TestClient.requestHeaders({ path: '/hold' }), ['X-Upper', 'a']]);
  resetFlood = await runAttack(t, {
    server: SMALL_RESET_LIMIT,
    cutOffWithin: 1500,
    async attack(a, server) {
      resetFloodServer = server;
      a.socket.pause();
      let id = 1;
      await a.flood(STREAMS / 2, (w) => {
        w.headers(id, malformed, true, 16384);
        id += 2;
        w.headers(id, uppercase, true, 16384);
        id += 2;
      });
      a.socket.resume();
    },
  });
  assertServerHealthy(resetFlood);
});

test('Reset flood (CVE-2019-9514): the attacker is cut off (ENHANCE_YOUR_CALM)', () => {
  assert.ok(resetFlood && resetFloodServer);
  // A flooder that reads nothing while it floods may never see its GOAWAY: once cut off, the
  // server stops reading it, and closing with its flood unread resets the TCP connection.
  assertCutOff(resetFlood, null);
  if (resetFlood.attacker.goawayCode !== null) assert.equal(resetFlood.attacker.goawayCode, ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(resetFloodServer.stats.connectionErrors.flood_stream_errors, 1, 'the server ended it for flood_stream_errors');
});

// ---- Resource loop (CVE-2019-9513) -------------------------------------------------------------

let priorityChurn: AttackResult | null = null;

test('Resource loop (CVE-2019-9513): PRIORITY churn over thousands of streams; no priority state, bounded memory, healthy server', async (t) => {
  priorityChurn = await runAttack(t, {
    cutOffWithin: 1500,
    async attack(a) {
      // Open a few streams, then reshuffle a dependency tree of 5000 (mostly idle) streams, exclusively.
      for (let id = 1; id <= 19; id += 2) a.writer.headers(id, a.requestBlock('/hold'), true, 16384);
      await a.flood(200, (w, round) => {
        for (let k = 0; k < 100; k++) {
          const id = 21 + 2 * ((round * 100 + k) % 5000);
          const dependency = 1 + 2 * ((round * 37 + k * 13) % 5000);
          if (dependency !== id) w.priority(id, { dependency, weight: (k * 7) & 0xff, exclusive: (k & 1) === 1 });
        }
      });
    },
  });
  assertServerHealthy(priorityChurn, 32);
});

test('Resource loop (CVE-2019-9513): the PRIORITY flood is cut off (ENHANCE_YOUR_CALM)', () => {
  assert.ok(priorityChurn);
  assertCutOff(priorityChurn, [ErrorCode.ENHANCE_YOUR_CALM]);
});

// ---- Too many concurrent streams ----------------------------------------------------------------------

let tooMany: AttackResult | null = null;
let peakLive = 0;

test('Too many concurrent streams: beyond SETTINGS_MAX_CONCURRENT_STREAMS (default 100) streams are refused; never more than 100 handlers', async (t) => {
  tooMany = await runAttack(t, {
    cutOffWithin: 1500,
    async attack(a) {
      let id = 1;
      // 300 held streams at once, then keep opening new ones past the limit.
      await a.flood(STREAMS / 10, (w) => {
        peakLive = Math.max(peakLive, handlerStats.live);
        for (let k = 0; k < 10; k++, id += 2) w.headers(id, a.requestBlock('/hold'), true, 16384);
      });
    },
  });
  t.diagnostic(`peak live handlers ${peakLive}, REFUSED_STREAM ${tooMany.attacker.resets.get(ErrorCode.REFUSED_STREAM) ?? 0}`);
  assertServerHealthy(tooMany);
  // The honest client has at most one stream; the attacker's streams never exceed the advertised limit.
  assert.ok(peakLive <= 101, `at most 100 attacker streams held at once (peak ${peakLive})`);
  assert.ok(peakLive >= 50, `the attacker did get streams up to the limit (peak ${peakLive})`);
  const refused = tooMany.attacker.resets.get(ErrorCode.REFUSED_STREAM) ?? 0;
  assert.ok(refused > 0 || tooMany.attacker.goawayCode !== null, 'streams over the limit were refused (or the attacker was cut off)');
  assert.ok(tooMany.attacker.count(FrameType.SETTINGS) > 0);
});

test('Too many concurrent streams: a client that keeps opening refused streams is cut off', () => {
  assert.ok(tooMany);
  assertCutOff(tooMany, [ErrorCode.ENHANCE_YOUR_CALM, ErrorCode.PROTOCOL_ERROR]);
});

// ---- Reset before the body: work for a stream that is already gone -----------------------------------

let resetBeforeBody: AttackResult | null = null;
let generated = 0;
let pulls = 0;

test('Reset before the body: HEADERS + RST_STREAM in one packet for generated 20 KB bodies; server healthy', async (t) => {
  const before = { ...bodyStats };
  resetBeforeBody = await runAttack(t, {
    cutOffWithin: 500,
    async attack(a) {
      let id = 1;
      await a.flood(5, (w) => {
        for (let k = 0; k < 10; k++, id += 2) {
          w.headers(id, a.requestBlock('/stream?n=20000'), true, 16384);
          w.rstStream(id, ErrorCode.CANCEL);
        }
      });
    },
  });
  generated = bodyStats.generated - before.generated;
  pulls = bodyStats.pulls - before.pulls;
  t.diagnostic(`50 streams reset before their response: the body generators were called ${pulls} times for ${generated} octets`);
  assertServerHealthy(resetBeforeBody);
});

test('Reset before the body: the server does not pull the bodies of streams already reset', () => {
  assert.ok(pulls <= 50 * 2, `at most a pull or two per reset stream (got ${pulls} calls for ${generated} octets)`);
});
