/**
 * Frame floods against a live HTTP2Server (h2c on loopback) while an honest node:http2 client
 * keeps being served: Rapid Reset (CVE-2023-44487), Ping (CVE-2019-9512), Settings (9515),
 * Empty frames (9518). Each is cut off with GOAWAY(ENHANCE_YOUR_CALM); the cheap ones are run
 * against the default limits, Rapid Reset also against a small configured one.
 */
import { test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import { assertCutOff, assertServerHealthy, runAttack } from './support.js';

test('Rapid Reset (CVE-2023-44487), resetLimit burst 100: streams opened and reset at once are cut off', async (t) => {
  const r = await runAttack(t, {
    server: { connection: { resetLimit: { burst: 100 } } },
    async attack(a) {
      let id = 1;
      await a.flood(200, (w) => {
        for (let k = 0; k < 10; k++, id += 2) {
          w.headers(id, a.requestBlock('/hold'), true, 16384);
          w.rstStream(id, ErrorCode.CANCEL);
        }
      });
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r);
});

test('Rapid Reset (CVE-2023-44487) against the default limit (burst 1000, then 33/s)', async (t) => {
  const r = await runAttack(t, {
    async attack(a) {
      let id = 1;
      await a.flood(300, (w) => {
        for (let k = 0; k < 10; k++, id += 2) {
          w.headers(id, a.requestBlock('/hold'), true, 16384);
          w.rstStream(id, ErrorCode.CANCEL);
        }
      });
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r);
});

test('Ping flood (CVE-2019-9512) against the default limit (burst 1000, then 50/s)', async (t) => {
  const payload = Buffer.alloc(8, 0x70);
  const r = await runAttack(t, {
    async attack(a) {
      await a.flood(400, (w) => {
        for (let k = 0; k < 10; k++) w.ping(payload, false);
      });
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r);
});

test('Ping flood (CVE-2019-9512) by a client that never reads the ACKs: cut off, output not hoarded', async (t) => {
  const payload = Buffer.alloc(8, 0x71);
  const r = await runAttack(t, {
    server: { connection: { controlFrameLimit: { burst: 200 } } },
    async attack(a) {
      a.socket.pause();
      await a.flood(100, (w) => {
        for (let k = 0; k < 10; k++) w.ping(payload, false);
      });
      a.socket.resume();
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r);
});

test('Settings flood (CVE-2019-9515) against the default limit (burst 1000, then 50/s)', async (t) => {
  const r = await runAttack(t, {
    async attack(a) {
      await a.flood(400, (w) => {
        for (let k = 0; k < 10; k++) w.settings([[4, 65535]]);
      });
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r);
});

test('Empty frames flood (CVE-2019-9518): empty DATA without END_STREAM, default glitch budget (burst 1000)', async (t) => {
  const r = await runAttack(t, {
    async attack(a) {
      a.writer.headers(1, a.requestBlock('/echo', 'POST'), false, 16384);
      await a.flood(400, (w) => {
        for (let k = 0; k < 10; k++) w.data(1, Buffer.alloc(0), false);
      });
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r);
});
