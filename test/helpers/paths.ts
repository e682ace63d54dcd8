/**
 * Where things are, for tests and benches: the repo root (the folder holding package.json)
 * and the shared read-only material beside it (`../shared`: RFCs, seed, hpack-test-case).
 *
 * Found by walking up from this file rather than from `process.cwd()`, so a test works
 * whether it runs from the repo root, from `dist/`, or from another directory.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  while (true) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

/** The repository root: the folder holding package.json. */
export const REPO_ROOT: string = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** The compiled output folder (`npm run build` writes here). */
export const DIST_DIR: string = join(REPO_ROOT, 'dist');

/**
 * The shared read-only material: `../shared` from the repo root, or `H2KIT_SHARED_DIR`.
 *
 * It is not copied into the repository (the workspace's rule for it), so a clone elsewhere
 * may not have it: see `SHARED_SKIP`.
 */
export const SHARED_DIR: string = process.env['H2KIT_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');

/** The hpack-test-case corpus (story JSON files in one folder per encoder). */
export const HPACK_TEST_CASE_DIR: string = join(SHARED_DIR, 'hpack-test-case');

/** The RFC sources (`rfc9113-http2.xml`, `rfc7541-hpack.xml`). */
export const RFC_DIR: string = join(SHARED_DIR, 'rfc');

/**
 * Why the tests that read the shared material cannot run here, or `false` when they can: pass
 * it as the `skip` option of those tests. A clone without `../shared` then passes `npm test`
 * with those tests skipped and this reason printed, rather than failing on a missing file.
 * `H2KIT_REQUIRE_SHARED=1` (set by `.ci/run`) turns a missing folder into an error instead, so
 * CI can never pass by skipping them.
 */
export const SHARED_SKIP: string | false = sharedSkipReason();

function sharedSkipReason(): string | false {
  const missing = [HPACK_TEST_CASE_DIR, join(RFC_DIR, 'rfc7541-hpack.xml')].filter((p) => !existsSync(p));
  if (missing.length === 0) return false;
  const reason = `needs the shared test data (hpack-test-case stories, RFC XML), missing here: ${missing.join(', ')}; set H2KIT_SHARED_DIR to a folder holding hpack-test-case/ and rfc/`;
  if (process.env['H2KIT_REQUIRE_SHARED'] === '1') throw new Error(`H2KIT_REQUIRE_SHARED=1, but a test ${reason}`);
  return reason;
}

/** The built `h2kit` command (`dist/src/cli/main.js`). */
export const CLI_MAIN: string = join(DIST_DIR, 'src', 'cli', 'main.js');

/** A path under the repo root. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

/** A path under the shared folder. */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}
