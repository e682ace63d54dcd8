/**
 * The package's entry points load with require() as well as import (Node's require(esm),
 * unflagged in 20.19 and 22.12): through the package's own `exports` map (a package may
 * import itself by name), each entry's module graph must stay free of top-level await,
 * which require() refuses (ERR_REQUIRE_ASYNC_MODULE). Fast: no packing, no install; the
 * round trip from a packed tarball in fresh apps is `npm run test:package`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

interface PackageJson {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
}
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
const entries = Object.entries(pkg.exports).filter(([subpath]) => subpath !== './package.json');
const require = createRequire(import.meta.url);

test('every entry point has its types and its module where exports says', () => {
  assert.ok(entries.length >= 3, 'exports names ".", "./hpack" and "./connection"');
  for (const [subpath, target] of entries) {
    assert.equal(typeof target, 'object', `${subpath}: conditions, types first`);
    if (typeof target === 'string') continue;
    assert.deepEqual(Object.keys(target), ['types', 'default'], `${subpath}: types must come first`);
    assert.ok(existsSync(join(REPO_ROOT, target.types)), `${subpath}: ${target.types} is built`);
    assert.ok(existsSync(join(REPO_ROOT, target.default)), `${subpath}: ${target.default} is built`);
  }
});

for (const [subpath] of entries) {
  const specifier = pkg.name + subpath.slice(1);
  test(`require('${specifier}') gives the very module import gives`, async () => {
    const required: unknown = require(specifier);
    const imported: unknown = await import(specifier);
    // One module instance for both: no dual-package hazard (instanceof and state agree).
    assert.equal(required, imported);
    assert.ok(Object.keys(imported as object).length > 0);
  });
}
