/**
 * Large files read up to 256 KiB at a time (src/io/file-body.ts FILE_READ_SIZE) and cut into DATA
 * frames as the windows and the peer's max frame size allow: what clients see, frame by frame,
 * whatever the windows:
 *   - nghttp's own frame log: DATA frames of at most 16384 octets (full ones but the last, with
 *     large windows), within small windows when those are small, END_STREAM on the last only;
 *   - node:http2 (nghttp2 inside): every body intact, with a max frame size larger than 16384,
 *     with a window smaller than one frame, and when a stream is reset mid-file on a connection
 *     that goes on.
 * The server runs with H2KIT_DEBUG_BUFFERS=1: a read buffer given back before its bytes left
 * is poisoned (0xdb) at once and shows up as a corrupt body.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCommand } from '../deploy/helpers/tools.js';
import { connect, request, startServe, type ServeProcess } from './support.js';

/** Several reads (the last 12,345 octets) and a short last frame. */
const SIZE = 1024 * 1024 + 12_345;

let dir: string;
let data: Buffer;
let serve: ServeProcess;

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'h2kit-large-frames-'));
  data = randomBytes(SIZE);
  writeFileSync(join(dir, 'big.bin'), data);
  serve = await startServe([dir, '--no-tls', '--port', '0'], 20_000, { env: { H2KIT_DEBUG_BUFFERS: '1' } });
});

after(async () => {
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface LoggedData {
  length: number;
  flags: number;
  streamId: number;
}

/** The DATA frames nghttp received for one GET of /big.bin, from its own frame log (`-v`). */
function nghttpData(args: string[]): LoggedData[] {
  // identity: nghttp asks for gzip by default, and serve compresses what it may.
  const run = spawnSync('nghttp', ['-v', '-n', '-H', 'accept-encoding: identity', ...args, `${serve.origin}/big.bin`], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  const frames: LoggedData[] = [];
  for (const m of run.stdout.matchAll(/recv DATA frame <length=(\d+), flags=0x([0-9a-f]+), stream_id=(\d+)>/g)) {
    frames.push({ length: Number(m[1]), flags: parseInt(m[2]!, 16), streamId: Number(m[3]) });
  }
  return frames;
}

const skipNghttp = findCommand('nghttp') === undefined ? 'nghttp not installed: apt-get install nghttp2-client' : false;

test('nghttp with large windows: full 16384-octet DATA frames, the last one short and alone ending the stream', { skip: skipNghttp }, () => {
  const frames = nghttpData(['-w', '30', '-W', '30']);
  assert.equal(frames.reduce((n, f) => n + f.length, 0), SIZE);
  assert.ok(frames.slice(0, -1).every((f) => f.length === 16384 && f.flags === 0), JSON.stringify(frames.slice(0, 5)));
  assert.deepEqual(frames.at(-1), { length: SIZE % 16384, flags: 1, streamId: frames[0]!.streamId });
  assert.ok(frames.every((f) => f.streamId === frames[0]!.streamId));
});

test('nghttp with windows smaller than a frame and than a read: no frame beyond them, the whole body, one END_STREAM', { skip: skipNghttp }, () => {
  // A stream window of 8191 octets and a connection window of 32767: reads and frames of at most that.
  const frames = nghttpData(['-w', '13', '-W', '15']);
  assert.equal(frames.reduce((n, f) => n + f.length, 0), SIZE);
  assert.ok(frames.every((f) => f.length <= 8191), JSON.stringify(frames.filter((f) => f.length > 8191).slice(0, 3)));
  assert.equal(frames.filter((f) => (f.flags & 1) !== 0).length, 1);
  assert.equal(frames.at(-1)!.flags & 1, 1);
});

test('node:http2 with a max frame size larger than 16384 and large windows: bodies intact, again and again', async () => {
  const session = await connect(serve.origin, { settings: { maxFrameSize: 1 << 20, initialWindowSize: 16 * 1024 * 1024 } });
  try {
    session.setLocalWindowSize(64 * 1024 * 1024);
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(Array.from({ length: 4 }, () => request(session, '/big.bin')));
      for (const r of responses) {
        assert.equal(r.status, 200);
        assert.equal(r.body.length, SIZE);
        assert.equal(sha(r.body), sha(data));
      }
    }
  } finally {
    session.destroy();
  }
});

test('node:http2 with a stream window smaller than one frame: the body arrives intact', async () => {
  const session = await connect(serve.origin, { settings: { initialWindowSize: 10_000 } });
  try {
    const r = await request(session, '/big.bin');
    assert.equal(r.status, 200);
    assert.equal(sha(r.body), sha(data));
  } finally {
    session.destroy();
  }
});

test('a stream reset mid-file: the others on the connection, and the next ones, arrive intact', async () => {
  const session = await connect(serve.origin, { settings: { initialWindowSize: 16 * 1024 * 1024 } });
  try {
    session.setLocalWindowSize(64 * 1024 * 1024);
    for (let round = 0; round < 3; round++) {
      const cancelled = new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': '/big.bin' });
        req.end();
        let got = 0;
        req.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL);
        });
        req.on('close', () => resolve(got));
        req.on('error', reject);
      });
      const whole = await Promise.all([request(session, '/big.bin'), cancelled, request(session, '/big.bin')]);
      assert.ok((whole[1] as number) > 0 && (whole[1] as number) < SIZE, `the reset stream got ${whole[1]} octets`);
      for (const r of [whole[0], whole[2]]) assert.equal(sha(r.body), sha(data));
    }
    assert.equal(sha((await request(session, '/big.bin')).body), sha(data));
  } finally {
    session.destroy();
  }
});
