/**
 * Requests that never end and readers that barely read (issue 12, item 7): the idle timeout only
 * sees connections without streams, so a stream kept alive by a client that sends HEADERS and
 * nothing more, by a handler stuck in onData, or by a reader opening a few octets of window a
 * second on 100 streams held its handler and buffers forever. The request deadline and the
 * minimum data rates (Kestrel's MinRequestBodyDataRate and MinResponseDataRate) end them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { assertServerHealthy, runAttack, sleep } from './support.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { bytesPerSecond: 240, graceMs: 300 };

test('HEADERS without END_STREAM and then silence on 20 streams: each gets 408 and RST_STREAM NO_ERROR (minRequestDataRate)', async (t) => {
  let timedOutAt = -1;
  let slowRequests = 0;
  const r = await runAttack(t, {
    server: { minRequestDataRate: FAST, idleTimeout: 1000 },
    cutOffWithin: 4000,
    async attack(a, server) {
      for (let k = 0, id = 1; k < 20; k++, id += 2) a.writer.headers(id, a.requestBlock('/hold', 'POST'), false, 16384);
      await a.send();
      await waitFor(() => (a.resets.get(ErrorCode.NO_ERROR) ?? 0) >= 20, { what: 'RST_STREAM NO_ERROR on all 20 streams', timeout: 4000 });
      timedOutAt = performance.now() - a.startedAt;
      slowRequests = server.stats.slowRequests;
    },
  });
  t.diagnostic(`all 20 streams answered 408 after ${timedOutAt.toFixed(0)} ms; connection closed (idle) after ${r.cutOffMs.toFixed(0)} ms`);
  assert.equal(r.attacker.resets.get(ErrorCode.NO_ERROR), 20, 'every stream was told to stop sending');
  assert.ok(r.attacker.count(FrameType.HEADERS) >= 20, 'with a 408 response first');
  assert.equal(slowRequests, 20);
  assert.ok(timedOutAt < 2000, `within 2 s (${timedOutAt.toFixed(0)} ms)`);
  assert.ok(r.cutOff, 'then the idle connection was closed');
  assertServerHealthy(r);
});

test('a handler stuck in onData: the stream ends at requestTimeout (408), the handler gets onClose', async (t) => {
  let requestTimeouts = 0;
  const r = await runAttack(t, {
    server: { requestTimeout: 400, idleTimeout: 1000 },
    cutOffWithin: 4000,
    async attack(a, server) {
      for (let k = 0, id = 1; k < 5; k++, id += 2) {
        a.writer.headers(id, a.requestBlock('/stuck', 'POST'), false, 16384);
        a.writer.data(id, Buffer.alloc(1000, 0x64), false);
      }
      await a.send();
      await waitFor(() => a.resetCount() >= 5, { what: 'the 5 stuck streams to be reset', timeout: 4000 });
      requestTimeouts = server.stats.requestTimeouts;
    },
  });
  assert.equal(r.attacker.resets.get(ErrorCode.NO_ERROR), 5);
  assert.equal(requestTimeouts, 5);
  assertServerHealthy(r);
});

test('a reader opening 2 KB/s of window over 100 streams: each stream is reset (minResponseDataRate)', async (t) => {
  let slowResponses = 0;
  let allResetAt = -1;
  const r = await runAttack(t, {
    // The glitch budget would cut this dribbler too; made large, so that the floor is what is tested.
    server: { minResponseDataRate: { bytesPerSecond: 240, graceMs: 500 }, idleTimeout: 1000, connection: { glitchLimit: { burst: 1e9 } } },
    settings: [[0x4, 0]], // INITIAL_WINDOW_SIZE 0: nothing flows until we open windows
    cutOffWithin: 5000,
    async attack(a, server) {
      for (let k = 0, id = 1; k < 100; k++, id += 2) a.writer.headers(id, a.requestBlock('/stream?n=1000000'), true, 16384);
      await a.send();
      // 5 octets per stream every 250 ms: 20 B/s each, 2 KB/s in all.
      for (let tick = 0; tick < 40 && a.resetCount() < 100; tick++) {
        for (let k = 0, id = 1; k < 100; k++, id += 2) if (!a.finished.has(id)) a.writer.windowUpdate(id, 5);
        a.writer.windowUpdate(0, 500);
        await a.send();
        await sleep(250);
      }
      allResetAt = performance.now() - a.startedAt;
      slowResponses = server.stats.slowResponses;
    },
  });
  t.diagnostic(`${r.attacker.resets.get(ErrorCode.CANCEL) ?? 0} streams reset CANCEL after ${allResetAt.toFixed(0)} ms, ${r.attacker.dataBytes} octets read`);
  assert.equal(r.attacker.resets.get(ErrorCode.CANCEL), 100, 'every slow stream was reset');
  assert.equal(slowResponses, 100);
  assert.ok(allResetAt < 4000, `within 4 s (${allResetAt.toFixed(0)} ms)`);
  assertServerHealthy(r);
});
