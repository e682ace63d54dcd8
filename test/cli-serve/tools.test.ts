/**
 * `h2kit serve` with the usual HTTP/2 command-line clients: nghttp (accepts push: the example
 * site's preload links arrive pushed, marked `*`) and curl (TLS+ALPN with the development
 * certificate, h2c prior knowledge, and the HTTP/1.1 `Upgrade: h2c` path). A tool that is not
 * installed skips its test with a message (.ci/run installs both).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { repoPath } from '../helpers/paths.js';
import { startServe } from './support.js';

const run = promisify(execFile);
const has = (tool: string): boolean => spawnSync(tool, ['--version']).status === 0;
const SITE = repoPath('examples', 'site');

test('nghttp -ans gets the example page with its stylesheet and script pushed (--push-preload)', { skip: has('nghttp') ? false : 'nghttp not installed (Debian nghttp2-client)' }, async () => {
  const serve = await startServe([SITE, '--port', '0', '--push-preload', '--access-log']);
  try {
    const { stdout } = await run('nghttp', ['-ans', `${serve.origin}/`], { timeout: 20_000 });
    const rows = stdout.split('\n').filter((l) => /^\s*\d+\s+\+/.test(l));
    const byPath = new Map(rows.map((l) => [l.trim().split(/\s+/).at(-1)!, l]));
    for (const path of ['/style.css', '/app.js']) {
      assert.match(byPath.get(path) ?? '', /\*/, `${path} pushed (marked *): ${stdout}`);
      assert.match(byPath.get(path) ?? '', / 200 /);
    }
    for (const path of ['/', '/img/logo.svg', '/img/dot.png']) {
      assert.ok(byPath.has(path), `${path} fetched: ${stdout}`);
      assert.doesNotMatch(byPath.get(path)!, /\*/, `${path} not pushed`);
    }
  } finally {
    assert.equal(await serve.stop(), 0);
  }
  assert.equal(serve.stdout().split('\n').filter((l) => l.endsWith(' pushed')).length, 2);
});

test('curl: h2 over TLS with the development certificate, h2c prior knowledge, and Upgrade: h2c', { skip: has('curl') ? false : 'curl not installed' }, async () => {
  const tls = await startServe([SITE, '--port', '0']);
  try {
    const { stdout } = await run('curl', ['-sk', '--http2', '-o', '/dev/null', '-w', '%{http_version} %{http_code} %{content_type}', `${tls.origin}/style.css`], { timeout: 20_000 });
    assert.equal(stdout, '2 200 text/css; charset=utf-8');
  } finally {
    await tls.stop();
  }
  const h2c = await startServe([SITE, '--no-tls', '--port', '0']);
  try {
    const prior = await run('curl', ['-s', '--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `${h2c.origin}/`], { timeout: 20_000 });
    assert.equal(prior.stdout, '2 200');
    const upgrade = await run('curl', ['-s', '--http2', '-w', '\n%{http_version} %{http_code}', `${h2c.origin}/app.js`], { timeout: 20_000 });
    assert.ok(upgrade.stdout.endsWith('\n2 200'), upgrade.stdout);
    assert.ok(upgrade.stdout.includes('performance.getEntriesByType'), 'the body came through the upgraded stream');
  } finally {
    await h2c.stop();
  }
});
