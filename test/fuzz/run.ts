/**
 * The long fuzz run:
 *
 *   npm run fuzz -- --runs 1000000                      # split evenly over every target
 *   npm run fuzz -- --runs 500000 --target hpack        # one target
 *   npm run fuzz -- --runs 1000000 --target http1Head,h2cUpgrade,firstBytes   # several, split evenly
 *   npm run fuzz -- --runs 1000 --seed 42 --target connectionFrames --path "12:3"   # replay a failure
 *
 * Targets: frameDecoder, hpack, connectionBytes, connectionFrames, connectionMutated, http1Head,
 * h2cUpgrade, firstBytes, liveServer (see targets.ts; liveServer talks to a server over loopback). Runs in
 * batches of 10,000 inputs with fresh seeds and prints progress, so a long run shows where it is and a
 * failure names the seed and path that replay it. Exit code 1 on the first failure.
 */
import fc from 'fast-check';
import { closeLiveServer, TARGETS, type TargetName } from './targets.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const total = Number(arg('runs') ?? process.env.FUZZ_RUNS ?? 100000);
const only = arg('target')?.split(',') as TargetName[] | undefined;
const fixedSeed = arg('seed') === undefined ? undefined : Number(arg('seed'));
const replayPath = arg('path');
for (const name of only ?? []) {
  if (name in TARGETS) continue;
  console.error(`unknown target ${name}; one of: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}
if (!Number.isInteger(total) || total <= 0) {
  console.error(`--runs must be a positive integer, got ${String(arg('runs'))}`);
  process.exit(2);
}

const names = only ?? (Object.keys(TARGETS) as TargetName[]);
const perTarget = Math.ceil(total / names.length);
const BATCH = 10000;
const started = Date.now();
let inputs = 0;
for (const name of names) {
  const t0 = Date.now();
  let done = 0;
  while (done < perTarget) {
    const n = Math.min(BATCH, perTarget - done);
    const seed = fixedSeed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
    const details = await fc.check(TARGETS[name], { numRuns: n, seed, path: replayPath, endOnFailure: true });
    if (details.failed) {
      console.error(`FAIL ${name} after ${done + details.numRuns} inputs (seed ${details.seed}, path ${details.counterexamplePath ?? '-'})`);
      console.error(fc.defaultReportMessage(details));
      process.exit(1);
    }
    done += n;
    inputs += n;
    if (done % 100000 === 0 || done === perTarget) {
      console.log(`${name}: ${done} inputs, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    if (fixedSeed !== undefined) break;
  }
}
await closeLiveServer();
console.log(`fuzz: ${inputs} inputs over ${names.join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s, no failure`);
