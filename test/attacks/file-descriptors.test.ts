/**
 * File descriptors and read buffers held by streams that may not send (issue 12, items 2 and 8).
 *
 * `h2kit serve` runs as a child process under `ulimit -n 1024`, as it would on a common host,
 * on a folder with a 1 MiB file and a small one. Twenty raw attackers each ask for the big file
 * on 100 streams:
 *   - with SETTINGS_INITIAL_WINDOW_SIZE 0 (nothing may be sent): no stream may hold a descriptor
 *     or a read buffer at all;
 *   - with 16 KiB windows (one chunk is sent, then the stream stalls): descriptors stay under the
 *     per-process cap and are released after the linger.
 * Meanwhile an honest node:http2 client, on a connection opened during the attack, fetches the big
 * and the small file over and over and must get every byte, every time. The child's descriptors
 * are counted in /proc/PID/fd and its RSS in /proc/PID/status.
 *
 * Then, in process: streams reset in the same packet as their request make the static site open
 * no file (counted on `fs.open`, which both the old file streams and the new file bodies use).
 */
import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import type http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/errors.js';
import { FrameType, SettingId } from '../../src/frame/index.js';
import { HTTP2Server } from '../../src/server/server.js';
import { StaticSite } from '../../src/cli/static/site.js';
import { connect, request, startServe, type ServeProcess } from '../cli-serve/support.js';
import { Attacker, QuietLogger } from './support.js';
import { waitFor } from '../helpers/wait.js';

const ATTACKERS = 20;
const STREAMS = 100;
const BIG = 1024 * 1024;
const ULIMIT = 1024;
const ROUNDS = 10;
const MAX_WINDOW = 0x7fffffff;
const MiB = 1024 * 1024;

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/PID/status');
  return Number(m[1]) * 1024;
}

/** Samples the child's descriptors and RSS until stopped; keeps the peaks. */
function sampleChild(pid: number): { peakFds: number; peakRss: number; stop(): void } {
  const s = {
    peakFds: 0,
    peakRss: 0,
    stop: () => clearInterval(timer),
  };
  const sample = (): void => {
    try {
      s.peakFds = Math.max(s.peakFds, fdCount(pid));
      s.peakRss = Math.max(s.peakRss, rssOf(pid));
    } catch {
      // the child may be gone at the very end
    }
  };
  sample();
  const timer = setInterval(sample, 10);
  return s;
}

function makeFolder(): { dir: string; bigSum: string; small: Buffer; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-fds-'));
  const big = randomBytes(BIG);
  writeFileSync(join(dir, 'big.bin'), big);
  const small = Buffer.from('small file\n'.repeat(100));
  writeFileSync(join(dir, 'small.txt'), small);
  return { dir, bigSum: createHash('sha256').update(big).digest('hex'), small, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves once `done()` holds, checked on each chunk the attacker receives; rejects after `ms`. */
function until(a: Attacker, done: () => boolean, ms: number, what: string): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!done()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: not within ${ms} ms`));
    }, ms);
    const cleanup = (): void => {
      clearTimeout(timer);
      a.socket.off('data', check);
      a.socket.off('close', check);
    };
    // Attacker's own listener was added first: the counters are up to date when this runs.
    a.socket.on('data', check);
    a.socket.on('close', check);
  });
}

/** Twenty attackers, each with STREAMS requests for the big file under `window`, all answered (HEADERS) before this resolves. */
async function attack(port: number, window: number): Promise<Attacker[]> {
  const attackers = await Promise.all(Array.from({ length: ATTACKERS }, () => Attacker.connect(port)));
  for (const a of attackers) {
    a.start([[SettingId.INITIAL_WINDOW_SIZE, window]]);
    // The connection window wide open: only the streams' windows hold the responses back.
    a.writer.windowUpdate(0, MAX_WINDOW - 65535);
    for (let k = 0, id = 1; k < STREAMS; k++, id += 2) a.writer.headers(id, a.requestBlock('/big.bin'), true, 16384);
    await a.send();
  }
  // Every stream has its response under way (or was refused): the streams are held from here on.
  const expected = window === 0 ? 0 : Math.min(window, BIG);
  await Promise.all(
    attackers.map((a) =>
      until(a, () => a.closed || a.count(FrameType.HEADERS) + a.resetCount() >= STREAMS, 10_000, 'responses started').then(() =>
        until(a, () => a.closed || a.dataBytes + a.resetCount() * expected >= STREAMS * expected, 10_000, 'first windows filled'),
      ),
    ),
  );
  return attackers;
}

interface Honest {
  ok: number;
  failed: string[];
  /** ms per request, by file. */
  big: number[];
  small: number[];
}

/** ROUNDS x (big file, small file) on a fresh connection; every body checked. */
async function honestRounds(origin: string, bigSum: string, small: Buffer): Promise<Honest> {
  const h: Honest = { ok: 0, failed: [], big: [], small: [] };
  let session: http2.ClientHttp2Session;
  try {
    session = await connect(origin);
  } catch (err) {
    h.failed.push(`connect: ${(err as Error).message}`);
    return h;
  }
  try {
    for (let i = 0; i < ROUNDS; i++) {
      for (const path of ['/big.bin', '/small.txt']) {
        const began = performance.now();
        try {
          const r = await request(session, path);
          (path === '/big.bin' ? h.big : h.small).push(performance.now() - began);
          const good = path === '/big.bin' ? createHash('sha256').update(r.body).digest('hex') === bigSum : r.body.equals(small);
          if (r.status === 200 && good) h.ok++;
          else h.failed.push(`${path}: status ${r.status}, ${r.body.length} bytes`);
        } catch (err) {
          h.failed.push(`${path}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    session.destroy();
  }
  return h;
}

/** Whether a plain TCP connect to `port` is accepted now (for failure messages). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** `ok/total, big file median/max ms, small file median/max ms`. */
function describe(h: Honest): string {
  const ms = (xs: number[]): string => `${median(xs).toFixed(1)}/${xs.length === 0 ? 'NaN' : Math.max(...xs).toFixed(1)} ms`;
  return `${h.ok}/${ROUNDS * 2} ok, 1 MiB file median/max ${ms(h.big)}, small file ${ms(h.small)}`;
}

/** Serves the folder under `ulimit -n 1024`, warms it up, and returns the baseline descriptors and RSS. */
async function serveLimited(dir: string, bigSum: string, small: Buffer): Promise<{ serve: ServeProcess; pid: number; baseFds: number; baseRss: number; idle: Honest }> {
  const serve = await startServe([dir, '--no-tls', '--port', '0'], 20_000, { maxOpenFiles: ULIMIT });
  const pid = serve.child.pid!;
  const fresh = fdCount(pid);
  // Warm up (code paths, the small-file cache) with the honest client's rounds, unattacked: its latency baseline.
  const idle = await honestRounds(serve.origin, bigSum, small);
  assert.deepEqual(idle.failed, []);
  // Until the server has seen that connection go, its socket is still counted.
  await waitFor(() => fdCount(pid) <= fresh, { what: "the server to close the warm-up connection's socket", timeout: 1000, interval: 10 }).catch(() => {});
  return { serve, pid, baseFds: fdCount(pid), baseRss: rssOf(pid), idle };
}

test(`${ATTACKERS} connections x ${STREAMS} zero-window requests for a 1 MiB file under ulimit -n ${ULIMIT}: no descriptor or read buffer held, honest client served`, async (t) => {
  const folder = makeFolder();
  const { serve, pid, baseFds, baseRss, idle } = await serveLimited(folder.dir, folder.bigSum, folder.small);
  const sampler = sampleChild(pid);
  let attackers: Attacker[] = [];
  try {
    attackers = await attack(serve.port, 0);
    const honest = await honestRounds(serve.origin, folder.bigSum, folder.small);
    const heldFds = fdCount(pid);
    sampler.stop();
    const growth = (sampler.peakRss - baseRss) / MiB;
    t.diagnostic(
      `baseline ${baseFds} fds, ${(baseRss / MiB).toFixed(1)} MiB; under attack peak ${sampler.peakFds} fds (${heldFds} at the end), ` +
        `RSS growth ${growth.toFixed(1)} MiB; honest unattacked ${describe(idle)}; under attack ${describe(honest)}; ` +
        `attacker streams reset ${attackers.reduce((n, a) => n + a.resetCount(), 0)}`,
    );
    assert.deepEqual(honest.failed, [], `every honest request succeeded (server stderr: ${JSON.stringify(serve.stderr().slice(-2000))}; server listening: ${await listening(serve.port)})`);
    assert.equal(honest.ok, ROUNDS * 2);
    // The attackers' sockets, the honest one, and a few files for the honest requests: nothing per attacking stream.
    assert.ok(sampler.peakFds <= baseFds + ATTACKERS + 1 + 8, `peak ${sampler.peakFds} descriptors, baseline ${baseFds}`);
    // 2000 streams with a 64 KiB read each would be 125 MiB; what is left is the streams' own state.
    assert.ok(growth < 48, `RSS grew by ${growth.toFixed(1)} MiB`);
    for (const a of attackers) assert.equal(a.dataBytes, 0, 'nothing was sent past a zero window');
  } finally {
    sampler.stop();
    for (const a of attackers) a.close();
    serve.child.kill('SIGKILL');
    await serve.stop();
    folder.cleanup();
  }
});

test(`${ATTACKERS} connections x ${STREAMS} requests stalled after a 16 KiB window under ulimit -n ${ULIMIT}: descriptors capped, released after the linger, honest client served`, async (t) => {
  const folder = makeFolder();
  const { serve, pid, baseFds, baseRss, idle } = await serveLimited(folder.dir, folder.bigSum, folder.small);
  const sampler = sampleChild(pid);
  let attackers: Attacker[] = [];
  try {
    attackers = await attack(serve.port, 16384);
    const honest = await honestRounds(serve.origin, folder.bigSum, folder.small);
    sampler.stop();
    const growth = (sampler.peakRss - baseRss) / MiB;
    // With every stream stalled, the descriptors go back: the sockets remain.
    const began = performance.now();
    let settled = fdCount(pid);
    // Asserted below, with the numbers: a timeout here only ends the wait.
    await waitFor(() => (settled = fdCount(pid)) <= baseFds + ATTACKERS + 2, { what: 'the descriptors to go back', timeout: 5000, interval: 50 }).catch(() => {});
    const releasedAfter = performance.now() - began;
    t.diagnostic(
      `baseline ${baseFds} fds, ${(baseRss / MiB).toFixed(1)} MiB; under attack peak ${sampler.peakFds} fds, RSS growth ${growth.toFixed(1)} MiB; ` +
        `${settled} fds ${releasedAfter.toFixed(0)} ms after the honest client finished; honest unattacked ${describe(idle)}; ` +
        `under attack ${describe(honest)}; attacker data ${attackers.reduce((n, a) => n + a.dataBytes, 0)} octets, streams reset ${attackers.reduce((n, a) => n + a.resetCount(), 0)}`,
    );
    assert.deepEqual(honest.failed, [], `every honest request succeeded (server stderr: ${JSON.stringify(serve.stderr().slice(-2000))}; server listening: ${await listening(serve.port)})`);
    assert.equal(honest.ok, ROUNDS * 2);
    for (const a of attackers) assert.equal(a.resetCount(), 0, 'no attacking stream failed for want of a descriptor either');
    // The per-process cap under ulimit -n 1024 is 256 (a quarter of the limit).
    assert.ok(sampler.peakFds <= baseFds + ATTACKERS + 1 + 256, `peak ${sampler.peakFds} descriptors, baseline ${baseFds}`);
    assert.ok(settled <= baseFds + ATTACKERS + 2, `${settled} descriptors once every stream had stalled (baseline ${baseFds})`);
    assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB`);
  } finally {
    sampler.stop();
    for (const a of attackers) a.close();
    serve.child.kill('SIGKILL');
    await serve.stop();
    folder.cleanup();
  }
});

test('requests reset in the same packet as their HEADERS open no file; the honest client is served', async (t) => {
  const folder = makeFolder();
  const bigPath = join(folder.dir, 'big.bin');
  // Count opens of the big file by this process: the old file streams and the new file bodies both call fs.open.
  let opens = 0;
  const realOpen = fs.open;
  fs.open = function (this: unknown, ...args: unknown[]) {
    if (args[0] === bigPath) opens++;
    return (realOpen as (...a: unknown[]) => void).apply(this, args);
  } as typeof fs.open;
  const site = new StaticSite({ root: folder.dir });
  const server = new HTTP2Server(['127.0.0.1', 0], site.handlerClass, { logger: new QuietLogger() });
  await server.listen();
  const a = await Attacker.connect(server.port);
  try {
    a.start();
    for (let round = 0, id = 1; round < 5; round++) {
      for (let k = 0; k < 10; k++, id += 2) {
        a.writer.headers(id, a.requestBlock('/big.bin'), true, 16384);
        a.writer.rstStream(id, ErrorCode.CANCEL);
      }
      await a.send();
    }
    // A request after the resets, on the same connection: once it is answered, the resets were all handled.
    a.writer.headers(101, a.requestBlock('/small.txt'), true, 16384);
    await a.send();
    await until(a, () => a.finished.has(101), 5000, 'the request after the resets');
    const afterResets = opens;
    const honest = await honestRounds(`http://127.0.0.1:${server.port}`, folder.bigSum, folder.small);
    t.diagnostic(`50 streams reset with their request: ${afterResets} opens of the file; then the honest client: ${honest.ok} ok, ${opens - afterResets} opens`);
    assert.deepEqual(honest.failed, []);
    assert.equal(afterResets, 0, 'no file opened for a stream reset before its response started');
    assert.ok(opens >= 1, 'the honest requests did open the file (the counter sees opens)');
  } finally {
    fs.open = realOpen;
    a.close();
    await server.close();
    folder.cleanup();
  }
});
