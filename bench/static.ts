/**
 * Static file serving (issue 17): `h2kit serve` against `nghttpd -d`, h2o (one thread) and
 * node:http2 `respondWithFile`, all serving one temporary folder of three files (a 1 KiB
 * index.html, 64 KiB, 1 MiB) on 127.0.0.1, over h2c and TLS, loaded by
 * `h2load -t 1 -c 10 -m 10 -n N` (the issue's measure).
 *
 * N is sized per server and row from a probe run, so each measured run lasts about
 * `--seconds` (2 s): the servers differ 30x in speed, and one N for all would give the C
 * servers runs too short for /proc's 10 ms CPU ticks or node:http2 runs of half a minute.
 * `-n N` fixes it for every run instead. Every run must be N 2xx responses carrying exactly
 * N x the file's size in DATA bytes (h2load's count), and before the rounds each server's
 * answer to each file is compared byte for byte: a row with a failure is an error, not a number.
 *
 * Rounds alternate the servers (the first rotating), each run a short warm-up then the
 * measured run; reported are each server's median round and the medians of the per-round
 * ratios, for req/s and for server CPU per request (its whole process tree, from /proc).
 *
 *   npm run bench -- static [--quick] [--rounds N] [--seconds S] [-n N] [--rows 1k-h2c,...]
 *                           [--peers h2kit,nghttpd,h2o,node] [--server [NAME=]PATH/dist/src/cli/main.js] [--verbose]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPeer, versionOf, type PeerSpec, type RunningPeer, type Site } from './servers/static-peers.js';
import { commandExists, fmt, haveCommand, median, roundOrder, runH2load } from './support.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface FileSpec {
  key: string;
  name: string;
  size: number;
  /** Requests of the probe run that sizes N (and warms the server up): a fraction of a second. */
  probe: number;
}

const FILES: FileSpec[] = [
  { key: '1k', name: 'index.html', size: 1024, probe: 20000 },
  { key: '64k', name: '64k.bin', size: 64 * 1024, probe: 2000 },
  { key: '1m', name: '1m.bin', size: 1024 * 1024, probe: 200 },
];

interface Row {
  key: string;
  title: string;
  file: FileSpec;
  tls: boolean;
}

const ROWS: Row[] = FILES.flatMap((file) => [false, true].map((tls) => ({
  key: `${file.key}-${tls ? 'tls' : 'h2c'}`,
  title: `${file.size >= 1024 * 1024 ? `${file.size / (1024 * 1024)} MiB` : `${file.size / 1024} KiB`} ${tls ? 'TLS' : 'h2c'}`,
  file,
  tls,
})));

/** Issue 17's goals for h2kit serve's req/s: at least this ratio to each peer. */
const GOALS: Array<{ peer: string; goal: number }> = [
  { peer: 'nghttpd', goal: 0.5 },
  { peer: 'h2o', goal: 0.6 },
  { peer: 'node:http2', goal: 5 },
];

const LOAD = ['-t', '1', '-c', '10', '-m', '10'];

interface Options {
  rounds: number;
  seconds: number;
  fixedN: number | null;
  verbose: boolean;
  rows: Row[];
}

// ---------------------------------------------------------------- the site

function makeSite(): { site: Site; bodies: Map<string, Buffer> } {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-static-bench-'));
  const root = join(dir, 'site');
  const work = join(dir, 'work');
  mkdirSync(root);
  mkdirSync(work);
  // Started as root, h2o serves as "nobody": it must be able to read the site (not the key).
  chmodSync(dir, 0o755);
  chmodSync(root, 0o755);
  const bodies = new Map<string, Buffer>();
  for (const f of FILES) {
    // The page is HTML as a browser would fetch it; the others are incompressible bytes.
    const body = f.name.endsWith('.html') ? htmlPage(f.size) : randomBytes(f.size);
    writeFileSync(join(root, f.name), body, { mode: 0o644 });
    bodies.set(f.name, body);
  }
  const key = join(work, 'key.pem');
  const cert = join(work, 'cert.pem');
  const openssl = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (openssl.status !== 0) throw new Error(`openssl could not make a self-signed certificate: ${openssl.stderr.toString()}`);
  return { site: { root, work, key, cert }, bodies };
}

/** An HTML page of exactly `size` bytes. */
function htmlPage(size: number): Buffer {
  const head = '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>h2kit static bench</title>\n<link rel="stylesheet" href="/style.css">\n</head>\n<body>\n<main>\n';
  const tail = '</main>\n</body>\n</html>\n';
  const line = '<p>A paragraph of the page that the static bench serves, as a small site would.</p>\n';
  let body = '';
  while (head.length + body.length + line.length + tail.length <= size) body += line;
  return Buffer.from(`${head}${body}${' '.repeat(size - head.length - body.length - tail.length)}${tail}`);
}

// ---------------------------------------------------------------- h2load and the checks

function url(peer: RunningPeer, row: Row): string {
  return `${row.tls ? 'https' : 'http'}://127.0.0.1:${peer.port}/${row.file.name}`;
}

/** `h2load -t 1 -c 10 -m 10 -n N URL`; its req/s. Anything but N whole 2xx responses throws. */
async function h2load(target: string, n: number, size: number): Promise<number> {
  const args = [...LOAD, '-n', String(n), target];
  const r = await runH2load(args);
  if (r.succeeded !== n || r.failed !== 0 || r.ok2xx !== n || r.dataBytes !== n * size) {
    throw new Error(`h2load ${args.join(' ')}: not ${n} whole 2xx responses of ${size} bytes:\n${r.output}`);
  }
  return r.reqPerSec;
}

/** One GET per file through node:http2's client: 200, no content-encoding, the file's bytes. */
async function checkServes(peer: RunningPeer, row: Row, expected: Buffer): Promise<void> {
  const origin = `${row.tls ? 'https' : 'http'}://127.0.0.1:${peer.port}`;
  const session = http2.connect(origin, { rejectUnauthorized: false });
  try {
    const { status, encoding, body } = await new Promise<{ status: number; encoding: unknown; body: Buffer }>((resolvePromise, reject) => {
      session.once('error', reject);
      const req = session.request({ ':path': `/${row.file.name}` });
      const chunks: Buffer[] = [];
      let head: http2.IncomingHttpHeaders = {};
      req.on('response', (h) => (head = h));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolvePromise({ status: Number(head[':status']), encoding: head['content-encoding'], body: Buffer.concat(chunks) }));
      req.on('error', reject);
      req.end();
    });
    if (status !== 200 || encoding !== undefined || !body.equals(expected)) {
      throw new Error(`${peer.spec.name} answered ${origin}/${row.file.name} with ${status}, content-encoding ${String(encoding)}, ${body.length} bytes${body.equals(expected) ? '' : ' (not the file)'}`);
    }
  } finally {
    session.close();
  }
}

// ---------------------------------------------------------------- a row

interface RowResult {
  row: Row;
  /** Per peer: req/s and CPU us per request of each round, and N of its measured runs. */
  rps: Map<string, number[]>;
  cpu: Map<string, number[]>;
  n: Map<string, number>;
}

/** N for ~`seconds` of load at the probe's rate: two significant digits, at least the probe. */
function sizeN(rate: number, seconds: number, probe: number): number {
  const n = Math.max(probe, rate * seconds);
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.round(n / scale) * scale;
}

async function runRow(row: Row, specs: PeerSpec[], site: Site, bodies: Map<string, Buffer>, opts: Options): Promise<RowResult> {
  const result: RowResult = { row, rps: new Map(), cpu: new Map(), n: new Map() };
  const peers: RunningPeer[] = [];
  const { size, probe } = row.file;
  try {
    for (const spec of specs) peers.push(await startPeer(spec, site, row.tls));
    for (const peer of peers) {
      await checkServes(peer, row, bodies.get(row.file.name)!);
      // The probe warms the server up (JIT, caches) and measures how many requests fill the run.
      const rate = await h2load(url(peer, row), probe, size);
      result.n.set(peer.spec.name, opts.fixedN ?? sizeN(rate, opts.seconds, probe));
      result.rps.set(peer.spec.name, []);
      result.cpu.set(peer.spec.name, []);
    }
    for (let r = 0; r < opts.rounds; r++) {
      const line: string[] = [];
      for (const peer of roundOrder(peers, r)) {
        const name = peer.spec.name;
        const n = result.n.get(name)!;
        await h2load(url(peer, row), Math.ceil(probe / 4), size);
        const before = peer.cpuSeconds();
        const rate = await h2load(url(peer, row), n, size);
        const cpuUs = ((peer.cpuSeconds() - before) * 1e6) / n;
        result.rps.get(name)!.push(rate);
        result.cpu.get(name)!.push(cpuUs);
        line.push(`${name} ${fmt(rate)} req/s ${fmt(cpuUs)} us/req (-n ${n})`);
      }
      if (opts.verbose) process.stdout.write(`  ${row.key} round ${r + 1}: ${line.join(', ')}\n`);
    }
  } finally {
    for (const p of peers) await p.stop();
  }
  return result;
}

// ---------------------------------------------------------------- the report

/** Median over rounds of a per-round ratio a/b (rounds where both ran). */
function ratioOf(a: number[] | undefined, b: number[] | undefined, invert: boolean): number {
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return NaN;
  return median(a.map((v, i) => (invert ? b[i]! / v : v / b[i]!)));
}

/** Two decimals, or three (rounded down) where two would round a ratio below its goal up to it (4.996 -> "4.996", not "5.00"). */
function ratioText(ratio: number, goal: number): string {
  const two = ratio.toFixed(2);
  return ratio < goal && Number(two) >= goal ? (Math.floor(ratio * 1000) / 1000).toFixed(3) : two;
}

function render(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const out = (cols: string[]): string => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [out(header), out(widths.map((w) => '-'.repeat(w))), ...lines.map(out)].join('\n');
}

/**
 * One table: a column per server (median round), then h2kit against each peer with the
 * issue's goal. For CPU the ratio is peer CPU / h2kit CPU, so both tables read the same way:
 * above 1 means h2kit does better, and the goals apply to both.
 */
function table(results: RowResult[], specs: PeerSpec[], metric: 'rps' | 'cpu'): string {
  const names = specs.map((s) => s.name);
  const extras = specs.filter((s) => s.kind === 'h2kit' && s.name !== 'h2kit').map((s) => s.name);
  const goals = GOALS.filter((g) => names.includes(g.peer));
  const short = (peer: string): string => (peer === 'node:http2' ? 'node' : peer);
  const header = [
    'row',
    ...names,
    ...goals.map((g) => (metric === 'rps' ? `h2kit/${short(g.peer)} (goal >= ${g.goal}x)` : `${short(g.peer)}/h2kit (goal >= ${g.goal}x)`)),
    ...extras.map((e) => (metric === 'rps' ? `${e}/h2kit` : `h2kit/${e}`)),
  ];
  const lines = results.map((res) => {
    const values = res[metric];
    const h2kit = values.get('h2kit');
    const invert = metric === 'cpu';
    return [
      res.row.title,
      ...names.map((n) => fmt(median(values.get(n) ?? []))),
      ...goals.map((g) => {
        const ratio = ratioOf(h2kit, values.get(g.peer), invert);
        return Number.isNaN(ratio) ? '-' : `${ratioText(ratio, g.goal)}x ${ratio >= g.goal ? 'met' : 'MISSED'}`;
      }),
      ...extras.map((e) => {
        // Extra builds against the main one, in the same sense as the table (above 1: the extra does better).
        const ratio = ratioOf(values.get(e), h2kit, invert);
        return Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}x`;
      }),
    ];
  });
  return render(header, lines);
}

function peerSpecs(serverArgs: string[], peerFilter: string[] | null): { specs: PeerSpec[]; notes: string[] } {
  const notes: string[] = [];
  let cli = join(REPO, 'dist', 'src', 'cli', 'main.js');
  const extras: PeerSpec[] = [];
  for (const s of serverArgs) {
    const eq = s.indexOf('=');
    // NAME=PATH adds a build as a column of its own; a bare PATH replaces the h2kit measured.
    if (eq < 0) cli = resolve(s);
    else extras.push({ name: s.slice(0, eq), kind: 'h2kit', cli: resolve(s.slice(eq + 1)) });
  }
  const all: PeerSpec[] = [
    { name: 'h2kit', kind: 'h2kit', cli },
    ...extras,
    { name: 'nghttpd', kind: 'nghttpd' },
    { name: 'h2o', kind: 'h2o' },
    { name: 'node:http2', kind: 'node' },
  ];
  const specs = all.filter((s) => {
    // --peers names the kinds (h2kit, nghttpd, h2o, node); builds added with --server always run.
    const isExtra = s.kind === 'h2kit' && s.name !== 'h2kit';
    if (peerFilter !== null && !isExtra && !peerFilter.includes(s.kind)) return false;
    if (s.kind === 'nghttpd' && !commandExists('nghttpd')) {
      notes.push('nghttpd is not installed (Debian: nghttp2-server): its column is skipped');
      return false;
    }
    if (s.kind === 'h2o' && !commandExists('h2o')) {
      notes.push('h2o is not installed (Debian: h2o): its column is skipped');
      return false;
    }
    return true;
  });
  return { specs, notes };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      n: { type: 'string', short: 'n' },
      rows: { type: 'string' },
      peers: { type: 'string' },
      server: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
    },
  });
  if (!haveCommand('static', 'h2load', 'nghttp2-client')) return;
  const quick = values.quick === true;
  const opts: Options = {
    rounds: Number(values.rounds ?? (quick ? 2 : 3)),
    seconds: Number(values.seconds ?? (quick ? 0.7 : 2)),
    fixedN: values.n === undefined ? null : Number(values.n),
    verbose: values.verbose === true,
    rows: ROWS,
  };
  if (!(opts.rounds >= 1) || !(opts.seconds > 0) || (opts.fixedN !== null && !(opts.fixedN >= 1))) {
    throw new Error('static: --rounds, --seconds and -n take positive numbers');
  }
  if (values.rows !== undefined) {
    const keys = values.rows.split(',');
    const unknown = keys.filter((k) => !ROWS.some((r) => r.key === k));
    if (unknown.length > 0) throw new Error(`static: unknown rows ${unknown.join(', ')} (rows: ${ROWS.map((r) => r.key).join(', ')})`);
    opts.rows = ROWS.filter((r) => keys.includes(r.key));
  }
  const { specs, notes } = peerSpecs(values.server, values.peers === undefined ? null : values.peers.split(','));
  if (!specs.some((s) => s.name === 'h2kit')) throw new Error('static: --peers must include h2kit (the ratios are to it)');
  const started = Date.now();
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(`static: ${new Date().toISOString()}, load average ${load()}; ${specs.map((s) => s.name).join(', ')}\n`);
  for (const kind of new Set(specs.map((s) => s.kind))) process.stdout.write(`  ${kind}: ${versionOf(kind)}\n`);
  for (const s of specs.filter((p) => p.kind === 'h2kit')) process.stdout.write(`  ${s.name}: node ${s.cli} serve\n`);
  for (const note of notes) process.stdout.write(`  ${note}\n`);
  process.stdout.write(
    `  h2load ${LOAD.join(' ')} -n N; N per server and row for ~${opts.seconds} s (${opts.fixedN === null ? 'from a probe run' : `fixed: ${opts.fixedN}`}); ${opts.rounds} rounds, servers alternating; medians\n`,
  );
  const { site, bodies } = makeSite();
  try {
    const results: RowResult[] = [];
    for (const row of opts.rows) results.push(await runRow(row, specs, site, bodies, opts));
    process.stdout.write(`\nRequests per second (median round; ratios: median of the per-round ratios):\n\n${table(results, specs, 'rps')}\n`);
    process.stdout.write(`\nServer CPU per request, us (user + system of the server's process tree over the measured run / N;\npeer/h2kit: the peer's CPU per request over h2kit's, above 1 when h2kit spends less):\n\n${table(results, specs, 'cpu')}\n`);
    process.stdout.write(`\nN of the measured runs (h2load ${LOAD.join(' ')} -n N https?://127.0.0.1:PORT/FILE):\n\n`);
    process.stdout.write(`${render(['row', ...specs.map((s) => s.name)], results.map((r) => [r.row.title, ...specs.map((s) => fmt(r.n.get(s.name) ?? NaN))]))}\n`);
    process.stdout.write(`\nstatic: ${((Date.now() - started) / 1000).toFixed(0)} s, load average at the end ${load()}\n`);
  } finally {
    rmSync(dirname(site.root), { recursive: true, force: true });
  }
}
