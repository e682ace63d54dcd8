/**
 * Resets the server makes itself (issue 12, item 3) and Rapid Reset within its budget (item 8).
 *
 * - A handler that fails on a request the client can repeat at will: each failure resets the
 *   stream (INTERNAL_ERROR) and logs a line. The resets now count against the reset limit, like
 *   the ones the client sends or provokes (MadeYouReset class), and the log line is rate-limited.
 * - SETTINGS_MAX_HEADER_LIST_SIZE = 1 from the client used to make every response fail (one more
 *   self-made reset a request). The setting is advisory: the server answers anyway.
 * - Rapid Reset below the burst but above the refill rate: a token bucket cuts it off in
 *   burst / (rate - refill) seconds, where the old fixed window let 100 a second run forever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { assertCutOff, assertServerHealthy, quantile, runAttack, sleep } from './support.js';
import { waitFor } from '../helpers/wait.js';

test('a handler failing on every request: the self-made resets are counted (flood_resets), the log line is rate-limited', async (t) => {
  let suppressed = 0;
  const r = await runAttack(t, {
    async attack(a, server) {
      let id = 1;
      await a.flood(400, (w) => {
        for (let k = 0; k < 10; k++, id += 2) w.headers(id, a.requestBlock('/throw'), true, 16384);
      });
      await a.waitClosed(3000);
      suppressed = server.stats.logLinesSuppressed;
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM], 3000);
  assert.equal(r.attacker.goawayDebug, 'flood_resets');
  assert.ok((r.attacker.resets.get(ErrorCode.INTERNAL_ERROR) ?? 0) >= 900, 'the handler failures were reset (INTERNAL_ERROR)');
  const failures = r.log.filter((l) => l.includes('onHeaders failed'));
  t.diagnostic(`${failures.length} log lines about handler failures, ${suppressed} suppressed`);
  assert.ok(failures.length <= 20, `at most a few lines a second are logged (${failures.length})`);
  assert.ok(suppressed >= 900, 'the rest were counted as suppressed');
  assertServerHealthy(r);
});

test('SETTINGS_MAX_HEADER_LIST_SIZE = 1 from the client is advisory: every request is still answered, nothing is reset or logged', async (t) => {
  const r = await runAttack(t, {
    settings: [[0x6, 1]],
    async attack(a) {
      let id = 1;
      for (let round = 0; round < 20; round++) {
        for (let k = 0; k < 10; k++, id += 2) a.writer.headers(id, a.requestBlock('/'), true, 16384);
        await a.send();
        // Under the server's 100 concurrent streams: wait for this round's answers.
        await waitFor(() => a.finished.size >= (round + 1) * 10, `round ${round}'s answers`);
      }
      a.close();
    },
  });
  assert.equal(r.attacker.finished.size, 200, 'all 200 streams ended');
  assert.equal(r.attacker.count(FrameType.RST_STREAM), 0, 'none was reset');
  assert.ok(r.attacker.count(FrameType.HEADERS) >= 200, 'every request got its response headers');
  assert.deepEqual(r.log, []);
  assertServerHealthy(r);
});

test('Rapid Reset within the burst but above the refill (100 a second, bucket 200 + 33/s): cut off in about 3 s, honest latency unharmed', async (t) => {
  const r = await runAttack(t, {
    server: { connection: { resetLimit: { burst: 200, perSecond: 33 } } },
    cutOffWithin: 8000,
    async attack(a) {
      let id = 1;
      // 10 streams opened and reset every 100 ms until the server cuts us off (at most 10 s).
      for (let i = 0; i < 100 && !a.closed; i++) {
        for (let k = 0; k < 10; k++, id += 2) {
          a.writer.headers(id, a.requestBlock('/'), true, 16384);
          a.writer.rstStream(id, ErrorCode.CANCEL);
        }
        await a.send();
        await sleep(100);
      }
    },
  });
  t.diagnostic(`cut off after ${r.cutOffMs.toFixed(0)} ms; honest p50 ${quantile(r.honest.latencies, 0.5).toFixed(2)} ms, p99 ${quantile(r.honest.latencies, 0.99).toFixed(2)} ms`);
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM], 6000);
  assert.equal(r.attacker.goawayDebug, 'flood_resets');
  // 200 / (100 - 33) = 3 s; the machine is noisy, so a wide band.
  assert.ok(r.cutOffMs >= 1500, `not before the burst is spent (${r.cutOffMs.toFixed(0)} ms)`);
  assert.ok(quantile(r.honest.latencies, 0.5) < 20, 'honest p50 under 20 ms');
  assertServerHealthy(r);
});

test('resets below the refill rate (20 a second for 3 s) are never cut', async (t) => {
  const r = await runAttack(t, {
    server: { connection: { resetLimit: { burst: 50, perSecond: 33 } } },
    async attack(a) {
      let id = 1;
      for (let i = 0; i < 30; i++) {
        for (let k = 0; k < 2; k++, id += 2) {
          a.writer.headers(id, a.requestBlock('/'), true, 16384);
          a.writer.rstStream(id, ErrorCode.CANCEL);
        }
        await a.send();
        await sleep(100);
      }
      // A PING round trip after the last resets: a GOAWAY for them would come before the ACK.
      await a.roundTrip();
      assert.equal(a.closed, false, 'still connected');
      assert.equal(a.goawayCode, null);
      a.close();
    },
  });
  assertServerHealthy(r);
});
