/**
 * The command line is its own package (`packages/cli`, `@h2kit/cli`) so that `npm install h2kit`
 * pulls none of its dependencies. The two package.json files must stay in step: the CLI's
 * dependencies are the root's devDependencies at the same ranges (what the tests ran against),
 * it depends on this version of h2kit, and the library depends on nothing the CLI needs. Fast:
 * no packing; `npm run test:package` packs both and installs them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

interface PackageJson {
  name: string;
  version: string;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const read = (path: string): PackageJson => JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as PackageJson;
const root = read('package.json');
const cli = read('packages/cli/package.json');

test('@h2kit/cli depends on this h2kit and on the CLI-only packages at the ranges the tests use', () => {
  assert.equal(cli.name, '@h2kit/cli');
  assert.equal(cli.version, root.version);
  assert.deepEqual(cli.engines, root.engines);
  const { h2kit, ...rest } = cli.dependencies ?? {};
  assert.equal(h2kit, `^${root.version}`);
  for (const [name, range] of Object.entries(rest)) {
    assert.equal(root.devDependencies?.[name], range, `${name}: packages/cli says ${range}, the root's devDependencies ${root.devDependencies?.[name]}`);
  }
});

test('the library depends on nothing the command line alone needs, and has no bin', () => {
  assert.deepEqual(Object.keys(root.dependencies ?? {}), ['@types/node']);
  assert.equal(root.bin, undefined, 'the h2kit executable is in @h2kit/cli');
  assert.deepEqual(cli.bin, { h2kit: './dist/main.js' });
});

test('every package the command line imports is one of its dependencies', () => {
  const imported = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const [, spec] of readFileSync(path, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^'.][^']*)'/gm)) {
          if (spec!.startsWith('node:')) continue;
          const parts = spec!.split('/');
          imported.add(spec!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
        }
      }
    }
  };
  walk(join(REPO_ROOT, 'src', 'cli'));
  assert.ok(imported.has('h2kit'), 'the scan found the h2kit imports');
  for (const name of imported) {
    if (name.startsWith('@types/')) continue;
    assert.ok(cli.dependencies?.[name] !== undefined, `src/cli imports ${name}, which packages/cli/package.json does not list`);
  }
});

test('the CLI package carries the same LICENSE', () => {
  assert.equal(readFileSync(join(REPO_ROOT, 'packages/cli/LICENSE'), 'utf8'), readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8'));
});
