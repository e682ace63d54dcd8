/**
 * Parked descriptors (src/io/descriptor-cache.ts): a file body done with its descriptor parks it
 * for the next body of the same file version, within the descriptor caps. The next body takes it
 * instead of opening; a file edited, replaced or deleted since is never read from it, even by a
 * body that describes the old version; the caps count parked descriptors, waiters and the linger
 * close them, and they hold no connection's slot.
 *
 * The counters are process-wide; each test uses files of its own and looks at differences.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bodySourceOf, type BodySource } from '../../src/io/body-source.js';
import { FileBodyError, fileBody, fileBodyStats, FILE_READ_SIZE, type FileBodyOptions } from '../../src/io/file-body.js';
import { fileBodyLimits, setFileBodyLimits } from '../../src/io/file-limits.js';
import { waitFor } from '../helpers/wait.js';

const SIZE = 300_000;
let dir: string;
let n = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'h2kit-fdcache-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A new file of SIZE random bytes. */
function newFile(): { path: string; data: Buffer } {
  const path = join(dir, `f${n++}.bin`);
  const data = randomBytes(SIZE);
  writeFileSync(path, data);
  return { path, data };
}

/** Reads a body of `path` to its end (FILE_READ_SIZE pulls): its bytes, or the body's error. */
async function read(path: string, options: FileBodyOptions = {}, connection?: object): Promise<Buffer> {
  const source = bodySourceOf(fileBody(path, options), connection)!;
  const parts: Buffer[] = [];
  while (!source.ended) {
    const chunk = await next(source);
    if (source.error !== undefined) throw source.error;
    if (chunk !== null) parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function next(source: BodySource): Promise<Buffer | null> {
  const chunk = source.pull(FILE_READ_SIZE);
  if (chunk !== null || source.ended || source.error !== undefined) return Promise.resolve(chunk);
  return new Promise((resolve) => {
    const keep = setInterval(() => {}, 1000);
    source.onWake = () => {
      clearInterval(keep);
      resolve(next(source));
    };
  });
}

test('a body read to its end parks its descriptor; the next body of the same version takes it instead of opening', async () => {
  const { path, data } = newFile();
  const s0 = fileBodyStats();
  assert.ok((await read(path)).equals(data));
  const s1 = fileBodyStats();
  assert.equal(s1.opens, s0.opens + 1);
  assert.equal(s1.parked, s0.parked + 1, 'parked');
  assert.equal(s1.openNow, s0.openNow, 'held by no body');
  assert.ok((await read(path)).equals(data));
  assert.ok((await read(path, { start: 1000, end: 2000 })).equals(data.subarray(1000, 2001)));
  const s2 = fileBodyStats();
  assert.equal(s2.opens, s1.opens, 'no open');
  assert.equal(s2.reuses, s1.reuses + 2);
  assert.equal(s2.parked, s1.parked, 'parked again after each');
});

test('a file edited in place after its descriptor was parked: the new version is opened, the parked one closed', async () => {
  const { path } = newFile();
  await read(path);
  const s0 = fileBodyStats();
  const v2 = randomBytes(SIZE);
  writeFileSync(path, v2);
  const later = new Date(Date.now() + 5000);
  utimesSync(path, later, later);
  assert.ok((await read(path)).equals(v2));
  const s1 = fileBodyStats();
  assert.equal(s1.opens, s0.opens + 1);
  assert.equal(s1.reuses, s0.reuses);
  assert.equal(s1.closes, s0.closes + 1, 'the old version\'s descriptor closed');
});

test('a body describing the old version of a replaced, edited or deleted file fails as after an open, never reads the parked descriptor', async () => {
  // Replaced: another inode under the name; the body carries the stats of the first.
  const replaced = newFile();
  const old1 = statSync(replaced.path);
  await read(replaced.path);
  writeFileSync(`${replaced.path}.tmp`, randomBytes(SIZE));
  renameSync(`${replaced.path}.tmp`, replaced.path);
  await assert.rejects(read(replaced.path, { stats: old1 }), (e: unknown) => e instanceof FileBodyError && e.token === 'file_changed');

  // Edited in place (same inode, same size, new mtime).
  const edited = newFile();
  const old2 = statSync(edited.path);
  await read(edited.path);
  writeFileSync(edited.path, randomBytes(SIZE));
  const later = new Date(Date.now() + 5000);
  utimesSync(edited.path, later, later);
  await assert.rejects(read(edited.path, { stats: old2 }), (e: unknown) => e instanceof FileBodyError && e.token === 'file_changed');

  // Deleted.
  const deleted = newFile();
  const old3 = statSync(deleted.path);
  await read(deleted.path);
  rmSync(deleted.path);
  await assert.rejects(read(deleted.path, { stats: old3 }), (e: unknown) => e instanceof FileBodyError && e.token === 'file_open_failed');
});

test('parked descriptors count against the per-process cap: a body waiting for a slot closes one, and the cap holds', async () => {
  const limits = fileBodyLimits();
  const files = [newFile(), newFile(), newFile()];
  // Parked descriptors of earlier tests hold slots too: start from none.
  setFileBodyLimits({ lingerMs: 0 });
  await waitFor(() => fileBodyStats().parked === 0, 'earlier parked descriptors to close');
  setFileBodyLimits({ maxOpenFiles: 2, lingerMs: limits.lingerMs });
  try {
    await read(files[0]!.path);
    await read(files[1]!.path);
    const s0 = fileBodyStats();
    assert.equal(s0.parked, 2);
    assert.equal(s0.used, 2, 'both slots held by parked descriptors');
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, fileBodyStats().used)), 0);
    const got = await read(files[2]!.path);
    clearInterval(watch);
    assert.ok(got.equals(files[2]!.data));
    const s1 = fileBodyStats();
    assert.ok(s1.evictions > s0.evictions, 'a parked descriptor was closed for the waiting body');
    assert.ok(Math.max(peak, s1.used) <= 2, `${peak} slots used at most`);
  } finally {
    setFileBodyLimits({ maxOpenFiles: limits.maxOpenFiles, lingerMs: limits.lingerMs });
  }
});

test('parked descriptors hold no connection slot, and are closed after the linger', async () => {
  const limits = fileBodyLimits();
  setFileBodyLimits({ maxOpenFilesPerConnection: 1 });
  try {
    const connection = {};
    const a = newFile();
    const b = newFile();
    assert.ok((await read(a.path, {}, connection)).equals(a.data));
    const queued = fileBodyStats().queued;
    // The connection's one slot is free again although a's descriptor is still open (parked).
    assert.ok((await read(b.path, {}, connection)).equals(b.data));
    assert.ok((await read(a.path, {}, connection)).equals(a.data));
    assert.equal(fileBodyStats().queued, queued, 'no body waited for the connection\'s slot');
    assert.ok(fileBodyStats().parked >= 2);
    setFileBodyLimits({ lingerMs: 20 });
    await waitFor(() => fileBodyStats().parked === 0, 'parked descriptors to linger out');
    // A lingered-out descriptor's slot comes back when its close(2) lands, a thread-pool round trip later.
    await waitFor(() => fileBodyStats().used === 0, 'every slot back');
  } finally {
    setFileBodyLimits({ maxOpenFilesPerConnection: limits.maxOpenFilesPerConnection, lingerMs: limits.lingerMs });
  }
});
