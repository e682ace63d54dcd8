#!/usr/bin/env node
// Runs the compiled tests (dist/<dir>/**/*.test.js) with Node's own test runner.
// We list the files ourselves rather than handing `node --test` a directory or a glob:
// Node 20 treats every .js under a `test/` folder as a test file (helpers included) and
// does not expand globs, while later Node versions do the opposite. A list works on all.
//   node scripts/run-tests.mjs test              -> every test under dist/test
//   node scripts/run-tests.mjs test/hpack        -> one folder
//   node scripts/run-tests.mjs test --exclude test/interop
// Output: scripts/quiet-reporter.mjs (a line per file, failures in full, one summary line).
// Everything, as node's TAP: --verbose, or TEST_REPORTER=tap (or spec, dot, a reporter module);
// a --test-reporter=... of your own is passed through as is.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const roots = [];
const excludes = [];
const passthrough = [];
let verbose = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--exclude') excludes.push(join(root, 'dist', args[++i]));
  else if (args[i] === '--verbose') verbose = true;
  else if (args[i].startsWith('--')) passthrough.push(args[i]);
  else roots.push(join(root, 'dist', args[i]));
}
if (roots.length === 0) roots.push(join(root, 'dist', 'test'));

function collect(path, out) {
  if (excludes.some((e) => path === e || path.startsWith(e + '/'))) return;
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (path.endsWith('.test.js')) {
    out.push(path);
  }
}
const files = [];
for (const r of roots) collect(r, files);
if (files.length === 0) {
  console.error(`run-tests: no *.test.js under ${roots.map((r) => relative(root, r)).join(', ')} (did the build run?)`);
  process.exit(1);
}
const reporter = process.env.TEST_REPORTER || (verbose ? 'tap' : join(root, 'scripts', 'quiet-reporter.mjs'));
const reporting = passthrough.some((a) => a.startsWith('--test-reporter')) ? [] : [`--test-reporter=${reporter}`, '--test-reporter-destination=stdout'];
const result = spawnSync(process.execPath, ['--test', ...reporting, ...passthrough, ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
