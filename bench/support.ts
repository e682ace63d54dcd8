/**
 * What the benches that run peers as child processes share (`http2.ts`, `client.ts`): finding
 * commands, ports and CPU time, stopping children, medians and number formatting.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** utime + stime of a process from /proc/PID/stat (clock ticks of 1/100 s on Linux). */
/**
 * False, after one line saying the bench `bench` is skipped, when `cmd` (from Debian package
 * `debianPackage`) is not installed; true when it is.
 */
export function haveCommand(bench: string, cmd: string, debianPackage: string): boolean {
  if (commandExists(cmd)) return true;
  process.stdout.write(`${bench}: ${cmd} is not installed (Debian: apt-get install ${debianPackage}); skipped\n`);
  return false;
}

export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`server did not listen on ${port} within ${timeoutMs} ms`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    // Node peers exit when their stdin closes (so --cpu-prof gets written); nghttpd gets SIGTERM.
    child.stdin?.end();
    if (child.stdin === null) child.kill('SIGTERM');
  });
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Peers in round `r`: rotated so that each peer leads some rounds. */
export function roundOrder<T>(peers: T[], r: number): T[] {
  const k = r % peers.length;
  return [...peers.slice(k), ...peers.slice(0, k)];
}

export function fmt(n: number): string {
  if (Number.isNaN(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** What one h2load run reported: its rate, its request outcomes, its status classes and DATA bytes. */
export interface H2loadResult {
  reqPerSec: number;
  succeeded: number;
  /** Failed, errored and timed-out requests together. */
  failed: number;
  /** 2xx responses. */
  ok2xx: number;
  /** 3xx, 4xx and 5xx responses. */
  non2xx: number;
  /** Response body octets (h2load's "(N) data"). */
  dataBytes: number;
  output: string;
}

/** Runs `h2load ARGS` and parses its summary; rejects when it fails or prints no summary. */
export function runH2load(args: string[]): Promise<H2loadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.on('error', reject);
    child.on('close', (code) => {
      const finished = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(output);
      const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(output);
      const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(output);
      const data = /\((\d+)\) data/.exec(output);
      if (code !== 0 || finished === null || requests === null || status === null) {
        reject(new Error(`h2load ${args.join(' ')} failed (exit ${code}):\n${output}`));
        return;
      }
      resolve({
        reqPerSec: Number(finished[1]),
        succeeded: Number(requests[1]),
        failed: Number(requests[2]) + Number(requests[3]) + Number(requests[4]),
        ok2xx: Number(status[1]),
        non2xx: Number(status[2]) + Number(status[3]) + Number(status[4]),
        dataBytes: data === null ? -1 : Number(data[1]),
        output,
      });
    });
  });
}
