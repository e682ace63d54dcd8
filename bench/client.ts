/**
 * HTTP/2 client bench: h2kit's HTTP2Client against node:http2's client (and undici's, when
 * installed), all against one nghttpd (C) on loopback, each client in a child process of its own
 * (`client-driver.ts`): N small GETs on ONE connection, with 10 and with 100 in flight.
 *
 * Each row runs the clients in turn, several rounds (the first client of a round rotates), and
 * reports the median round per client and the median of the per-round ratios h2kit / node:http2
 * and h2kit / undici. Next to req/s, the client process's CPU time (process.cpuUsage(), user +
 * system) over exactly the measured requests, per request: the steadier number on a shared
 * machine, where client and server share 2 cores.
 *
 *   npm run bench -- client [--quick] [--rounds N] [--requests N] [--in-flight 10,100] [--clients a,b] [--verbose]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmt, freePort, haveCommand, median, readCpuSeconds, roundOrder, stopChild, waitForPort } from './support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DRIVER = join(HERE, 'client-driver.js');

/** The 18-byte body every bench serves (`bench/servers/common.ts`). */
const SMALL_BODY = 'nghttp2-python FTW';

/** Clients as `client-driver.ts` names them. `h2kit` is the send() + handler face; `h2kit-request` the promise face. */
type Peer = 'h2kit' | 'h2kit-request' | 'node:http2' | 'undici';
const TITLES: Record<Peer, string> = { h2kit: 'h2kit send()', 'h2kit-request': 'h2kit request()', 'node:http2': 'node:http2', undici: 'undici' };

/** One child's run: throughput and the client's and the server's CPU time per request. */
interface RunResult {
  reqPerSec: number;
  /** Client process CPU (user + system) over the measured requests, microseconds per request. */
  clientUs: number;
  /** nghttpd's CPU over the child's whole run (warm-up included), microseconds per request. */
  serverUs: number;
}

interface Options {
  rounds: number;
  requests: number;
  warmUp: number;
  inFlight: number[];
  verbose: boolean;
}

interface Row {
  inFlight: number;
  /** Medians per client. */
  reqPerSec: Partial<Record<Peer, number>>;
  clientUs: Partial<Record<Peer, number>>;
  serverUs: Partial<Record<Peer, number>>;
  /** Medians of per-round ratios. */
  vsNode: number;
  vsUndici: number;
  cpuVsNode: number;
  cpuVsUndici: number;
}

function undiciInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('undici');
    return true;
  } catch {
    return false;
  }
}

/** Runs one client child to the end (bounded in time) and reads its result line. */
function runClient(peer: Peer, url: string, inFlight: number, opts: Options, serverPid: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const serverBefore = readCpuSeconds(serverPid);
    const child = spawn(process.execPath, [DRIVER, peer, url, String(opts.requests), String(inFlight), String(opts.warmUp), String(SMALL_BODY.length)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (output += t));
    // 50,000 requests take a few seconds at worst; a stuck client must not hang the bench.
    const timeout = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      let serverSeconds: number;
      try {
        serverSeconds = readCpuSeconds(serverPid) - serverBefore;
      } catch {
        reject(new Error(`nghttpd (pid ${serverPid}) is gone: it ended during the ${peer} client's run\n${output}`));
        return;
      }
      const line = /^result (.*)$/m.exec(output);
      if (code !== 0 || line === null) {
        reject(new Error(`${peer} client, ${inFlight} in flight: exit ${signal ?? code}\n${output}`));
        return;
      }
      const r = JSON.parse(line[1]!) as { requests: number; seconds: number; userUs: number; systemUs: number };
      resolve({
        reqPerSec: r.requests / r.seconds,
        clientUs: (r.userUs + r.systemUs) / r.requests,
        serverUs: (serverSeconds * 1e6) / (r.requests + opts.warmUp),
      });
    });
  });
}

function medianRatio(rounds: Array<Partial<Record<Peer, number>>>, a: Peer, b: Peer): number {
  return median(rounds.filter((r) => r[a] !== undefined && r[b] !== undefined).map((r) => r[a]! / r[b]!));
}

function mediansOf(rounds: Array<Partial<Record<Peer, number>>>, peers: Peer[]): Partial<Record<Peer, number>> {
  const out: Partial<Record<Peer, number>> = {};
  for (const p of peers) {
    const vs = rounds.map((r) => r[p]).filter((v): v is number => v !== undefined);
    if (vs.length > 0) out[p] = median(vs);
  }
  return out;
}

async function runRow(inFlight: number, url: string, peers: Peer[], opts: Options, serverPid: number): Promise<Row> {
  const rps: Array<Partial<Record<Peer, number>>> = [];
  const cpu: Array<Partial<Record<Peer, number>>> = [];
  const server: Array<Partial<Record<Peer, number>>> = [];
  for (let r = 0; r < opts.rounds; r++) {
    const a: Partial<Record<Peer, number>> = {};
    const c: Partial<Record<Peer, number>> = {};
    const s: Partial<Record<Peer, number>> = {};
    for (const peer of roundOrder(peers, r)) {
      const res = await runClient(peer, url, inFlight, opts, serverPid);
      a[peer] = res.reqPerSec;
      c[peer] = res.clientUs;
      s[peer] = res.serverUs;
    }
    rps.push(a);
    cpu.push(c);
    server.push(s);
    if (opts.verbose) {
      process.stdout.write(`  ${inFlight} in flight, round ${r + 1}: ${peers.map((p) => `${TITLES[p]} ${fmt(a[p]!)} req/s (${fmt(c[p]!)} us CPU/req, nghttpd ${fmt(s[p]!)})`).join(', ')}\n`);
    }
  }
  return {
    inFlight,
    reqPerSec: mediansOf(rps, peers),
    clientUs: mediansOf(cpu, peers),
    serverUs: mediansOf(server, peers),
    vsNode: medianRatio(rps, 'h2kit', 'node:http2'),
    vsUndici: medianRatio(rps, 'h2kit', 'undici'),
    // How many times less CPU per request h2kit used.
    cpuVsNode: medianRatio(cpu, 'node:http2', 'h2kit'),
    cpuVsUndici: medianRatio(cpu, 'undici', 'h2kit'),
  };
}

function ratioText(n: number): string {
  return Number.isNaN(n) ? '-' : `${n.toFixed(2)}x`;
}

function render(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cols: string[]): string => cols.map((col, i) => (i === 0 ? col.padEnd(widths[i]!) : col.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...lines.map(line)].join('\n');
}

function tables(rows: Row[], peers: Peer[]): string {
  const value = (v: number | undefined): string => fmt(v ?? NaN);
  // Ratio columns only for the clients in this run.
  const vsNode = peers.includes('h2kit') && peers.includes('node:http2');
  const vsUndici = peers.includes('h2kit') && peers.includes('undici');
  const ratios = (title: string, a: boolean, b: boolean): string[] => [...(a ? [title.replace('X', 'node')] : []), ...(b ? [title.replace('X', 'undici')] : [])];
  const throughput = render(
    ['in flight (req/s)', ...peers.map((p) => TITLES[p]), ...ratios('h2kit/X', vsNode, vsUndici)],
    rows.map((r) => [String(r.inFlight), ...peers.map((p) => value(r.reqPerSec[p])), ...(vsNode ? [ratioText(r.vsNode)] : []), ...(vsUndici ? [ratioText(r.vsUndici)] : [])]),
  );
  const cpu = render(
    ['in flight (us/req)', ...peers.map((p) => TITLES[p]), ...ratios('X/h2kit', vsNode, vsUndici)],
    rows.map((r) => [String(r.inFlight), ...peers.map((p) => value(r.clientUs[p])), ...(vsNode ? [ratioText(r.cpuVsNode)] : []), ...(vsUndici ? [ratioText(r.cpuVsUndici)] : [])]),
  );
  const server = render(
    ['in flight (us/req)', ...peers.map((p) => `with ${TITLES[p]}`)],
    rows.map((r) => [String(r.inFlight), ...peers.map((p) => value(r.serverUs[p]))]),
  );
  return [
    throughput,
    `Client CPU time per request (user + system of the client's process over the measured requests, us;\nnode/h2kit: times less CPU than node:http2):\n\n${cpu}`,
    `nghttpd's CPU time per request over each client's whole run (warm-up included), us:\n\n${server}`,
  ].join('\n\n');
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      requests: { type: 'string' },
      'in-flight': { type: 'string' },
      clients: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  if (!haveCommand('client', 'nghttpd', 'nghttp2-server')) return;
  const quick = values.quick === true;
  const opts: Options = {
    rounds: Number(values.rounds ?? (quick ? 2 : 5)),
    requests: Number(values.requests ?? (quick ? 20000 : 50000)),
    warmUp: quick ? 5000 : 10000,
    inFlight: (values['in-flight'] ?? '10,100').split(',').map(Number),
    verbose: values.verbose === true,
  };
  for (const n of [opts.rounds, opts.requests, ...opts.inFlight]) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`client: --rounds, --requests and --in-flight take positive integers`);
  }
  // nghttpd announces SETTINGS_MAX_CONCURRENT_STREAMS 100: more in flight would only queue in the client.
  if (opts.inFlight.some((n) => n > 100)) throw new Error('client: at most 100 in flight (nghttpd allows 100 concurrent streams)');
  const all = Object.keys(TITLES) as Peer[];
  let peers: Peer[] = all;
  if (values.clients !== undefined) {
    const names = values.clients.split(',');
    const unknown = names.filter((n) => !(all as string[]).includes(n));
    if (unknown.length > 0) throw new Error(`client: unknown clients ${unknown.join(', ')} (clients: ${all.join(', ')})`);
    peers = all.filter((p) => names.includes(p));
  }
  if (peers.includes('undici') && !undiciInstalled()) {
    process.stdout.write('client: undici is not installed (npm install --save-dev undici); its column is skipped\n');
    peers = peers.filter((p) => p !== 'undici');
  }

  const dir = mkdtempSync(join(tmpdir(), 'h2kit-client-bench-'));
  let nghttpd: ReturnType<typeof spawn> | null = null;
  try {
    const htdocs = join(dir, 'htdocs');
    mkdirSync(htdocs);
    writeFileSync(join(htdocs, 'small'), SMALL_BODY);
    const port = await freePort();
    nghttpd = spawn('nghttpd', ['--no-tls', '-d', htdocs, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForPort(port, nghttpd, 10000);
    const url = `http://127.0.0.1:${port}/small`;
    process.stdout.write(
      `client: ${peers.map((p) => TITLES[p]).join(', ')} against nghttpd --no-tls (one worker), one connection per run; ` +
        `${opts.requests.toLocaleString('en-US')} GETs of /small (${SMALL_BODY.length} bytes) after ${opts.warmUp.toLocaleString('en-US')} warm-up; ` +
        `${opts.rounds} rounds, clients alternating; medians (load average ${loadavg()[0]!.toFixed(1)} at the start)\n`,
    );
    const rows: Row[] = [];
    for (const inFlight of opts.inFlight) rows.push(await runRow(inFlight, url, peers, opts, nghttpd.pid!));
    process.stdout.write(`\n${tables(rows, peers)}\n`);
    process.stdout.write(
      `\nCommand per run: node dist/bench/client-driver.js PEER http://127.0.0.1:PORT/small ${opts.requests} IN_FLIGHT ${opts.warmUp} ` +
        `(PEER: ${peers.join(', ')}); server: nghttpd --no-tls -d HTDOCS PORT\n`,
    );
  } finally {
    if (nghttpd !== null) await stopChild(nghttpd);
    rmSync(dir, { recursive: true, force: true });
  }
}
