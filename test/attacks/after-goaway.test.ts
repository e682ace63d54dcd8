/**
 * After a flood GOAWAY (issue 12, item 9): the socket used to stay open 2 s while the server read
 * and discarded whatever came (2.7 GB in one run). Now the server stops reading at once and
 * closes about 50 ms after its GOAWAY has been handed to the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { assertCutOff, assertServerHealthy, runAttack } from './support.js';

test('a flooder that keeps writing after its GOAWAY is closed within ~100 ms, and the server reads almost nothing more', async (t) => {
  let writtenAtGoaway = -1;
  let writtenAtClose = -1;
  const junk = Buffer.alloc(8, 0x6a);
  const r = await runAttack(t, {
    server: { connection: { controlFrameLimit: { burst: 100 } } },
    async attack(a) {
      // PINGs past the limit, then unknown frames of 16 KiB as fast as the socket takes them,
      // whatever comes back: a flooder does not read GOAWAYs.
      const big = Buffer.alloc(16384, 0x6b);
      let i = 0;
      for (; i < 200000 && !a.closed; i++) {
        if (i < 200) a.writer.ping(junk, false);
        else a.writer.raw(0xfa, 0, 0, big);
        if (writtenAtGoaway < 0 && a.goawayCode !== null) writtenAtGoaway = a.socket.bytesWritten;
        await a.send();
        if ((i & 63) === 63) await new Promise((res) => setImmediate(res));
      }
      writtenAtClose = a.socket.bytesWritten;
    },
  });
  const lingerMs = r.attacker.closedAfter - r.attacker.goawayAfter;
  const afterMiB = (writtenAtClose - writtenAtGoaway) / (1024 * 1024);
  t.diagnostic(`closed ${lingerMs.toFixed(0)} ms after the GOAWAY came; ${afterMiB.toFixed(1)} MiB written after it`);
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM], 3000);
  assert.equal(r.attacker.goawayDebug, 'flood_control_frames');
  assert.ok(lingerMs < 500, `closed ${lingerMs.toFixed(0)} ms after the GOAWAY (< 500)`);
  // What the kernel's socket buffers hold, at most: the server reads nothing after the GOAWAY.
  assert.ok(afterMiB < 32, `${afterMiB.toFixed(1)} MiB written after the GOAWAY (< 32)`);
  assertServerHealthy(r);
});
