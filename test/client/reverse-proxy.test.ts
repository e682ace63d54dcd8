/**
 * examples/reverse-proxy with an HTTP/2 backend (`--backend h2c://...`): requests reach a
 * node:http2 backend over one multiplexed HTTP2Client connection and the bodies come back
 * through the proxy's deferred body generator. Our client is the front-end client too.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { HTTP2Client } from '../../src/client/client.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { header, patterned, sha256, startNodeServer } from './support.js';

function runProxy(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'examples', 'reverse-proxy.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+?)\/?(\s|$)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`reverse-proxy exited with ${code}: ${out}`)));
  });
}

test('examples/reverse-proxy --backend h2c://: 40 concurrent requests share one backend connection', async () => {
  const backend = await startNodeServer();
  const { child, url } = await runProxy(['--port', '0', '--backend', backend.url.replace('http:', 'h2c:')]);
  const client = new HTTP2Client(url);
  try {
    const n = 1 << 20;
    const big = await client.request({ path: `/bytes?n=${n}` });
    assert.equal(big.body.length, n);
    assert.equal(sha256(big.body), sha256(patterned(n)));
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => client.request({ path: `/p${i}` })));
    assert.deepEqual(all.map((r) => r.body.toString()), Array.from({ length: 40 }, (_, i) => `hello /p${i}`));
    assert.equal(backend.sessions.length, 1, 'one HTTP/2 connection to the backend');
    assert.equal(header(all[0]!.headers, ':status'), undefined);
  } finally {
    await client.close();
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    await backend.close();
  }
});
