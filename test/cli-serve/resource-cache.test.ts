/**
 * The resource cache's freshness rule on its own (resource-cache.ts, "Freshness"): one stat per
 * resource per event-loop round, shared by every request that round serves, and a change on
 * disk seen by the first look in the next round. The served-over-the-wire side of the same rule
 * is freshness.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachePolicy } from '../../src/cli/static/cache-policy.js';
import { ResourceCache } from '../../src/cli/static/resource-cache.js';

const root = mkdtempSync(join(tmpdir(), 'h2kit-resource-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));

const nextRound = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function cached(cache: ResourceCache, name: string): Promise<void> {
  const found = await cache.lookup(`/${name}`, `/${name}`);
  assert.equal(found.kind, 'resource');
}

test('a resource is revalidated once a round: looks later in the round (microtasks included) share the stat', async () => {
  const cache = new ResourceCache({ root, compress: false, policy: new CachePolicy() });
  writeFileSync(join(root, 'a.txt'), 'first');
  await cached(cache, 'a.txt');
  await nextRound();
  assert.notEqual(cache.fresh('/a.txt', false), null, 'unchanged: current');
  writeFileSync(join(root, 'a.txt'), 'second, longer');
  // Still the round whose stat saw 'first': the edit landed inside it, after the stat.
  assert.notEqual(cache.fresh('/a.txt', false), null);
  await Promise.resolve();
  assert.notEqual(cache.fresh('/a.txt', false), null, 'a microtask turn later: the same round, the same stat');
  await nextRound();
  assert.equal(cache.fresh('/a.txt', false), null, 'the next round stats again and drops the changed file');
});

test('a file deleted while cached is gone at the first look of the next round', async () => {
  const cache = new ResourceCache({ root, compress: false, policy: new CachePolicy() });
  writeFileSync(join(root, 'b.txt'), 'here');
  await cached(cache, 'b.txt');
  await nextRound();
  assert.notEqual(cache.fresh('/b.txt', false), null);
  rmSync(join(root, 'b.txt'));
  await nextRound();
  assert.equal(cache.fresh('/b.txt', false), null);
});
