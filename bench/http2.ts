/**
 * HTTP/2 server bench: h2kit's HTTP2Server against node:http2 (and nghttpd, C, when installed),
 * each in its own child process, loaded by h2load (`-t 1`) in the same run. The HTTP/1.1 rows
 * (`h2load --h1`) put the same h2kit server (its `allowHTTP1` side) against node:http instead:
 * nghttpd and node:http2's cleartext server do not speak HTTP/1.1. The app rows (`compat-plain`,
 * `compat-fastify`, `fetch`) run one app, a plain `(req, res)` handler, a Fastify app or a fetch
 * function, on h2kit's node:http2-compatible API (or `serve({ fetch })`) and on node:http2.
 *
 * Every throughput row runs the peers in turn, several rounds (the first peer of a round rotates,
 * so none always runs first), and reports the median round per peer and the median of the
 * per-round ratios h2kit / node:http2: the two runs of a pair are seconds apart, so load from
 * elsewhere on the machine mostly cancels out of the ratio. Failed or non-2xx requests void the
 * run (an error, not a number). Memory rows open connections with `http2-holder.ts` and read the
 * server's RSS from /proc after a full GC (Node peers run with --expose-gc).
 *
 *   npm run bench -- http2 [--quick] [--rounds N] [--duration S] [--rows a,b] [--connections N] [--verbose]
 *   npm run bench -- http2 --profile ROW [--duration S]   # only h2kit, under --cpu-prof, profile in bench/results/
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { commandExists, fmt, freePort, haveCommand, median, readCpuSeconds, roundOrder, runH2load, sleep, stopChild, waitForPort } from './support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');

type PeerName = 'h2kit' | 'node:http2' | 'nghttpd' | 'node:http' | 'node:http+h2kit';
/** The peers of the HTTP/2 rows. */
const PEERS: PeerName[] = ['h2kit', 'node:http2', 'nghttpd'];
/** The peers of the HTTP/1.1 rows: node:http is the reference; node:http+h2kit, the same server in a process that has loaded h2kit, a second one. */
const H1_PEERS: PeerName[] = ['h2kit', 'node:http', 'node:http+h2kit'];
/** The peers of the app rows (`ThroughputRow.app`): one app on either server. */
const APP_PEERS: PeerName[] = ['h2kit', 'node:http2'];

/** ~20 request header fields as a desktop Chrome sends them for a page navigation. */
const BROWSER_HEADERS = [
  'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  'accept-language: en-US,en;q=0.9,de;q=0.8',
  'accept-encoding: gzip, deflate, br, zstd',
  'cache-control: max-age=0',
  'sec-ch-ua: "Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-mobile: ?0',
  'sec-ch-ua-platform: "Linux"',
  'upgrade-insecure-requests: 1',
  'sec-fetch-site: same-origin',
  'sec-fetch-mode: navigate',
  'sec-fetch-user: ?1',
  'sec-fetch-dest: document',
  'referer: https://www.example.com/articles/2024/http2-performance?utm_source=newsletter&utm_medium=email',
  'cookie: _ga=GA1.1.1234567890.1700000000; _ga_ABCDEF1234=GS1.1.1700000000.1.1.1700000100.0.0.0; session=eyJhbGciOiJIUzI1NiJ9.eyJ1aWQiOjQyfQ.c2lnbmF0dXJl',
  'cookie: consent=analytics%3Dtrue%26ads%3Dfalse; theme=dark; lang=en',
  'if-none-match: W/"5f3a-18c2b7e3f40"',
  'if-modified-since: Tue, 19 Nov 2024 10:12:45 GMT',
  'priority: u=0, i',
  'dnt: 1',
];

interface ThroughputRow {
  kind: 'throughput';
  key: string;
  title: string;
  tls: boolean;
  path: string;
  /** h2load options besides -t, -D / -n and the URL. */
  args: string[];
  /** 'req/s', or 'MiB/s' computed as req/s x bytesPerRequest. */
  unit: 'req/s' | 'MiB/s';
  bytesPerRequest: number;
  /** Requests of the warm-up run before each measured run (JIT, connections, windows). */
  warmUp: number;
  /** Target ratio h2kit / node:http2 (HTTP/1.1 rows: h2kit / node:http; higher is better). */
  target: number;
  /** HTTP/1.1 (`--h1` in args): h2kit against node:http rather than the HTTP/2 peers. */
  h1?: boolean;
  /**
   * An app row: both sides run `bench/servers/<app>.js`, the same app on h2kit's server (argument
   * `h2kit`) and on node:http2 (argument `node:http2`); nghttpd has no such app and sits out.
   */
  app?: AppName;
}

/** The bench servers that run one app on either h2kit or node:http2 (the compatible API, fetch). */
type AppName = 'compat-plain' | 'compat-fastify' | 'fetch';

interface LatencyRow {
  kind: 'latency';
  key: string;
  title: string;
  clients: number;
  /** Requests per second per client (h2load --rps). */
  rps: number;
  /** Target: p99 ratio h2kit / node:http2 (lower is better). */
  target: number;
}

interface MemoryRow {
  kind: 'memory';
  key: string;
  title: string;
  /** Target: idle bytes per connection ratio h2kit / node:http2 (lower is better). */
  target: number;
}

type Row = ThroughputRow | LatencyRow | MemoryRow;

const UPLOAD_SIZE = 1024 * 1024;
const LARGE_SIZE = 10 * 1024 * 1024;

const ROWS: Row[] = [
  { kind: 'throughput', key: 'get-c10', title: 'small GET h2c -c 10 -m 10', tls: false, path: '/small', args: ['-c', '10', '-m', '10'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 3 },
  { kind: 'throughput', key: 'get-c100', title: 'small GET h2c -c 100 -m 1', tls: false, path: '/small', args: ['-c', '100', '-m', '1'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 2 },
  { kind: 'throughput', key: 'tls-c10', title: 'small GET TLS -c 10 -m 10', tls: true, path: '/small', args: ['-c', '10', '-m', '10'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 2 },
  {
    kind: 'throughput', key: 'headers', title: '20 browser headers -c 10 -m 10', tls: false, path: '/small',
    args: ['-c', '10', '-m', '10', ...BROWSER_HEADERS.flatMap((h) => ['-H', h])], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 3,
  },
  { kind: 'throughput', key: 'large', title: '10 MiB responses -c 4 -m 1', tls: false, path: '/10m', args: ['-c', '4', '-m', '1'], unit: 'MiB/s', bytesPerRequest: LARGE_SIZE, warmUp: 20, target: 1 },
  { kind: 'throughput', key: 'upload', title: '1 MiB POST uploads -c 4 -m 1', tls: false, path: '/small', args: ['-c', '4', '-m', '1', '-d', '@UPLOAD'], unit: 'MiB/s', bytesPerRequest: UPLOAD_SIZE, warmUp: 40, target: 1 },
  // HTTP/1.1 keep-alive (h2load --h1; -m is the pipelining depth there): h2kit against node:http, whose parser it shares.
  { kind: 'throughput', key: 'h1-c10', title: 'small GET HTTP/1.1 -c 10 -m 1', tls: false, path: '/small', args: ['--h1', '-c', '10', '-m', '1'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 0.95, h1: true },
  { kind: 'throughput', key: 'h1-pipe', title: 'small GET HTTP/1.1 -c 10 -m 10 pipelined', tls: false, path: '/small', args: ['--h1', '-c', '10', '-m', '10'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 0.95, h1: true },
  // The same app on h2kit's node:http2-compatible API (or serve({ fetch })) and on node:http2 (issue 15).
  { kind: 'throughput', key: 'compat-plain', title: 'compat (req, res) handler -c 10 -m 10', tls: false, path: '/', args: ['-c', '10', '-m', '10'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 2, app: 'compat-plain' },
  { kind: 'throughput', key: 'compat-fastify', title: 'compat Fastify JSON -c 10 -m 10', tls: false, path: '/', args: ['-c', '10', '-m', '10'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: 1.5, app: 'compat-fastify' },
  { kind: 'throughput', key: 'fetch', title: 'fetch handler -c 10 -m 10', tls: false, path: '/', args: ['-c', '10', '-m', '10'], unit: 'req/s', bytesPerRequest: 0, warmUp: 5000, target: NaN, app: 'fetch' },
  { kind: 'latency', key: 'latency', title: 'latency at 2,000 req/s (-c 10 --rps 200)', clients: 10, rps: 200, target: 1 },
  { kind: 'memory', key: 'memory', title: 'RSS per idle connection / per active stream', target: 0.7 },
];

interface Options {
  rounds: number;
  duration: number;
  connections: number;
  streamsPerConnection: number;
  verbose: boolean;
  rows: Row[];
}

// ---------------------------------------------------------------- running servers

interface RunningServer {
  peer: PeerName;
  port: number;
  child: ChildProcess;
  /** RSS in bytes, after a full GC for Node peers. */
  rss(): Promise<number>;
  /** CPU time (user + system) the server process has used, seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

interface Environment {
  dir: string;
  certDir: string;
  uploadFile: string;
  hasNghttpd: boolean;
}

function prepareEnvironment(): Environment {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-bench-'));
  const certDir = join(dir, 'tls');
  mkdirSync(certDir);
  const openssl = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (openssl.status !== 0) throw new Error(`openssl could not make a self-signed certificate: ${openssl.stderr.toString()}`);
  // nghttpd's document root: the same bodies the Node peers answer with.
  const htdocs = join(dir, 'htdocs');
  mkdirSync(htdocs);
  writeFileSync(join(htdocs, 'small'), 'nghttp2-python FTW');
  writeFileSync(join(htdocs, '10m'), Buffer.alloc(LARGE_SIZE, 0x61));
  const uploadFile = join(dir, 'upload');
  writeFileSync(uploadFile, Buffer.alloc(UPLOAD_SIZE, 0x62));
  return { dir, certDir, uploadFile, hasNghttpd: commandExists('nghttpd') };
}

function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Reads lines of a child's stdout, one waiter at a time. */
class LineReader {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter: ((line: string) => void) | null = null;
  private ended = false;

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      this.buffer += text;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
      }
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    if (this.waiter === null) return;
    if (this.lines.length > 0) {
      const w = this.waiter;
      this.waiter = null;
      w(this.lines.shift()!);
    } else if (this.ended) {
      const w = this.waiter;
      this.waiter = null;
      w('');
    }
  }

  /** The next line that starts with `prefix` (or with one of several). */
  async next(prefix: string | string[], timeoutMs = 120000): Promise<string> {
    const prefixes = typeof prefix === 'string' ? [prefix] : prefix;
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const line = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for "${prefixes.join('" or "')}"`)), Math.max(1, deadline - Date.now()));
        this.waiter = (l) => {
          clearTimeout(t);
          resolve(l);
        };
        this.wake();
      });
      if (line === '' && this.ended) throw new Error(`the child ended before printing "${prefixes.join('" or "')}"`);
      if (prefixes.some((p) => line.startsWith(p))) return line;
    }
  }
}

type NodePeer = 'h2kit' | 'node:http2' | 'node:http' | 'node:http+h2kit';
const SCRIPTS: Record<NodePeer, string> = { h2kit: 'h2kit.js', 'node:http2': 'node-http2.js', 'node:http': 'node-http.js', 'node:http+h2kit': 'node-http-loaded.js' };

/** A server that cannot run in this build (it printed `skipped REASON`): its row shows the reason. */
class PeerSkipped extends Error {}

async function startNodePeer(peer: NodePeer, env: Environment, tls: boolean, nodeFlags: string[] = [], app?: AppName): Promise<RunningServer> {
  // An app server takes the side it runs as its first argument; the others are one side each.
  const script = join(REPO, 'dist', 'bench', 'servers', app === undefined ? SCRIPTS[peer] : `${app}.js`);
  const args = [...nodeFlags, '--expose-gc', script, ...(app === undefined ? [] : [peer]), ...(tls ? ['--tls', env.certDir] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const reader = new LineReader(child.stdout!);
  const line = await reader.next(['listening ', 'skipped '], 20000);
  if (line.startsWith('skipped ')) {
    await stopChild(child);
    throw new PeerSkipped(`skipped: ${line.slice('skipped '.length)}`);
  }
  const port = Number(line.split(' ')[1]);
  return {
    peer,
    port,
    child,
    async rss() {
      child.stdin!.write('gc\n');
      await reader.next('gc done', 30000);
      return readRss(child.pid!);
    },
    cpuSeconds: () => readCpuSeconds(child.pid!),
    stop: () => stopChild(child),
  };
}

async function startNghttpd(env: Environment, tls: boolean): Promise<RunningServer> {
  const port = await freePort();
  const htdocs = join(env.dir, 'htdocs');
  const args = tls ? ['-d', htdocs, String(port), join(env.certDir, 'key.pem'), join(env.certDir, 'cert.pem')] : ['--no-tls', '-d', htdocs, String(port)];
  const child = spawn('nghttpd', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, child, 10000);
  return { peer: 'nghttpd', port, child, rss: () => Promise.resolve(readRss(child.pid!)), cpuSeconds: () => readCpuSeconds(child.pid!), stop: () => stopChild(child) };
}

function startPeer(peer: PeerName, env: Environment, tls: boolean, app?: AppName): Promise<RunningServer> {
  return peer === 'nghttpd' ? startNghttpd(env, tls) : startNodePeer(peer, env, tls, [], app);
}

// ---------------------------------------------------------------- h2load

function url(server: RunningServer, tls: boolean, path: string): string {
  return `${tls ? 'https' : 'http'}://127.0.0.1:${server.port}${path}`;
}

function rowArgs(row: ThroughputRow, env: Environment): string[] {
  return row.args.map((a) => (a === '@UPLOAD' ? env.uploadFile : a));
}

/** The command line of a row as printed in the README (PORT standing for the server's port). */
function describeCommand(row: Row, opts: Options): string {
  if (row.kind === 'throughput') {
    const timing = `-D ${opts.duration} (after a warm-up run with -n ${row.warmUp})`;
    const args = row.args.map((a) => (a === '@UPLOAD' ? 'upload-1MiB' : /\s/.test(a) ? `'${a}'` : a));
    if (row.key === 'headers') {
      return `h2load -t 1 -c 10 -m 10 ${timing} -H '...' (x${BROWSER_HEADERS.length}, see BROWSER_HEADERS) http://127.0.0.1:PORT/small`;
    }
    const servers = row.app === undefined ? '' : ` against node dist/bench/servers/${row.app}.js h2kit | node:http2`;
    return `h2load -t 1 ${args.join(' ')} ${timing} ${row.tls ? 'https' : 'http'}://127.0.0.1:PORT${row.path}${servers}`;
  }
  if (row.kind === 'latency') {
    return `h2load -t 1 -c ${row.clients} -m 1 --rps ${row.rps} -D ${opts.duration + 1} --log-file LOG http://127.0.0.1:PORT/small (p50/p99 of LOG's durations)`;
  }
  return `node dist/bench/http2-holder.js PORT ${opts.connections}, then 'hold ${opts.streamsPerConnection}' (RSS from /proc after GC)`;
}

// ---------------------------------------------------------------- statistics

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------- rows

interface Cell {
  /** Per peer: the row's numbers (median), or null when not run. */
  value: Partial<Record<PeerName, number>>;
  /** Median of per-round ratios h2kit / reference (node:http2; node:http for the HTTP/1.1 rows). */
  ratio: number;
  /** Throughput rows: the server's CPU time per request, microseconds (median per peer). */
  cpu: Partial<Record<PeerName, number>> | null;
  /** Median of per-round ratios reference CPU / h2kit CPU per request (how many times less CPU h2kit used). */
  cpuRatio: number;
  /** How the cell is printed. */
  unit: string;
  /** Higher is better (throughput) or lower (latency, memory). */
  higherIsBetter: boolean;
  target: number;
  title: string;
  command: string;
  /** Why the row has no numbers (a server not in this build), or undefined. */
  skipped?: string;
  /** HTTP/1.1 rows: median of per-round ratios h2kit / node:http+h2kit (the same reference server, h2kit loaded in its process). */
  loadedRatio?: number;
}

async function runThroughput(row: ThroughputRow, env: Environment, opts: Options, peers: PeerName[]): Promise<Cell> {
  const servers: RunningServer[] = [];
  try {
    try {
      for (const p of peers) servers.push(await startPeer(p, env, row.tls, row.app));
    } catch (err) {
      if (!(err instanceof PeerSkipped)) throw err;
      return { ...cellOf(row, [], peers, row.unit, true, opts), skipped: err.message };
    }
    const perRound: Array<Partial<Record<PeerName, number>>> = [];
    const cpuRounds: Array<Partial<Record<PeerName, number>>> = [];
    for (let r = 0; r < opts.rounds; r++) {
      const round: Partial<Record<PeerName, number>> = {};
      const cpuRound: Partial<Record<PeerName, number>> = {};
      for (const server of roundOrder(servers, r)) {
        // A warm-up run by count, then the measured run: its request count and the server's CPU time cover the same span.
        await runH2load(['-t', '1', ...rowArgs(row, env), '-n', String(row.warmUp), url(server, row.tls, row.path)]);
        const cpuBefore = server.cpuSeconds();
        const res = await runH2load(['-t', '1', ...rowArgs(row, env), '-D', String(opts.duration), url(server, row.tls, row.path)]);
        if (res.failed > 0 || res.non2xx > 0) {
          throw new Error(`${row.key} on ${server.peer}: ${res.failed} failed and ${res.non2xx} non-2xx requests:\n${res.output}`);
        }
        round[server.peer] = row.unit === 'req/s' ? res.reqPerSec : (res.reqPerSec * row.bytesPerRequest) / (1024 * 1024);
        cpuRound[server.peer] = ((server.cpuSeconds() - cpuBefore) * 1e6) / res.succeeded;
      }
      perRound.push(round);
      cpuRounds.push(cpuRound);
      if (opts.verbose) {
        // The round's own ratios, the numbers whose medians the table shows.
        const ref = referenceOf(row);
        const ratios = round.h2kit !== undefined && round[ref] !== undefined
          ? `; h2kit/node ${(round.h2kit / round[ref]!).toFixed(2)}x, CPU node/h2kit ${(cpuRound[ref]! / cpuRound.h2kit!).toFixed(2)}x`
          : '';
        process.stdout.write(`  ${row.key} round ${r + 1}: ${peers.map((p) => `${p} ${fmt(round[p] ?? NaN)} (${fmt(cpuRound[p] ?? NaN)} us CPU/req)`).join(', ')}${ratios}\n`);
      }
    }
    const cell = cellOf(row, perRound, peers, row.unit, true, opts);
    const cpuCell = cellOf(row, cpuRounds, peers, 'us', false, opts);
    cell.cpu = cpuCell.value;
    cell.cpuRatio = 1 / cpuCell.ratio;
    return cell;
  } finally {
    for (const s of servers) await s.stop();
  }
}

async function runLatency(row: LatencyRow, env: Environment, opts: Options, peers: PeerName[]): Promise<[Cell, Cell]> {
  const servers: RunningServer[] = [];
  const p50Rounds: Array<Partial<Record<PeerName, number>>> = [];
  const p99Rounds: Array<Partial<Record<PeerName, number>>> = [];
  try {
    for (const p of peers) servers.push(await startPeer(p, env, false));
    for (let r = 0; r < opts.rounds; r++) {
      const p50: Partial<Record<PeerName, number>> = {};
      const p99: Partial<Record<PeerName, number>> = {};
      for (const server of roundOrder(servers, r)) {
        const log = join(env.dir, `latency-${server.peer.replace(':', '-')}.log`);
        rmSync(log, { force: true });
        // Warm up first (JIT), then measure at the fixed rate.
        await runH2load(['-t', '1', '-c', String(row.clients), '-m', '1', '-n', '2000', url(server, false, '/small')]);
        const res = await runH2load(['-t', '1', '-c', String(row.clients), '-m', '1', '--rps', String(row.rps), '-D', String(opts.duration + 1), '--log-file', log, url(server, false, '/small')]);
        if (res.failed > 0 || res.non2xx > 0) throw new Error(`latency on ${server.peer}: ${res.failed} failed and ${res.non2xx} non-2xx requests`);
        // --log-file: one line per request: start (us since epoch), status, duration (us).
        const durations = readFileSync(log, 'latin1')
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => Number(l.split('\t')[2]) / 1000)
          .sort((a, b) => a - b);
        p50[server.peer] = percentile(durations, 50);
        p99[server.peer] = percentile(durations, 99);
      }
      p50Rounds.push(p50);
      p99Rounds.push(p99);
      if (opts.verbose) process.stdout.write(`  latency round ${r + 1}: ${peers.map((p) => `${p} p50 ${fmt(p50[p] ?? NaN)} p99 ${fmt(p99[p] ?? NaN)} ms`).join(', ')}\n`);
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  const command = describeCommand(row, opts);
  const p50Cell = cellOf({ ...row, title: `${row.title}: p50`, target: NaN }, p50Rounds, peers, 'ms', false, opts);
  const p99Cell = cellOf({ ...row, title: `${row.title}: p99` }, p99Rounds, peers, 'ms', false, opts);
  p50Cell.command = command;
  p99Cell.command = command;
  return [p50Cell, p99Cell];
}

/** Holds the connections (and then streams) open against one fresh server; returns bytes per connection and per stream. */
async function measureMemory(peer: PeerName, env: Environment, opts: Options): Promise<{ perConnection: number; perStream: number }> {
  const server = await startPeer(peer, env, false);
  let holder: ChildProcess | null = null;
  try {
    // One short load first, so that every peer's code is loaded and warm before the baseline.
    await runH2load(['-t', '1', '-c', '10', '-n', '2000', '-m', '10', url(server, false, '/small')]);
    const base = await server.rss();
    holder = spawn(process.execPath, [join(REPO, 'dist', 'bench', 'http2-holder.js'), String(server.port), String(opts.connections)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const reader = new LineReader(holder.stdout!);
    await reader.next('ready ');
    await sleep(500);
    const idle = await server.rss();
    let perStream = NaN;
    if (peer !== 'nghttpd') {
      // nghttpd answers every path (it has no never-answered route), so it has no held streams to count.
      holder.stdin!.write(`hold ${opts.streamsPerConnection}\n`);
      await reader.next('held ');
      await sleep(500);
      const held = await server.rss();
      perStream = (held - idle) / (opts.connections * opts.streamsPerConnection);
    }
    return { perConnection: (idle - base) / opts.connections, perStream };
  } finally {
    if (holder !== null) await stopChild(holder);
    await server.stop();
  }
}

async function runMemory(row: MemoryRow, env: Environment, opts: Options, peers: PeerName[]): Promise<[Cell, Cell]> {
  const conn: Array<Partial<Record<PeerName, number>>> = [];
  const stream: Array<Partial<Record<PeerName, number>>> = [];
  // Memory moves little between runs; one round per peer keeps 5,000 connections x 3 peers quick.
  const c: Partial<Record<PeerName, number>> = {};
  const s: Partial<Record<PeerName, number>> = {};
  for (const peer of peers) {
    const m = await measureMemory(peer, env, opts);
    c[peer] = m.perConnection / 1024;
    if (!Number.isNaN(m.perStream)) s[peer] = m.perStream / 1024;
    if (opts.verbose) process.stdout.write(`  memory ${peer}: ${fmt(m.perConnection / 1024)} KiB/connection, ${fmt(m.perStream / 1024)} KiB/stream\n`);
  }
  conn.push(c);
  stream.push(s);
  const command = describeCommand(row, opts);
  const connCell = cellOf({ ...row, title: `RSS per idle connection (${opts.connections.toLocaleString('en-US')} open)` }, conn, peers, 'KiB', false, opts);
  const streamCell = cellOf({ ...row, title: `RSS per active stream (${(opts.connections * opts.streamsPerConnection).toLocaleString('en-US')} held)`, target: NaN }, stream, peers, 'KiB', false, opts);
  connCell.command = command;
  streamCell.command = command;
  return [connCell, streamCell];
}

/** The peer a row's ratios divide by: node:http2, or node:http for the HTTP/1.1 rows. */
function referenceOf(row: Row): PeerName {
  return row.kind === 'throughput' && row.h1 === true ? 'node:http' : 'node:http2';
}

/** The peers that can run a row: nghttpd and node:http2 (cleartext) speak no HTTP/1.1, node:http no HTTP/2; apps run on h2kit and node:http2. */
function peersOf(row: Row, available: PeerName[]): PeerName[] {
  if (row.kind === 'throughput' && row.app !== undefined) return APP_PEERS;
  return row.kind === 'throughput' && row.h1 === true ? H1_PEERS : available;
}

function cellOf(row: { title: string; target: number } & Row, rounds: Array<Partial<Record<PeerName, number>>>, peers: PeerName[], unit: string, higherIsBetter: boolean, opts: Options): Cell {
  const value: Partial<Record<PeerName, number>> = {};
  for (const p of peers) {
    const vs = rounds.map((r) => r[p]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    if (vs.length > 0) value[p] = median(vs);
  }
  const ref = referenceOf(row);
  const ratioTo = (peer: PeerName): number => median(rounds.filter((r) => r.h2kit !== undefined && r[peer] !== undefined).map((r) => r.h2kit! / r[peer]!));
  const cell: Cell = { value, ratio: ratioTo(ref), cpu: null, cpuRatio: NaN, unit, higherIsBetter, target: row.target, title: row.title, command: describeCommand(row, opts) };
  if (peers.includes('node:http+h2kit')) cell.loadedRatio = ratioTo('node:http+h2kit');
  return cell;
}

// ---------------------------------------------------------------- output

function targetText(cell: Cell): string {
  if (cell.skipped !== undefined) return cell.skipped;
  if (Number.isNaN(cell.target)) return '';
  const met = cell.higherIsBetter ? cell.ratio >= cell.target : cell.ratio <= cell.target;
  return `${cell.higherIsBetter ? '>=' : '<='} ${cell.target}x ${met ? 'met' : 'MISSED'}`;
}

/** The peer columns of the tables: node:http only when an HTTP/1.1 row ran (the HTTP/2-only tables keep their shape). */
function peerColumns(cells: Cell[]): PeerName[] {
  const hasH1 = cells.some((c) => c.value['node:http'] !== undefined);
  return hasH1 ? ['h2kit', 'node:http2', 'nghttpd', 'node:http', 'node:http+h2kit'] : ['h2kit', 'node:http2', 'nghttpd'];
}

function table(cells: Cell[]): string {
  const columns = peerColumns(cells);
  const header = ['row', 'unit', ...columns, 'h2kit/node', 'target'];
  const lines = cells.map((c) => [
    c.title,
    c.unit,
    ...columns.map((p) => fmt(c.value[p] ?? NaN)),
    Number.isNaN(c.ratio) ? '-' : `${c.ratio.toFixed(2)}x`,
    targetText(c),
  ]);
  const left = new Set([0, 1, header.length - 1]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cols: string[]): string => cols.map((col, i) => (left.has(i) ? col.padEnd(widths[i]!) : col.padStart(widths[i]!))).join('  ').trimEnd();
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}

/** Server CPU per request: what each request costs the server, steadier than throughput on a shared machine. */
function cpuTable(cells: Cell[]): string {
  const columns = peerColumns(cells);
  const header = ['row', ...columns, 'node/h2kit'];
  const lines = cells
    .filter((c) => c.cpu !== null)
    .map((c) => [c.title, ...columns.map((p) => fmt(c.cpu![p] ?? NaN)), Number.isNaN(c.cpuRatio) ? '-' : `${c.cpuRatio.toFixed(2)}x`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cols: string[]): string => cols.map((col, i) => (i === 0 ? col.padEnd(widths[i]!) : col.padStart(widths[i]!))).join('  ').trimEnd();
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}

// ---------------------------------------------------------------- entry points

async function profile(rowKey: string, env: Environment, opts: Options): Promise<void> {
  const row = ROWS.find((r) => r.key === rowKey);
  if (row === undefined || row.kind !== 'throughput') throw new Error(`--profile takes a throughput row: ${ROWS.filter((r) => r.kind === 'throughput').map((r) => r.key).join(', ')}`);
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const server = await startNodePeer('h2kit', env, row.tls, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `h2kit-${row.key}.cpuprofile`], row.app);
  try {
    await runH2load(['-t', '1', ...rowArgs(row, env), '-n', String(row.warmUp), url(server, row.tls, row.path)]);
    const res = await runH2load(['-t', '1', ...rowArgs(row, env), '-D', String(opts.duration), url(server, row.tls, row.path)]);
    process.stdout.write(res.output);
  } finally {
    await server.stop();
  }
  process.stdout.write(`profile: ${join(dir, `h2kit-${row.key}.cpuprofile`)}\n`);
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      rows: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  if (!haveCommand('http2', 'h2load', 'nghttp2-client')) return;
  const quick = values.quick === true;
  const opts: Options = {
    rounds: Number(values.rounds ?? (quick ? 2 : 5)),
    duration: Number(values.duration ?? (quick ? 1 : 2)),
    connections: Number(values.connections ?? (quick ? 1000 : 5000)),
    streamsPerConnection: 2,
    verbose: values.verbose === true,
    rows: ROWS,
  };
  if (values.rows !== undefined) {
    const keys = values.rows.split(',');
    const unknown = keys.filter((k) => !ROWS.some((r) => r.key === k));
    if (unknown.length > 0) throw new Error(`unknown rows ${unknown.join(', ')} (rows: ${ROWS.map((r) => r.key).join(', ')})`);
    opts.rows = ROWS.filter((r) => keys.includes(r.key));
  }
  // Each of the server and the holder keeps one descriptor per connection (plus a few).
  const fdLimit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  if (Number.isInteger(fdLimit) && opts.connections + 200 > fdLimit) {
    const fitting = Math.max(100, fdLimit - 200);
    process.stdout.write(`http2: ulimit -n is ${fdLimit}: memory rows use ${fitting} connections instead of ${opts.connections} (raise it with ulimit -n)\n`);
    opts.connections = fitting;
  }
  const env = prepareEnvironment();
  try {
    if (values.profile !== undefined) {
      await profile(values.profile, env, opts);
      return;
    }
    const peers = PEERS.filter((p) => p !== 'nghttpd' || env.hasNghttpd);
    const h1 = opts.rows.some((r) => r.kind === 'throughput' && r.h1 === true);
    const apps = opts.rows.some((r) => r.kind === 'throughput' && r.app !== undefined);
    process.stdout.write(
      `http2: ${peers.join(', ')}${h1 ? ' (HTTP/1.1 rows: h2kit, node:http, node:http+h2kit)' : ''}${apps ? ' (app rows: one app on h2kit and on node:http2)' : ''}; h2load -t 1; ${opts.rounds} rounds of ${opts.duration} s (after a warm-up run) per peer and row, alternating; medians\n`,
    );
    const cells: Cell[] = [];
    for (const row of opts.rows) {
      const started = Date.now();
      if (row.kind === 'throughput') cells.push(await runThroughput(row, env, opts, peersOf(row, peers)));
      else if (row.kind === 'latency') cells.push(...(await runLatency(row, env, opts, peers)));
      else cells.push(...(await runMemory(row, env, opts, peers)));
      if (opts.verbose) process.stdout.write(`  (${row.key}: ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    }
    process.stdout.write(`\n${table(cells)}\n`);
    if (h1) {
      process.stdout.write(`(h2kit/node: to node:http2, to node:http for the HTTP/1.1 rows; node:http+h2kit: node:http's server in a process that has also loaded h2kit)\n`);
      for (const c of cells) {
        if (c.loadedRatio !== undefined) process.stdout.write(`  ${c.title}: h2kit / node:http+h2kit ${c.loadedRatio.toFixed(2)}x (h2kit's HTTP/1.1 layer alone)\n`);
      }
    }
    if (cells.some((c) => c.cpu !== null)) {
      process.stdout.write(`\nServer CPU time per request (user + system, us; node/h2kit: times less CPU than node:http2${h1 ? ', node:http for the HTTP/1.1 rows' : ''}):\n\n${cpuTable(cells)}\n`);
    }
    process.stdout.write(`\nCommands (PORT: each server's port):\n`);
    for (const c of cells) process.stdout.write(`  ${c.title}: ${c.command}\n`);
  } finally {
    if (existsSync(env.dir)) rmSync(env.dir, { recursive: true, force: true });
  }
}
