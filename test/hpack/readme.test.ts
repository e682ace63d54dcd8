/**
 * The README's HPACK examples run as written.
 *
 * Every ```ts block of the README's HPACK section is written to a .mjs file inside the repo
 * (test-artifacts/, git-ignored) and run with node. Inside the repo, `import ... from 'h2kit'`
 * resolves the way it does for a user who installed the package: through package.json `exports`
 * (Node's package self-reference), to dist/src/index.js. So this checks the examples, the
 * public exports and the `exports` map at once. The blocks are plain JavaScript-compatible
 * TypeScript (no type annotations), so they run untranspiled. When a block is followed by a
 * ```text block, that is its output, and it must match exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

interface Example {
  code: string;
  output: string | undefined;
}

/** The README's HPACK section: from its `## HPACK` heading to the next `## ` heading. */
function hpackSection(readme: string): string {
  const start = readme.search(/^## HPACK\b/m);
  assert.ok(start >= 0, 'README.md has a "## HPACK" section');
  const rest = readme.slice(start + 3);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

function examples(section: string): Example[] {
  const blocks = [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  const out: Example[] = [];
  blocks.forEach((b, i) => {
    if (b.lang !== 'ts') return;
    const next = blocks[i + 1];
    out.push({ code: b.body, output: next?.lang === 'text' ? next.body : undefined });
  });
  return out;
}

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const found = examples(hpackSection(readme));

test('the README HPACK section has the seed\'s two examples (deflate; deflate then inflate)', () => {
  assert.ok(found.length >= 2, `found ${found.length} ts blocks`);
  assert.match(found[0]!.code, /import \{[^}]*HDDeflater[^}]*\} from 'h2kit'/);
  assert.match(found[0]!.code, /deflate\(\[\['foo', 'bar'\], \['baz', 'buz'\]\]\)/);
  assert.match(found[1]!.code, /import \{[^}]*HDInflater[^}]*\} from 'h2kit'/);
  assert.match(found[1]!.code, /\.inflate\(/);
  for (const e of found) assert.ok(e.output !== undefined, `every example shows its output:\n${e.code}`);
});

found.forEach((example, i) => {
  test(`README HPACK example ${i + 1} runs as written and prints what the README says`, () => {
    const dir = join(REPO_ROOT, 'test-artifacts', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `hpack-example-${i + 1}.mjs`);
    writeFileSync(file, example.code);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}`);
    if (example.output !== undefined) assert.equal(r.stdout, example.output);
  });
});
