/**
 * The short fuzz run of `npm test`: every target (frame decoder, HPACK decoder, Connection on
 * bytes, Connection on random valid frames, HTTP/1.1 head, h2c upgrade, first bytes, live server)
 * with a random seed each time, a few thousand inputs in all (SHORT_RUNS for the live server). `FUZZ_RUNS=n` sets the inputs per target; the long run is `npm run fuzz -- --runs 1000000`
 * (see `run.ts`). A failure prints the seed and path to replay: `FUZZ_SEED=... FUZZ_PATH=...`.
 */
import { after, test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { assertTyped, closeLiveServer, SHORT_RUNS, TARGETS, type TargetName } from './targets.js';
import { ConnectionError, HpackDecodingError } from '../../src/errors.js';

const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const path = process.env.FUZZ_PATH;

after(() => closeLiveServer());

for (const [name, property] of Object.entries(TARGETS)) {
  const runs = Number(process.env.FUZZ_RUNS ?? SHORT_RUNS[name as TargetName] ?? 1500);
  test(`fuzz ${name}: ${runs} inputs, only typed errors, bounded work and output`, { timeout: 120000 }, async (t) => {
    const details = await fc.check(property, { numRuns: runs, seed, path, endOnFailure: true });
    t.diagnostic(`${name}: ${details.numRuns} inputs, seed ${details.seed}`);
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? `fuzz ${name} failed (seed ${details.seed})`);
  });
}

test('the fuzz oracle rejects untyped errors and accepts typed ones (so the targets can fail)', () => {
  assert.throws(() => assertTyped(new TypeError('x is undefined'), 'decoder'), /untyped error/);
  assert.throws(() => assertTyped('a string', 'decoder'), /untyped error/);
  assertTyped(new HpackDecodingError('bad index 99', 'hpack_bad_index'), 'decoder');
  assertTyped(new ConnectionError('bad frame', 1, 'frame_bad'), 'decoder');
});
