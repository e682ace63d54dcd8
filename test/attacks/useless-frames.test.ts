/**
 * Frames that cost the server work and do none (issue 12, items 4 and 6): RST_STREAM on a closed
 * stream, WINDOW_UPDATE on stream 0, unknown frame types, PRIORITY on an open stream, and SETTINGS
 * frames of thousands of entries (CVE-2020-11080 class). Each used to be read forever (eight
 * connections of RST_STREAM on closed streams slowed an honest client to ~340 ms); now they spend
 * the connection's glitch budget (refilled by real requests and DATA frames) and end in
 * GOAWAY(ENHANCE_YOUR_CALM) with the budget's token.
 *
 * And the other side of it: a client doing real work (big downloads, so many WINDOW_UPDATEs) is
 * never cut.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { ErrorCode } from '../../src/errors.js';
import type { FrameWriter } from '../../src/frame/index.js';
import { Attacker, assertCutOff, assertServerHealthy, quantile, runAttack } from './support.js';
import { waitFor } from '../helpers/wait.js';

/** Connects `n` more attackers, each with stream 1 opened and answered (so it is closed, not idle). */
async function attackersWithClosedStream(port: number, n: number): Promise<Attacker[]> {
  const out: Attacker[] = [];
  for (let i = 0; i < n; i++) {
    const a = await Attacker.connect(port);
    a.start();
    a.writer.headers(1, a.requestBlock('/'), true, 16384);
    await a.send();
    out.push(a);
  }
  for (const a of out) await waitFor(() => a.finished.has(1), 'stream 1 to be answered');
  return out;
}

/** Floods with every attacker at once until each is closed (or `rounds` run out); returns each one's cut-off time, ms. */
async function floodAll(attackers: Attacker[], rounds: number, build: (w: FrameWriter) => void): Promise<number[]> {
  await Promise.all(attackers.map((a) => a.flood(rounds, build)));
  return Promise.all(
    attackers.map(async (a) => {
      await a.waitClosed(3000);
      return a.closed ? a.closedAfter : Infinity;
    }),
  );
}

test('RST_STREAM on a closed stream from 8 connections: each is cut (flood_glitches); the honest client stays fast', async (t) => {
  let cutOffs: number[] = [];
  let attackers: Attacker[] = [];
  const r = await runAttack(t, {
    minHonestMs: 300,
    async attack(a, server) {
      attackers = [a, ...(await attackersWithClosedStream(server.port, 7))];
      a.writer.headers(1, a.requestBlock('/'), true, 16384);
      await a.send();
      await waitFor(() => a.finished.has(1), 'stream 1 to be answered');
      cutOffs = await floodAll(attackers, 2000, (w) => {
        for (let k = 0; k < 100; k++) w.rstStream(1, ErrorCode.CANCEL);
      });
    },
  });
  t.diagnostic(`cut-offs (ms): ${cutOffs.map((ms) => ms.toFixed(0)).join(', ')}; honest p50 ${quantile(r.honest.latencies, 0.5).toFixed(2)} ms`);
  for (const a of attackers) {
    assert.ok(a.closed, 'every flooding connection was closed');
    assert.equal(a.goawayCode, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(a.goawayDebug, 'flood_glitches');
  }
  assert.ok(Math.max(...cutOffs) < 2000, `all cut within 2 s (slowest ${Math.max(...cutOffs).toFixed(0)} ms)`);
  assert.ok(quantile(r.honest.latencies, 0.5) < 50, 'honest p50 under 50 ms');
  assertServerHealthy(r);
});

const FLOODS: Array<[string, (w: FrameWriter) => void]> = [
  ['WINDOW_UPDATE on stream 0', (w) => w.windowUpdate(0, 1)],
  ['unknown frame types', (w) => w.raw(0xfa, 0, 0, Buffer.alloc(8))],
  ['PRIORITY on an open stream', (w) => w.priority(1, { dependency: 0, weight: 16, exclusive: false })],
];

for (const [name, frame] of FLOODS) {
  test(`${name} flood: cut off (flood_glitches), the server stays healthy`, async (t) => {
    const r = await runAttack(t, {
      async attack(a) {
        // Stream 1 stays open (a request with no end), so PRIORITY on it is on an open stream.
        a.writer.headers(1, a.requestBlock('/hold', 'POST'), false, 16384);
        await a.flood(2000, (w) => {
          for (let k = 0; k < 100; k++) frame(w);
        });
      },
    });
    assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM], 2000);
    assert.equal(r.attacker.goawayDebug, 'flood_glitches');
    assertServerHealthy(r);
  });
}

test('SETTINGS frames of 2730 entries (CVE-2020-11080 class): the first one is ENHANCE_YOUR_CALM (settings_too_many_entries)', async (t) => {
  const entries = Array.from({ length: 2730 }, (_, i) => [0x3, 100 + i] as [number, number]);
  const r = await runAttack(t, {
    async attack(a) {
      await a.flood(200, (w) => w.settings(entries));
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM], 1000);
  assert.equal(r.attacker.goawayDebug, 'settings_too_many_entries');
  assertServerHealthy(r);
});

test('real work is never cut: 40 downloads of 1 MiB (a WINDOW_UPDATE for every few DATA frames) and 200 small requests on one connection', async (t) => {
  const r = await runAttack(t, {
    async attack(a, server) {
      const session = http2.connect(`http://127.0.0.1:${server.port}`);
      let goaway: number | null = null;
      session.on('goaway', (code) => (goaway = code));
      session.on('error', () => {});
      const get = (path: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = session.request({ ':path': path });
          let n = 0;
          req.on('data', (c: Buffer) => (n += c.length));
          req.on('end', () => resolve(n));
          req.on('error', reject);
        });
      for (let i = 0; i < 40; i++) assert.equal(await get('/big?n=1048576'), 1048576);
      for (let i = 0; i < 200; i++) assert.equal(await get('/'), 2);
      assert.equal(goaway, null, 'no GOAWAY');
      await new Promise<void>((resolve) => session.close(() => resolve()));
      a.close();
    },
  });
  t.diagnostic(`honest alongside: ${r.honest.ok} ok`);
  assertServerHealthy(r);
});
