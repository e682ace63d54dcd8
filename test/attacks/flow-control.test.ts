/**
 * Attacks through flow control and the TCP window, against a live HTTP2Server: Data dribble
 * (CVE-2019-9511: tiny windows make the server send tiny frames), Internal data buffering
 * (CVE-2019-9517: large responses the client does not read), and zero-window hoarding (streams
 * held open on a window the client never opens). The server's idle cut-off is made short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { DEFAULT_SHUTDOWN_PING_TIMEOUT } from '../../src/connection/index.js';
import { FrameType } from '../../src/frame/index.js';
import { assertCutOff, assertServerHealthy, runAttack, sleep, type AttackResult } from './support.js';
import { waitFor } from '../helpers/wait.js';

const SETTINGS_INITIAL_WINDOW_SIZE = 4;
const MAX_WINDOW = 0x7fffffff;
const IDLE_MS = 400;
const STALL_MS = 300;

let dribble: AttackResult | null = null;

test('Data dribble (CVE-2019-9511): 1-octet windows opened one octet at a time; memory bounded, server healthy', async (t) => {
  dribble = await runAttack(t, {
    settings: [[SETTINGS_INITIAL_WINDOW_SIZE, 1]],
    cutOffWithin: 1000,
    async attack(a) {
      a.writer.windowUpdate(0, MAX_WINDOW - 65535);
      const ids: number[] = [];
      for (let id = 1; id <= 39; id += 2) {
        ids.push(id);
        a.writer.headers(id, a.requestBlock('/stream?n=1000000'), true, 16384);
      }
      await a.flood(500, (w) => {
        for (const id of ids) w.windowUpdate(id, 1);
      });
    },
  });
  t.diagnostic(`DATA frames received ${dribble.attacker.count(FrameType.DATA)} for ${dribble.attacker.dataBytes} octets`);
  assertServerHealthy(dribble, 32);
  // Never more than the window allows: the server does not buffer ahead of it either.
  assert.ok(dribble.attacker.dataBytes <= 20 * 501, `data sent stays within the windows opened (${dribble.attacker.dataBytes})`);
});

test('Data dribble (CVE-2019-9511): a client opening windows one octet at a time is cut off (tiny updates are glitches)', () => {
  assert.ok(dribble);
  assertCutOff(dribble, [ErrorCode.ENHANCE_YOUR_CALM]);
});

test('Internal data buffering (CVE-2019-9517): 20 x 8 MB responses with windows wide open, the client never reads its socket', { timeout: 120_000 }, async (t) => {
  const r = await runAttack(t, {
    server: { idleTimeout: IDLE_MS },
    settings: [[SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW]],
    cutOffWithin: 5000,
    async attack(a, server) {
      a.writer.windowUpdate(0, MAX_WINDOW - 65535);
      for (let id = 1; id <= 39; id += 2) a.writer.headers(id, a.requestBlock('/stream?n=8000000'), true, 16384);
      await a.send();
      a.socket.pause(); // stop reading: the kernel buffers fill, then the server's socket buffer
      // A paused socket does not see the close: watch the server drop the session (the honest one stays), then read.
      await waitFor(() => server.sessionCount >= 2, 'both sessions at the server');
      await waitFor(() => server.sessionCount <= 1, { what: 'the server to drop the non-reading session', timeout: IDLE_MS * 4 + 2000 });
      a.socket.resume();
    },
  });
  // 160 MB were asked for; only the socket buffers' worth may sit in the server.
  assertCutOff(r, null, IDLE_MS * 4 + 2000);
  assertServerHealthy(r, 48);
});

test('Zero-window hoarding: 20 responses on SETTINGS_INITIAL_WINDOW_SIZE 0, never opened: cut off after the idle timeout', async (t) => {
  const r = await runAttack(t, {
    server: { idleTimeout: IDLE_MS },
    settings: [[SETTINGS_INITIAL_WINDOW_SIZE, 0]],
    async attack(a) {
      for (let id = 1; id <= 39; id += 2) a.writer.headers(id, a.requestBlock('/stream?n=1000000'), true, 16384);
      await a.send();
    },
  });
  assertCutOff(r, null, IDLE_MS * 4 + 2000);
  assertServerHealthy(r, 32);
  assert.equal(r.attacker.dataBytes, 0, 'no DATA without a window');
});

let hoardingWithPings: AttackResult | null = null;

test('Zero-window hoarding kept "active" with a PING every 100 ms: the stalled streams are reset after maxSendStallMs', async (t) => {
  hoardingWithPings = await runAttack(t, {
    server: { idleTimeout: IDLE_MS, connection: { maxSendStallMs: STALL_MS } },
    settings: [[SETTINGS_INITIAL_WINDOW_SIZE, 0]],
    cutOffWithin: 100,
    async attack(a) {
      for (let id = 1; id <= 39; id += 2) a.writer.headers(id, a.requestBlock('/stream?n=1000000'), true, 16384);
      await a.send();
      for (let i = 0; i < 20 && !a.closed; i++) {
        a.writer.ping(Buffer.alloc(8, i), false);
        await a.send();
        await sleep(100);
      }
    },
  });
  const cancelled = hoardingWithPings.attacker.resets.get(ErrorCode.CANCEL) ?? 0;
  t.diagnostic(`streams reset CANCEL by the server: ${cancelled} of 20`);
  assertServerHealthy(hoardingWithPings, 32);
  assert.ok(cancelled === 20 || hoardingWithPings.cutOff, `every hoarded stream was released (${cancelled} reset)`);
});

test('Zero-window hoarding kept "active" with PINGs: the connection itself is cut off within a few idle timeouts', () => {
  assert.ok(hoardingWithPings);
  // The attacker does not answer PINGs: the graceful shutdown waits DEFAULT_SHUTDOWN_PING_TIMEOUT for its own.
  assertCutOff(hoardingWithPings, null, IDLE_MS * 4 + DEFAULT_SHUTDOWN_PING_TIMEOUT);
});
