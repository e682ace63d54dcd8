/**
 * `npm run bench -- h1ab [--rounds R] [-n N] [-m M] [--server NAME=SCRIPT]...`: server CPU per
 * request of HTTP/1.1 small GETs, node:http against h2kit (and any other builds given), by
 * fixed request count rather than by duration: each server started once, warmed up with
 * `h2load --h1 -t1 -c10 -m M -n 20000`, then per round sent `-n N` in turn (the first server
 * rotating), its utime + stime read from /proc around each run. Prints each server's median
 * and per-round values, and the median of per-round ratios to node:http: rounds next to each
 * other share the machine's load, so their ratio is steadier than either number on a shared
 * machine. `--server old=/path/to/dist/bench/servers/h2kit.js` adds a build to compare.
 *
 * `--callgrind` counts instructions instead, which do not depend on the machine's load: each
 * server runs under `valgrind --tool=callgrind` (all at once), is warmed up with `--warm W`
 * requests uncounted, then sent `--phases P` runs of `-n N` requests, each counted and dumped
 * apart (`callgrind_control`); the first phase is left out, as V8 is still compiling in it. Per
 * request: all user-space instructions, those of V8's optimizing compiler and of its GC, and
 * the rest (our code and node's). Node runs with `--single-threaded` (the compiler and the GC on
 * the main thread, so counted), `--predictable-gc-schedule` and `--no-flush-bytecode` (under
 * valgrind's slow clock, V8's time-based memory reducer and bytecode flushing would otherwise
 * start major GCs and recompiles inside the counted phases). Dumps are kept in bench/results/h1ab-callgrind/.
 * `--functions N` (with `--callgrind`) also names the JIT code (node runs with `--perf-basic-prof`;
 * bench/callgrind-functions.ts) and prints, from the last phase, each server's N costliest
 * functions per request and, for each server after node:http, where it spends more and less.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { functionCosts, functionDifferences, topFunctions } from './callgrind-functions.js';
import { median, readCpuSeconds, roundOrder, stopChild } from './support.js';

const SERVERS = join(dirname(fileURLToPath(import.meta.url)), 'servers');

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  cpuUs: number[];
  reqPerSec: number[];
}

/** Starts a bench server; `wrapper` (valgrind and its options) runs node, with `nodeFlags`, when given. */
function start(name: string, script: string, wrapper: string[] = [], nodeFlags: string[] = []): Promise<Server> {
  const [cmd, ...args] = [...wrapper, process.execPath, ...nodeFlags, script];
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', wrapper.length > 0 ? 'ignore' : 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening`)));
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      text += t;
      const m = /listening (\d+)/.exec(text);
      if (m !== null) resolve({ name, child, port: Number(m[1]), cpuUs: [], reqPerSec: [] });
    });
  });
}

/** Runs h2load to completion; its req/s. Throws unless every request succeeded. */
function h2load(port: number, requests: number, depth: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('h2load', ['--h1', '-t1', '-c10', `-m${depth}`, `-n${requests}`, `http://127.0.0.1:${port}/small`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.on('error', reject);
    child.on('close', () => {
      const ok = new RegExp(`\\b${requests} succeeded`).test(out);
      const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
      if (!ok || rate === null) reject(new Error(`h2load against port ${port} failed:\n${out}`));
      else resolve(Number(rate[1]));
    });
  });
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '12' },
      n: { type: 'string', short: 'n', default: '50000' },
      m: { type: 'string', short: 'm', default: '10' },
      server: { type: 'string', multiple: true, default: [] },
      callgrind: { type: 'boolean', default: false },
      warm: { type: 'string', default: '20000' },
      phases: { type: 'string', default: '3' },
      functions: { type: 'string', default: '0' },
    },
  });
  const rounds = Number(values.rounds);
  const requests = Number(values.n);
  const depth = Number(values.m);
  const specs: Array<[string, string]> = [
    ['node:http', join(SERVERS, 'node-http.js')],
    ['h2kit', join(SERVERS, 'h2kit.js')],
    ...values.server.map((s): [string, string] => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]),
  ];
  if (values.callgrind) {
    await runCallgrind(specs, Number(values.warm), requests, Number(values.phases), depth, Number(values.functions));
    return;
  }
  const servers: Server[] = [];
  try {
    for (const [name, script] of specs) servers.push(await start(name, script));
    for (const s of servers) await h2load(s.port, 20000, depth);
    for (let r = 0; r < rounds; r++) {
      for (const s of roundOrder(servers, r)) {
        const before = readCpuSeconds(s.child.pid!);
        s.reqPerSec.push(await h2load(s.port, requests, depth));
        s.cpuUs.push(((readCpuSeconds(s.child.pid!) - before) * 1e6) / requests);
      }
    }
  } finally {
    for (const s of servers) await stopChild(s.child);
  }
  const node = servers[0]!;
  process.stdout.write(`h2load --h1 -t1 -c10 -m${depth} -n${requests}, ${rounds} rounds; server CPU per request (user + system, us)\n\n`);
  for (const s of servers) {
    const cpu = s.cpuUs.map((v) => v.toFixed(1)).join(' ');
    process.stdout.write(`${s.name.padEnd(12)} median ${median(s.cpuUs).toFixed(2)} us  min ${Math.min(...s.cpuUs).toFixed(2)}  ${Math.round(median(s.reqPerSec))} req/s  [${cpu}]\n`);
  }
  for (const s of servers.slice(1)) {
    const cpu = median(s.cpuUs.map((v, i) => node.cpuUs[i]! / v));
    const rate = median(s.reqPerSec.map((v, i) => v / node.reqPerSec[i]!));
    process.stdout.write(`${s.name.padEnd(12)} vs node:http, median of per-round ratios: CPU per request ${cpu.toFixed(3)}x (node/h2kit), req/s ${rate.toFixed(3)}x\n`);
  }
}

const CALLGRIND_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', 'h1ab-callgrind');
const NODE_FLAGS = ['--single-threaded', '--predictable-gc-schedule', '--no-flush-bytecode'];

interface Counted {
  total: number;
  compiler: number;
  gc: number;
}

/** Instructions per request of each server under callgrind (see the file comment). */
async function runCallgrind(specs: Array<[string, string]>, warm: number, requests: number, phases: number, depth: number, functions: number): Promise<void> {
  rmSync(CALLGRIND_DIR, { recursive: true, force: true });
  mkdirSync(CALLGRIND_DIR, { recursive: true });
  const counted = await Promise.all(specs.map(([name, script]) => countOne(name, script, warm, requests, phases, depth, functions > 0)));
  const results = counted.map((c) => c.phases);
  process.stdout.write(
    `callgrind, h2load --h1 -t1 -c10 -m${depth}: warm-up ${warm}, then ${phases} phases of ${requests} (the first left out); user-space instructions per request\n\n`,
  );
  process.stdout.write(`${'server'.padEnd(12)} ${'phase'.padStart(5)} ${'total'.padStart(8)} ${'compiler'.padStart(9)} ${'gc'.padStart(7)} ${'rest'.padStart(8)}\n`);
  const means: number[][] = [];
  results.forEach((phasesOf, i) => {
    const kept = phasesOf.slice(1);
    phasesOf.forEach((c, k) => {
      const row = [c.total, c.compiler, c.gc, c.total - c.compiler - c.gc].map((v) => Math.round(v / requests).toString());
      process.stdout.write(`${specs[i]![0].padEnd(12)} ${String(k + 1).padStart(5)} ${row[0]!.padStart(8)} ${row[1]!.padStart(9)} ${row[2]!.padStart(7)} ${row[3]!.padStart(8)}${k === 0 ? '  (left out)' : ''}\n`);
    });
    const mean = (f: (c: Counted) => number): number => kept.reduce((a, c) => a + f(c), 0) / kept.length / requests;
    means.push([mean((c) => c.total), mean((c) => c.total - c.compiler - c.gc)]);
  });
  process.stdout.write('\n');
  const node = means[0]!;
  for (let i = 1; i < specs.length; i++) {
    const m = means[i]!;
    process.stdout.write(
      `${specs[i]![0].padEnd(12)} vs node:http: total ${Math.round(m[0]!)} vs ${Math.round(node[0]!)} per request, ${(node[0]! / m[0]!).toFixed(3)}x; without compiler and GC ${Math.round(m[1]!)} vs ${Math.round(node[1]!)}, ${(node[1]! / m[1]!).toFixed(3)}x (node/h2kit)\n`,
    );
  }
  if (functions === 0) return;
  // The last phase of each server, its JIT code named from the server's own perf map.
  const costs = counted.map((c) => functionCosts(c.lastDump, `/tmp/perf-${c.pid}.map`));
  specs.forEach(([name], i) => {
    process.stdout.write(`\n${name}: the ${functions} costliest functions, instructions per request (own, with what V8 inlined into them; last phase)\n${topFunctions(costs[i]!, requests, functions)}\n`);
  });
  for (let i = 1; i < specs.length; i++) {
    process.stdout.write(`\n${specs[i]![0]} against node:http, instructions per request by function:\n${functionDifferences(costs[i]!, costs[0]!, requests, functions)}\n`);
  }
}

/** One server's counted phases; its pid (whose perf map names its JIT code) and its last dump. */
interface CountedServer {
  phases: Counted[];
  pid: number;
  lastDump: string;
}

async function countOne(name: string, script: string, warm: number, requests: number, phases: number, depth: number, perfMap: boolean): Promise<CountedServer> {
  const out = join(CALLGRIND_DIR, `${name.replace(/[^\w.-]/g, '_')}.out`);
  // With --perf-basic-prof V8 also writes a code-event log, by default into the working directory: it goes beside the dumps.
  const mapFlags = ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${out}.v8.log`];
  const s = await start(name, script, ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`], perfMap ? [...NODE_FLAGS, ...mapFlags] : NODE_FLAGS);
  try {
    const pid = String(s.child.pid);
    await warmUp(s, warm, depth);
    control('-i', 'on', pid);
    for (let k = 0; k < phases; k++) {
      control('-z', pid);
      await h2load(s.port, requests, depth);
      control('-d', pid);
    }
  } finally {
    await stopChild(s.child);
  }
  const base = out.slice(out.lastIndexOf('/') + 1);
  const dumps = readdirSync(CALLGRIND_DIR)
    .filter((f) => f.startsWith(`${base}.`) && /\.\d+$/.test(f))
    .sort((a, b) => Number(a.slice(a.lastIndexOf('.') + 1)) - Number(b.slice(b.lastIndexOf('.') + 1)));
  return { phases: dumps.map((f) => countedOf(join(CALLGRIND_DIR, f))), pid: s.child.pid!, lastDump: join(CALLGRIND_DIR, dumps[dumps.length - 1]!) };
}

/**
 * The uncounted warm-up of a server under valgrind. A cold server there can be slow enough
 * (more so with others' builds loading the machine) for some of h2load's connections to fail;
 * the warm-up is then run again, up to three times in all, before giving up with the server's name.
 */
async function warmUp(s: Server, requests: number, depth: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await h2load(s.port, requests, depth);
      return;
    } catch (err) {
      if (attempt === 3) throw new Error(`${s.name}: the warm-up failed three times`, { cause: err });
    }
  }
}

function control(...args: string[]): void {
  const r = spawnSync('callgrind_control', args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} failed`);
}

/** A dump's total, and the inclusive cost of V8's optimizing compiler and of its GC (callgrind_annotate). */
function countedOf(file: string): Counted {
  const total = Number(/^totals:\s+(\d+)/m.exec(readFileSync(file, 'latin1'))?.[1] ?? NaN);
  const annotated = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).stdout;
  const inclusive = (what: string): number => {
    const line = annotated.split('\n').find((l) => l.includes(what));
    return line === undefined ? 0 : Number(line.trim().split(/\s/)[0]!.replace(/,/g, ''));
  };
  return { total, compiler: inclusive('Compiler::CompileOptimized'), gc: inclusive('Heap::CollectGarbage') };
}
