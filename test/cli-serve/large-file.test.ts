/**
 * A 100 MiB file served with flat memory: the file is streamed (reads of up to 256 KiB, pulled only as
 * flow control and the socket allow), never read whole. The file is sparse (truncate: no disk
 * space used) in a temp folder, deleted afterwards. The server's RSS is sampled from /proc
 * while node:http2 downloads it; the growth must stay far below the file's size.
 * Also: a range in the middle of it, and a client that stops reading then resets the stream.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, ftruncateSync, writeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type http2 from 'node:http2';
import { connect, request, startServe, type ServeProcess } from './support.js';
import { pingRoundTrip, waitFor } from '../helpers/wait.js';

const SIZE = 100 * 1024 * 1024;
/**
 * "Well under the file size". What growth there is, is garbage awaiting V8's next collection:
 * each read is a new Buffer whose memory lives outside the JS heap, and V8 collects it
 * when that external memory has grown by some tens of MiB. Measured: about 29-33 MiB here, the
 * same for a 400 MiB file, so it does not scale with the file. Reading the file whole would
 * grow RSS by the file's 100 MiB at least. Half the file is the line a regression crosses.
 */
const MAX_RSS_GROWTH = SIZE / 2;

let dir: string;
let serve: ServeProcess;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/PID/status');
  return Number(m[1]) * 1024;
}

const mib = (n: number): string => (n / 1048576).toFixed(1) + ' MiB';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'h2kit-big-'));
  const fd = openSync(join(dir, 'big.bin'), 'w');
  ftruncateSync(fd, SIZE);
  // A marker at a known offset so a range can be checked against real content.
  writeSync(fd, Buffer.from('MIDDLE-MARKER'), 0, 13, 50 * 1024 * 1024);
  closeSync(fd);
  serve = await startServe([dir, '--no-tls', '--port', '0']);
});

after(async () => {
  await serve?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('100 MiB downloaded whole with the server RSS growing far less than the file', async () => {
  const pid = serve.child.pid!;
  // Warm up (first request loads code paths), then take the baseline.
  const session = await connect(serve.origin);
  await request(session, '/nope');
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // the process may be gone at the very end
    }
  }, 20);
  let received = 0;
  const status = await new Promise<number>((resolve, reject) => {
    const req = session.request({ ':path': '/big.bin' });
    let code = 0;
    req.on('response', (h) => {
      code = Number(h[':status']);
      assert.equal(h['content-length'], String(SIZE));
      assert.equal(h['content-type'], 'application/octet-stream');
    });
    req.on('data', (c: Buffer) => {
      received += c.length;
    });
    req.on('end', () => resolve(code));
    req.on('error', reject);
  });
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  session.close();
  const growth = peak - baseline;
  console.log(`# 100 MiB file: received ${received} bytes; server RSS baseline ${mib(baseline)}, peak ${mib(peak)}, growth ${mib(growth)} (limit ${mib(MAX_RSS_GROWTH)})`);
  assert.equal(status, 200);
  assert.equal(received, SIZE);
  assert.ok(growth < MAX_RSS_GROWTH, `server RSS grew by ${mib(growth)} while serving a ${mib(SIZE)} file`);
});

test('a range in the middle of the big file: 206 with exactly those bytes', async () => {
  const session = await connect(serve.origin);
  try {
    const start = 50 * 1024 * 1024;
    const r = await request(session, '/big.bin', { range: `bytes=${start}-${start + 12}` });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes ${start}-${start + 12}/${SIZE}`);
    assert.equal(r.body.toString(), 'MIDDLE-MARKER');
  } finally {
    session.close();
  }
});

test('a client that stops reading holds the server to its window; a reset then frees the stream', async () => {
  const session: http2.ClientHttp2Session = await connect(serve.origin);
  const pid = serve.child.pid!;
  const baseline = rssOf(pid);
  const req = session.request({ ':path': '/big.bin' });
  let received = 0;
  req.on('data', (c: Buffer) => {
    received += c.length;
    if (received > 1024 * 1024) req.pause();
  });
  // The reader paused, then the server spent the stream's window: it may send nothing more.
  await waitFor(() => req.isPaused() && req.state.localWindowSize === 0, { what: "the server to fill the paused stream's window", timeout: 20_000 });
  const stalledAt = received + req.readableLength;
  // PING round trips: the server has handled everything before them, its file reads included.
  await pingRoundTrip(session);
  await pingRoundTrip(session);
  const growth = rssOf(pid) - baseline;
  console.log(`# paused client: received ${mib(stalledAt)}, then ${mib(received + req.readableLength)}; server RSS growth ${mib(growth)}`);
  assert.equal(received + req.readableLength, stalledAt, 'nothing arrived past the shut window');
  assert.ok(stalledAt < SIZE / 2, 'the server did not push the file past the paused reader');
  assert.ok(growth < MAX_RSS_GROWTH);
  req.close(0x8); // CANCEL
  await new Promise<void>((resolve) => req.once('close', () => resolve()));
  // The connection still serves afterwards.
  const r = await request(session, '/nope');
  assert.equal(r.status, 404);
  session.close();
});
