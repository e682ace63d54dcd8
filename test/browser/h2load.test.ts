/**
 * Load: `h2load -n 100000 -c 10 -m 10` (nghttp2's benchmark client: 10 connections, 10
 * streams in flight on each) against `h2kit serve examples/site --no-tls`, over the page and
 * its assets in turn. Every request must succeed; h2load's summary is printed. Run by
 * `npm run test:browser` with the browser test (kept out of `npm test`: it takes seconds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { repoPath } from '../helpers/paths.js';
import { startServe } from '../cli-serve/support.js';

const REQUESTS = 100_000;
const TIME_LIMIT_MS = 300_000;

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.once('close', (code) => {
    clearTimeout(timer);
    resolve({ code, out });
  }));
}

test(`h2load -n ${REQUESTS} -c 10 -m 10 against h2kit serve examples/site --no-tls: zero failed requests`, { timeout: TIME_LIMIT_MS + 30_000 }, async () => {
  assert.equal(spawnSync('h2load', ['--version']).status, 0, 'h2load is missing: install Debian\'s nghttp2-client');
  const serve = await startServe([repoPath('examples', 'site'), '--no-tls', '--port', '0']);
  try {
    const uris = ['/', '/style.css', '/app.js', '/img/logo.svg', '/img/dot.png'].map((p) => `${serve.origin}${p}`);
    const { code, out } = await run('h2load', ['-n', String(REQUESTS), '-c', '10', '-m', '10', ...uris], TIME_LIMIT_MS);
    const summary = out.split('\n').filter((l) => /^(finished in|requests:|status codes:|traffic:|time for request:|req\/s)/.test(l.trim()));
    for (const line of summary) console.log(`# h2load: ${line.trim()}`);
    assert.equal(code, 0, `h2load exit code (output: ${out.slice(-2000)})`);
    const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
    assert.ok(m, `h2load printed its request summary: ${out.slice(-2000)}`);
    assert.equal(Number(m[4]), REQUESTS, 'all succeeded');
    assert.equal(Number(m[5]), 0, 'failed');
    assert.equal(Number(m[6]), 0, 'errored');
    assert.equal(Number(m[7]), 0, 'timeout');
    assert.match(out, new RegExp(`status codes: ${REQUESTS} 2xx, 0 3xx, 0 4xx, 0 5xx`));
  } finally {
    assert.equal(await serve.stop(), 0);
  }
});
