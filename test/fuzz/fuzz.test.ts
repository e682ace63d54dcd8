/**
 * The short fuzz run of `npm test`: every target (frame decoder, HPACK decoder, Connection on
 * bytes, Connection on random valid frames) with a random seed each time, a few thousand inputs in
 * all. `FUZZ_RUNS=n` sets the inputs per target; the long run is `npm run fuzz -- --runs 1000000`
 * (see `run.ts`). A failure prints the seed and path to replay: `FUZZ_SEED=... FUZZ_PATH=...`.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { assertTyped, TARGETS } from './targets.js';
import { ConnectionError, HpackDecodingError } from '../../src/errors.js';

const runs = Number(process.env.FUZZ_RUNS ?? 1500);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const path = process.env.FUZZ_PATH;

for (const [name, property] of Object.entries(TARGETS)) {
  test(`fuzz ${name}: ${runs} inputs, only typed errors, bounded work and output`, { timeout: 120000 }, (t) => {
    const details = fc.check(property, { numRuns: runs, seed, path, endOnFailure: true });
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
