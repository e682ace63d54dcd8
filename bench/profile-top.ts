/**
 * Reads a V8 `.cpuprofile` (from `npm run bench -- http2 --profile ROW`, or `node --cpu-prof`)
 * and prints where the samples landed: the top functions by self time, and self time summed per
 * source file, each as a share of the busy samples (all but `(idle)`: a server waiting on its
 * socket is not a cost, and how long it waits depends on how loaded the machine is).
 *
 *   node dist/bench/profile-top.js bench/results/h2kit-compat-plain.cpuprofile [--top N] [--filter TEXT]
 *
 * `--filter` keeps the functions whose file contains TEXT (e.g. `src/server/compat/`) in the first
 * table; shares stay shares of the whole profile.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives, shortened to the repository-relative path when it is ours. */
function shortUrl(url: string): string {
  const i = url.lastIndexOf('/dist/');
  if (i >= 0) return url.slice(i + '/dist/'.length);
  const m = url.lastIndexOf('/node_modules/');
  if (m >= 0) return url.slice(m + 1);
  return url.replace(/^file:\/\//, '');
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { top: { type: 'string' }, filter: { type: 'string' } } });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: profile-top FILE.cpuprofile [--top N] [--filter TEXT]');
  const top = Number(values.top ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  // Self time per node: each sample's time delta goes to the node it landed in.
  const selfUs = new Map<number, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i]!;
    if (byId.get(id)?.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  }
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url === '' ? '' : `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where === '' ? '' : `  ${where}`}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const fileKey = frame.url === '' ? frame.functionName : shortUrl(frame.url);
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const filter = values.filter;
  const functions = [...byFunction].filter(([k]) => filter === undefined || k.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top);
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s busy (shares below), ${(idle / 1e6).toFixed(2)} s idle\n\nself time by function${filter === undefined ? '' : ` (files containing ${filter})`}:\n`);
  for (const [k, us] of functions) process.stdout.write(`  ${pct(us)}  ${k}\n`);
  process.stdout.write('\nself time by file:\n');
  for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(us)}  ${k}\n`);
}

// Piped into `head`, the reader goes away early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
main(process.argv.slice(2));
