/**
 * Several large files at once to a client with node:http2's default windows (65535 octets per
 * stream and for the connection): the responses must share the connection window and all
 * complete. This once hung the server at 100% CPU: the connection's flushData re-visited a
 * stream forever when its queue drained exactly as the connection window ran out. The test
 * bounds its own time and kills the server, so a regression fails it rather than hanging the run.
 * Run twice: with the default descriptor caps, and with caps far below the streams (2 files per
 * process, 1 per connection), where the file bodies must wait their turn and still all complete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, request, startServe } from './support.js';

const FILES = 5;
const SIZE = 512 * 1024;
const LIMIT_MS = 15_000;

/** Runs the test with `flags`: the default limits, and descriptor caps far below the streams (they wait their turn). */
for (const flags of [[], ['--max-open-files', '2', '--max-open-files-per-connection', '1']]) {
  test(`${FILES} concurrent ${SIZE / 1024} KiB files to a client with 64 KiB windows all arrive intact${flags.length > 0 ? ` (${flags.join(' ')})` : ''}`, () => concurrentFiles(flags));
}

async function concurrentFiles(flags: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-conc-'));
  const sums: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const data = randomBytes(SIZE);
    writeFileSync(join(dir, `f${i}.bin`), data);
    sums.push(createHash('sha256').update(data).digest('hex'));
  }
  const serve = await startServe([dir, '--no-tls', '--port', '0', ...flags]);
  const session = await connect(serve.origin);
  let timer: NodeJS.Timeout | undefined;
  try {
    const all = Promise.all(Array.from({ length: FILES }, (_, i) => request(session, `/f${i}.bin`)));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not all ${FILES} responses arrived in ${LIMIT_MS} ms`)), LIMIT_MS);
    });
    const responses = await Promise.race([all, timeout]);
    responses.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(createHash('sha256').update(r.body).digest('hex'), sums[i]);
    });
  } finally {
    clearTimeout(timer);
    session.destroy();
    serve.child.kill('SIGKILL');
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
