/**
 * The performance invariants of src/connection/README.md that a test can hold the code to:
 * process-wide buffers live in src/buffer-pool.ts only, zero-length placeholders are the one
 * EMPTY_BUFFER, and shared placeholders handed to callers are frozen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMPTY_BUFFER } from '../../src/buffer-pool.js';
import { Connection } from '../../src/connection/index.js';
import { Preface } from '../../src/connection/preface.js';
import { CONNECTION_PREFACE } from '../../src/frame/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

test('the protocol core keeps no module-level buffer of its own: scratch space is an arena of src/buffer-pool.ts', () => {
  // A module-level Buffer.alloc*/allocUnsafe* is a process-wide buffer every connection shares
  // by convention; the arenas hold the one contract for those. (Constant octets made with
  // Buffer.from, such as the preface, are read-only data, not scratch space.)
  const offenders: string[] = [];
  for (const layer of ['hpack', 'frame', 'connection']) {
    const dir = join(REPO_ROOT, 'src', layer);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const lines = readFileSync(join(dir, name), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^(export )?(const|let) \w+(: Buffer)? = Buffer\.alloc/.test(line)) offenders.push(`src/${layer}/${name}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(offenders, []);
});

test('a chunk that is all preface leaves the shared EMPTY_BUFFER; no events is one frozen array', () => {
  const preface = new Preface(true);
  assert.equal(preface.check(CONNECTION_PREFACE), EMPTY_BUFFER);
  const conn = new Connection({ role: 'server' });
  conn.takeEvents(); // whatever the construction queued
  const none = conn.takeEvents();
  assert.equal(none.length, 0);
  assert.ok(Object.isFrozen(none));
  assert.equal(conn.takeEvents(), none);
});
