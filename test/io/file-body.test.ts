/**
 * File bodies (src/io/file-body.ts, limits in src/io/file-limits.ts): a byte range of a file, opened on the first pull, read at
 * most a pull's worth at a time, closed when read, when destroyed, or when idle past the
 * linger (and reopened at its offset, if the file is still the same version), under the
 * per-process and per-connection descriptor caps.
 *
 * The counters are process-wide; the tests in this file run one after another and look at
 * differences.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bodySourceOf, type BodySource } from '../../src/io/body-source.js';
import { FileBody, FileBodyError, FileBodySource, fileBody, fileBodyStats, FILE_READ_SIZE } from '../../src/io/file-body.js';
import { defaultMaxOpenFiles, fileBodyLimits, setFileBodyLimits } from '../../src/io/file-limits.js';
import { UsageError } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let path: string;
let data: Buffer;
const SIZE = 300_000;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'h2kit-filebody-'));
  path = join(dir, 'data.bin');
  data = randomBytes(SIZE);
  writeFileSync(path, data);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `step` until the source wakes: resolves with the next pull's result (or null at the end or on error). */
function nextChunk(source: BodySource, max: number): Promise<Buffer | null> {
  const chunk = source.pull(max);
  if (chunk !== null || source.ended || source.error !== undefined) return Promise.resolve(chunk);
  return new Promise((resolve) => {
    // A ref'd timer: the source's own timers are unref'd and would not hold the test open.
    const keep = setInterval(() => {}, 1000);
    source.onWake = () => {
      clearInterval(keep);
      resolve(nextChunk(source, max));
    };
  });
}

/** Pulls the source to its end with pull sizes from `sizes` (cycled); checks every chunk against `max`. */
async function drain(source: BodySource, sizes: number[] = [FILE_READ_SIZE]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; ; i++) {
    const max = sizes[i % sizes.length]!;
    const chunk = await nextChunk(source, max);
    if (source.error !== undefined) throw source.error;
    if (chunk === null) {
      assert.ok(source.ended, 'null only at the end');
      break;
    }
    assert.ok(chunk.length > 0 && chunk.length <= max, `chunk of ${chunk.length} for a pull of ${max}`);
    parts.push(chunk);
    if (source.ended) break;
  }
  return Buffer.concat(parts);
}

test('a file body is a range with a known length; bodySourceOf makes its source', async () => {
  const body = fileBody(path, { start: 10, end: 109 });
  assert.ok(body instanceof FileBody);
  assert.equal(body.length, 100);
  const source = bodySourceOf(body)!;
  assert.ok(source instanceof FileBodySource);
  assert.equal(source.knownLength, 100);
  assert.deepEqual(await drain(source), data.subarray(10, 110));
  assert.equal(fileBody(path).length, SIZE, 'the whole file by default (stat now)');
});

test('the whole file, in pulls of any size, arrives intact; ended is set with the last chunk', async () => {
  const source = bodySourceOf(fileBody(path))!;
  const got = await drain(source, [1, 1000, 65536, 200000, 17]);
  assert.ok(got.equals(data));
  assert.equal(source.ended, true);
  assert.equal(source.pull(10), null);
});

test('nothing is opened before the first pull; a body destroyed first never opens its file', async () => {
  const before = fileBodyStats().opens;
  const source = bodySourceOf(fileBody(path))!;
  assert.equal(fileBodyStats().opens, before);
  source.destroy();
  await new Promise((r) => setImmediate(r));
  assert.equal(fileBodyStats().opens, before);
  assert.equal(source.pull(100), null);
});

test('destroyed while opening or reading: the descriptor is closed once the call lands', async () => {
  const before = fileBodyStats();
  const opening = bodySourceOf(fileBody(path))!;
  assert.equal(opening.pull(100), null); // the open starts
  opening.destroy();
  const reading = bodySourceOf(fileBody(path))!;
  await nextChunk(reading, 100);
  assert.equal(reading.pull(100), null); // rest of the window read ahead... then a read in flight
  reading.destroy();
  await waitFor(() => fileBodyStats().openNow <= before.openNow, 'the descriptors to close once their calls land');
  assert.equal(fileBodyStats().openNow, before.openNow, 'no descriptor left open');
  // The reading one's descriptor was good: parked for the next body of the file, with its process slot.
  assert.equal(fileBodyStats().used - fileBodyStats().parked, before.used - before.parked, 'no slot left taken but by parked descriptors');
});

test('property: the bytes read ahead never exceed what is left of the last pull', async () => {
  const PULLS = 60;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 150_000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: SIZE - 1 }), async (sizes, start) => {
      const source = bodySourceOf(fileBody(path, { start }))!;
      const read0 = fileBodyStats().bytesRead;
      let handed = 0;
      // What the source may hold: the rest of the window of this pull, or of an earlier, larger one less what was handed out since.
      let allowed = 0;
      const parts: Buffer[] = [];
      for (let i = 0; i < PULLS && !source.ended; i++) {
        const max = sizes[i % sizes.length]!;
        const chunk = await nextChunk(source, max);
        if (chunk === null) break;
        handed += chunk.length;
        parts.push(chunk);
        allowed = Math.max(allowed - chunk.length, max - chunk.length, 0);
        // `held <= allowed` is an invariant, true whenever it is measured: the pause only gives a
        // read-ahead the chance to land first (no public signal says when one has; a landing one
        // is within `allowed` too). The pause can make the check stricter, never vacuous.
        await new Promise((r) => setTimeout(r, 1));
        const held = fileBodyStats().bytesRead - read0 - handed;
        assert.ok(held <= allowed, `holds ${held} bytes after a pull of ${max} gave ${chunk.length} (allowed ${allowed})`);
        assert.ok(held <= FILE_READ_SIZE);
      }
      const got = Buffer.concat(parts);
      assert.ok(got.equals(data.subarray(start, start + got.length)), 'the bytes are the file\'s, in order');
      assert.ok(source.ended || got.length < SIZE - start);
      source.destroy();
    }),
    { numRuns: 30 },
  );
});

test('an idle descriptor is closed after the linger and reopened at its offset', async () => {
  const linger = fileBodyLimits().lingerMs;
  setFileBodyLimits({ lingerMs: 20 });
  try {
    const source = bodySourceOf(fileBody(path))!;
    const first = (await nextChunk(source, 1000))!;
    const before = fileBodyStats();
    assert.equal(before.openNow >= 1, true);
    // Nothing pulled for a while (a zero window): the descriptor goes.
    await waitFor(() => fileBodyStats().openNow < before.openNow, 'the idle descriptor to close');
    assert.equal(fileBodyStats().openNow, before.openNow - 1, 'closed while idle');
    assert.ok(fileBodyStats().lingerCloses > before.lingerCloses);
    const rest = await drain(source, [70_000]);
    assert.ok(Buffer.concat([first, rest]).equals(data));
    assert.equal(fileBodyStats().reopens, before.reopens + 1);
  } finally {
    setFileBodyLimits({ lingerMs: linger });
  }
});

test('a file changed while its stream was idle fails the body with file_changed', async () => {
  const linger = fileBodyLimits().lingerMs;
  setFileBodyLimits({ lingerMs: 10 });
  const file = join(dir, 'changing.bin');
  writeFileSync(file, randomBytes(200_000));
  try {
    const source = bodySourceOf(fileBody(file))!;
    await nextChunk(source, 1000);
    const open = fileBodyStats().openNow;
    await waitFor(() => fileBodyStats().openNow < open, 'the idle descriptor to close');
    writeFileSync(file, randomBytes(200_000)); // same size, new mtime
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    await assert.rejects(drain(source), (e: unknown) => e instanceof FileBodyError && e.token === 'file_changed' && e.path === file);
  } finally {
    setFileBodyLimits({ lingerMs: linger });
  }
});

test('a file replaced between the stat that made the headers and the first open fails with file_changed', async () => {
  const file = join(dir, 'replaced.bin');
  writeFileSync(file, 'version one, long enough');
  const stats = statSync(file);
  rmSync(file);
  writeFileSync(file, 'version two, other inode'); // same length, another inode
  const source = bodySourceOf(fileBody(file, { stats }))!;
  await assert.rejects(drain(source), (e: unknown) => e instanceof FileBodyError && e.token === 'file_changed');
});

test('a file truncated under an open descriptor fails with file_truncated', async () => {
  const file = join(dir, 'shrinking.bin');
  writeFileSync(file, randomBytes(200_000));
  const source = bodySourceOf(fileBody(file))!;
  await nextChunk(source, 1000);
  truncateSync(file, 500);
  await assert.rejects(drain(source), (e: unknown) => e instanceof FileBodyError && e.token === 'file_truncated');
});

test('a missing file fails with file_open_failed; bad ranges and paths are usage errors', async () => {
  const file = join(dir, 'gone.bin');
  writeFileSync(file, 'x'.repeat(100));
  const body = fileBody(file);
  rmSync(file);
  await assert.rejects(drain(bodySourceOf(body)!), (e: unknown) => e instanceof FileBodyError && e.token === 'file_open_failed');
  assert.throws(() => fileBody(join(dir, 'never-there')), (e: unknown) => e instanceof FileBodyError && e.token === 'file_stat_failed');
  assert.throws(() => fileBody(path, { start: 10, end: SIZE }), (e: unknown) => e instanceof UsageError && e.token === 'file_body_bad_range');
  assert.throws(() => fileBody(path, { start: -1 }), UsageError);
  assert.throws(() => fileBody(''), UsageError);
  assert.equal(fileBody(path, { start: 5, end: 4 }).length, 0, 'an empty range is allowed');
});

test('the per-process cap: at most N descriptors open, the others wait their turn and all complete', async () => {
  const limits = fileBodyLimits();
  setFileBodyLimits({ maxOpenFiles: 2 });
  try {
    let peak = 0;
    const sources = Array.from({ length: 10 }, (_, i) => bodySourceOf(fileBody(path, { start: i * 1000 }))!);
    const watch = setInterval(() => (peak = Math.max(peak, fileBodyStats().openNow)), 0);
    const queuedBefore = fileBodyStats().queued;
    const results = await Promise.all(
      sources.map(async (s) => {
        const got = await drain(s, [30_000]);
        peak = Math.max(peak, fileBodyStats().openNow);
        return got;
      }),
    );
    clearInterval(watch);
    results.forEach((r, i) => assert.ok(r.equals(data.subarray(i * 1000))));
    assert.ok(peak <= 2, `peak ${peak} descriptors open`);
    assert.ok(fileBodyStats().queued > queuedBefore, 'some had to wait');
  } finally {
    setFileBodyLimits({ maxOpenFiles: limits.maxOpenFiles });
  }
});

test('the per-connection cap: a connection with 1 slot serves its bodies one descriptor at a time, idle ones yielding', async () => {
  const limits = fileBodyLimits();
  setFileBodyLimits({ maxOpenFilesPerConnection: 1 });
  try {
    const connection = {};
    const a = bodySourceOf(fileBody(path), connection)!;
    const b = bodySourceOf(fileBody(path), connection)!;
    const other = bodySourceOf(fileBody(path), {})!;
    const a1 = (await nextChunk(a, 1000))!; // a holds the slot, idle after this read
    const opens = fileBodyStats().opens + fileBodyStats().reuses;
    // b waits for the connection's slot: a is idle, so it is closed for b at once.
    const b1 = (await nextChunk(b, 1000))!;
    assert.equal(fileBodyStats().opens + fileBodyStats().reuses, opens + 1);
    // Another connection is not held back by this one.
    const o1 = (await nextChunk(other, 1000))!;
    const [aRest, bRest, oRest] = await Promise.all([drain(a, [50_000]), drain(b, [40_000]), drain(other)]);
    assert.ok(Buffer.concat([a1, aRest]).equals(data));
    assert.ok(Buffer.concat([b1, bRest]).equals(data));
    assert.ok(Buffer.concat([o1, oRest]).equals(data));
  } finally {
    setFileBodyLimits({ maxOpenFilesPerConnection: limits.maxOpenFilesPerConnection });
  }
});

test('the default per-process cap is 256, or a quarter of the open-file limit when that is less', () => {
  const limits = (soft: string): string => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 4096                 files\n`;
  assert.equal(defaultMaxOpenFiles(limits('1024')), 256);
  assert.equal(defaultMaxOpenFiles(limits('1048576')), 256);
  assert.equal(defaultMaxOpenFiles(limits('256')), 64);
  assert.equal(defaultMaxOpenFiles(limits('2')), 1);
  assert.equal(defaultMaxOpenFiles(limits('unlimited')), 256);
  assert.equal(defaultMaxOpenFiles('no such line'), 256);
  assert.ok(fileBodyLimits().maxOpenFiles >= 1);
  const before = fileBodyLimits();
  assert.throws(() => setFileBodyLimits({ maxOpenFilesPerConnection: 0 }), (e: unknown) => e instanceof UsageError && e.token === 'file_limit_bad');
  assert.throws(() => setFileBodyLimits({ maxOpenFilesPerConnection: 3, maxOpenFiles: 2.5 }), UsageError);
  assert.throws(() => setFileBodyLimits({ lingerMs: -5 }), UsageError);
  assert.deepEqual(fileBodyLimits(), before, 'a refused change changes nothing');
});
