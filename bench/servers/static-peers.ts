/**
 * The servers of `bench/static.ts`, started and measured from the bench's side: `h2kit serve`
 * (the built CLI, or another build's), `nghttpd -d`, h2o (a generated config, one thread) and
 * node:http2 `respondWithFile` (`static-node-http2.ts`). Each serves the same folder on
 * 127.0.0.1, over h2c or TLS with the bench's certificate.
 *
 * A server's CPU time is that of its whole process tree: h2o runs a master with its worker
 * thread plus helper processes (neverbleed, which does the TLS private-key operations, and a
 * crash handler), and any server may fork; summing the tree is the only fair count.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stopChild, waitForPort } from '../support.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export type PeerKind = 'h2kit' | 'nghttpd' | 'h2o' | 'node';

export interface PeerSpec {
  /** The column it gets: `h2kit`, `nghttpd`, `h2o`, `node:http2`, or a name given with --server. */
  name: string;
  kind: PeerKind;
  /** h2kit only: the CLI's main.js to run. */
  cli?: string;
}

export interface Site {
  /** The folder served. */
  root: string;
  /** A scratch folder for configs and logs. */
  work: string;
  key: string;
  cert: string;
}

export interface RunningPeer {
  spec: PeerSpec;
  port: number;
  /** user + system CPU seconds of the server's process tree, reaped children included. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- CPU of a process tree

interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime, clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null; // gone between the listing and the read
  }
  // Field 2 (the command) is in parentheses and may hold spaces: count the fields after it.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** The pids of `root` and all its descendants now alive. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    const list = children.get(stat.ppid);
    if (list === undefined) children.set(stat.ppid, [Number(entry)]);
    else list.push(Number(entry));
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/**
 * CPU seconds of a process tree. cutime/cstime carry the time of children that exited and
 * were waited for, so a helper that ends between two readings still counts (in its parent).
 */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / 100; // USER_HZ is 100 on Linux
}

// ---------------------------------------------------------------- starting

function running(spec: PeerSpec, port: number, child: ChildProcess): RunningPeer {
  const pid = child.pid!;
  return {
    spec,
    port,
    cpuSeconds: () => treeCpuSeconds(pid),
    async stop() {
      const tree = processTree(pid);
      await stopChild(child);
      // Helpers that outlive their parent (none should) are ended by their own ids.
      for (const p of tree.slice(1)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

/** `h2kit serve`: the port is read from its banner (`listening on HOST port N`). */
async function startH2kit(spec: PeerSpec, site: Site, tls: boolean): Promise<RunningPeer> {
  const transport = tls ? ['--cert', site.cert, '--key', site.key] : ['--no-tls'];
  // stdin ignored: stopChild then sends SIGTERM, which serve answers by closing and exiting.
  const child = spawn(process.execPath, [spec.cli!, 'serve', '--port', '0', ...transport, site.root], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.name}: no "listening on" line within 20 s:\n${out}`)), 20000);
    const onText = (t: string): void => {
      out += t;
      const m = /listening on \S+ port (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onText);
    child.stderr!.setEncoding('utf8').on('data', onText);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} (${spec.cli}) exited with ${code} before listening:\n${out}`));
    });
  });
  return running(spec, port, child);
}

async function startNghttpd(spec: PeerSpec, site: Site, tls: boolean): Promise<RunningPeer> {
  const port = await freePort();
  // One worker thread (its default) and no logging without -v.
  const args = tls ? ['-d', site.root, String(port), site.key, site.cert] : ['--no-tls', '-d', site.root, String(port)];
  const child = spawn('nghttpd', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, child, 10000);
  return running(spec, port, child);
}

/**
 * h2o with one worker thread. Written out so the row is fair: no access log (h2o logs only
 * when `access-log` is set), on-the-fly compression off (`compress: OFF`, its default) and no
 * precompressed siblings looked for (`file.send-compressed: OFF`, its default): h2load asks
 * for no encoding anyway, so this only rules out the cost of looking. OCSP stapling is off:
 * its fetcher would run as a child process against a self-signed certificate.
 */
export function h2oConfig(site: Site, port: number, tls: boolean): string {
  const ssl = tls
    ? [`  ssl:`, `    certificate-file: ${JSON.stringify(site.cert)}`, `    key-file: ${JSON.stringify(site.key)}`, `    ocsp-update-interval: 0`]
    : [];
  return [
    'num-threads: 1',
    `error-log: ${JSON.stringify(join(site.work, `h2o-${tls ? 'tls' : 'h2c'}-error.log`))}`,
    'compress: OFF',
    'listen:',
    '  host: 127.0.0.1',
    `  port: ${port}`,
    ...ssl,
    'hosts:',
    '  default:',
    '    paths:',
    '      /:',
    `        file.dir: ${JSON.stringify(site.root)}`,
    '        file.send-compressed: OFF',
    '',
  ].join('\n');
}

async function startH2o(spec: PeerSpec, site: Site, tls: boolean): Promise<RunningPeer> {
  const port = await freePort();
  const conf = join(site.work, `h2o-${tls ? 'tls' : 'h2c'}.conf`);
  writeFileSync(conf, h2oConfig(site, port, tls));
  const check = spawnSync('h2o', ['-t', '-c', conf], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`h2o rejected its config ${conf}:\n${check.stdout}${check.stderr}`);
  // Started as root, h2o serves as "nobody": the bench's folders are made world-readable for it.
  const child = spawn('h2o', ['-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await waitForPort(port, child, 10000);
  } catch (err) {
    const log = join(site.work, `h2o-${tls ? 'tls' : 'h2c'}-error.log`);
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // no log written
    }
    await stopChild(child);
    throw new Error(`h2o (${conf}): ${(err as Error).message}\n${text}`);
  }
  return running(spec, port, child);
}

async function startNode(spec: PeerSpec, site: Site, tls: boolean): Promise<RunningPeer> {
  const script = join(HERE, 'static-node-http2.js');
  const child = spawn(process.execPath, [script, site.root, ...(tls ? ['--tls', dirname(site.cert)] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      const m = /listening (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`static-node-http2.js exited with ${code} before listening`)));
  });
  return running(spec, port, child);
}

export function startPeer(spec: PeerSpec, site: Site, tls: boolean): Promise<RunningPeer> {
  switch (spec.kind) {
    case 'h2kit':
      return startH2kit(spec, site, tls);
    case 'nghttpd':
      return startNghttpd(spec, site, tls);
    case 'h2o':
      return startH2o(spec, site, tls);
    case 'node':
      return startNode(spec, site, tls);
  }
}

/** One line naming the version of each peer program, for the report's header. */
export function versionOf(kind: PeerKind): string {
  const run = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]!.trim();
  };
  switch (kind) {
    case 'h2kit':
      return `Node ${process.version}`;
    case 'nghttpd':
      return run('nghttpd', ['--version']);
    case 'h2o':
      return run('h2o', ['--version']);
    case 'node':
      return `node:http2 ${process.version}`;
  }
}
