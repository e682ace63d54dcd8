/**
 * Names for the JIT code in a callgrind dump. Callgrind sees V8's compiled JavaScript as bare
 * addresses (`???:0x0000000012345678`); a node started with `--perf-basic-prof` writes, as it
 * compiles, `/tmp/perf-PID.map`, one `START SIZE NAME` line per code object (`JS:*scan
 * file:///.../http1-request.js:67:9`). Joining the two gives the instructions spent in each
 * JavaScript function (its own, with what V8 inlined into it), next to the builtins and C++
 * functions callgrind names itself: where a server's instructions per request go, function by
 * function, without the load-dependence of a sampling profiler.
 *
 * Code objects can be freed and their addresses reused by later code; an address is given the
 * name of the last code object written to the map that covers it (the map is in creation order).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface CodeRange {
  start: number;
  end: number;
  name: string;
}

function readPerfMap(file: string): CodeRange[] {
  const ranges: CodeRange[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    if (first < 0 || second < 0) continue;
    const start = parseInt(line.slice(0, first), 16);
    ranges.push({ start, end: start + parseInt(line.slice(first + 1, second), 16), name: line.slice(second + 1) });
  }
  return ranges;
}

/** The name of the code at `address`: the last range in map order that covers it. */
function nameAt(ranges: CodeRange[], address: number): string | undefined {
  for (let i = ranges.length - 1; i >= 0; i--) {
    const r = ranges[i]!;
    if (r.start <= address && address < r.end) return r.name;
  }
  return undefined;
}

/** Self instructions per function of `dump` (callgrind_annotate's list), JIT addresses named through `perfMap`. */
export function functionCosts(dump: string, perfMap: string): Map<string, number> {
  const ranges = readPerfMap(perfMap);
  const annotated = spawnSync('callgrind_annotate', ['--threshold=100', dump], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).stdout;
  const costs = new Map<string, number>();
  for (const line of annotated.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[[^\]]*\])?$/.exec(line);
    if (m === null || m[2]!.includes('PROGRAM TOTALS')) continue;
    let name = m[2]!;
    const jit = /^\?\?\?:0x([0-9a-f]+)$/.exec(name);
    if (jit !== null) name = nameAt(ranges, parseInt(jit[1]!, 16)) ?? 'JIT code (unnamed)';
    costs.set(name, (costs.get(name) ?? 0) + Number(m[1]!.replace(/,/g, '')));
  }
  return costs;
}

/** The `top` costliest functions, per request. */
export function topFunctions(costs: Map<string, number>, requests: number, top: number): string {
  return [...costs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, cost]) => `${Math.round(cost / requests).toString().padStart(8)}  ${name}`)
    .join('\n');
}

/** Where `costs` spends more (and less) than `reference`, per request: the `top` largest differences each way. */
export function functionDifferences(costs: Map<string, number>, reference: Map<string, number>, requests: number, top: number): string {
  const names = new Set([...costs.keys(), ...reference.keys()]);
  const rows = [...names].map((name): [string, number, number] => [name, (costs.get(name) ?? 0) / requests, (reference.get(name) ?? 0) / requests]);
  rows.sort((a, b) => b[1] - b[2] - (a[1] - a[2]));
  const line = ([name, mine, theirs]: [string, number, number]): string =>
    `${Math.round(mine - theirs).toString().padStart(8)} ${Math.round(mine).toString().padStart(8)} ${Math.round(theirs).toString().padStart(8)}  ${name}`;
  const more = rows.slice(0, top).filter(([, a, b]) => a > b);
  const less = rows.slice(-top).reverse().filter(([, a, b]) => a < b);
  return [`    diff     this      ref`, ...more.map(line), '  ...', ...less.map(line)].join('\n');
}
