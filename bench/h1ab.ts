/**
 * `npm run bench -- h1ab [--rounds R] [-n N] [-m M] [--server NAME=SCRIPT]...`: server CPU per
 * request of HTTP/1.1 small GETs, node:http against h2kit (and any other builds given), by
 * fixed request count rather than by duration: each server started once, warmed up with
 * `h2load --h1 -t1 -c10 -m M -n 20000`, then per round sent `-n N` in turn (the first server
 * rotating), its utime + stime read from /proc around each run. Prints each server's median
 * and per-round values, and the median of per-round ratios to node:http: rounds next to each
 * other share the machine's load, so their ratio is steadier than either number on a shared
 * machine. `--server old=/path/to/dist/bench/servers/h2kit.js` adds a build to compare.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, readCpuSeconds, roundOrder, stopChild } from './support.js';

const SERVERS = join(dirname(fileURLToPath(import.meta.url)), 'servers');

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  cpuUs: number[];
  reqPerSec: number[];
}

function start(name: string, script: string): Promise<Server> {
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
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
