/**
 * What makes large files cheap to send again must never send the wrong bytes:
 *   - read buffers are recycled once the socket has written them (src/buffer-pool.ts,
 *     FILE_READ_BUFFERS): the server runs with H2KIT_DEBUG_BUFFERS=1, which fills every buffer
 *     given back with 0xdb at once, so a buffer given back before its bytes left would show up as
 *     a corrupt body among many large responses sent at once over several connections;
 *   - descriptors are parked for the next response of the same file (src/io/descriptor-cache.ts):
 *     a large file edited in place, replaced by another inode, or deleted after being sent is
 *     answered with its new bytes (or 404), never from the parked descriptor of the old version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync, mkdtempSync, utimesSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, request, startServe } from './support.js';

const SIZE = 1024 * 1024 + 12_345;

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

for (const tls of [false, true]) {
  test(`many large responses at once over several connections (${tls ? 'TLS' : 'h2c'}), buffers poisoned when given back: every body intact`, () => manyAtOnce(tls));
}

async function manyAtOnce(tls: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-reuse-'));
  const sums: string[] = [];
  for (let i = 0; i < 3; i++) {
    const data = randomBytes(SIZE + i * 1000);
    writeFileSync(join(dir, `f${i}.bin`), data);
    sums.push(sha(data));
  }
  const serve = await startServe([dir, ...(tls ? [] : ['--no-tls']), '--port', '0'], 20_000, { env: { H2KIT_DEBUG_BUFFERS: '1' } });
  // Large windows, as browsers and h2load open them: reads of 256 KiB, sockets that fill up.
  const settings = { initialWindowSize: 16 * 1024 * 1024 };
  const sessions = await Promise.all(Array.from({ length: 4 }, () => connect(serve.origin, { settings })));
  try {
    for (const s of sessions) s.setLocalWindowSize(64 * 1024 * 1024);
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(sessions.flatMap((s) => Array.from({ length: 6 }, (_, i) => request(s, `/f${i % 3}.bin`).then((r) => ({ r, i: i % 3 })))));
      for (const { r, i } of responses) {
        assert.equal(r.status, 200);
        assert.equal(sha(r.body), sums[i], `round ${round}: /f${i}.bin arrived intact`);
      }
    }
  } finally {
    for (const s of sessions) s.destroy();
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a large file edited in place, replaced or deleted after being sent is never served from its old version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-reuse-'));
  const file = join(dir, 'big.bin');
  const v1 = randomBytes(SIZE);
  writeFileSync(file, v1);
  const serve = await startServe([dir, '--no-tls', '--port', '0']);
  const session = await connect(serve.origin);
  try {
    const first = await request(session, '/big.bin');
    assert.equal(sha(first.body), sha(v1));
    // Its descriptor is parked now (for 500 ms). Edited in place: same inode, same size, new bytes.
    const v2 = randomBytes(SIZE);
    writeFileSync(file, v2);
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    const edited = await request(session, '/big.bin');
    assert.equal(edited.status, 200);
    assert.equal(sha(edited.body), sha(v2), 'the edited bytes');
    // Replaced: another inode under the same name.
    const v3 = randomBytes(SIZE);
    writeFileSync(join(dir, 'next.tmp'), v3);
    renameSync(join(dir, 'next.tmp'), file);
    const replaced = await request(session, '/big.bin');
    assert.equal(replaced.status, 200);
    assert.equal(sha(replaced.body), sha(v3), 'the new file, not the old inode');
    // Deleted: nothing served, although a descriptor of it may still be parked.
    rmSync(file);
    const deleted = await request(session, '/big.bin');
    assert.equal(deleted.status, 404);
    // The same name again, same size: the new file's bytes.
    const v4 = randomBytes(SIZE);
    writeFileSync(file, v4);
    const again = await request(session, '/big.bin');
    assert.equal(sha(again.body), sha(v4));
  } finally {
    session.destroy();
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
