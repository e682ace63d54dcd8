/**
 * A rolling restart as it is deployed: h2load -> HAProxy (TLS, ALPN h2) -> `h2kit serve
 * --workers 2` (h2c), and a SIGHUP while the load runs. The workers leave with the two-step
 * GOAWAY of RFC 9113 section 6.8, so every request HAProxy had sent them is served, and HAProxy
 * opens new backend connections (to the new workers) for the rest: h2load, whose own connection
 * to HAProxy never sees a GOAWAY, must see zero failed, errored or timed-out requests.
 *
 * (h2load straight against the workers cannot show that: it never reconnects after a GOAWAY,
 * see rolling-restart.test.ts.) Run by `npm run test:deploy`; skipped without haproxy or h2load.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSite, startServe, type ServeProcess } from '../cli-serve/support.js';
import { waitFor } from '../helpers/wait.js';
import { haproxyConfig } from './helpers/configs.js';
import { parseH2loadOutput, type H2loadResult } from './helpers/h2load.js';
import { freePort } from '../helpers/ports.js';
import { startProcess, type ManagedProcess } from './helpers/process.js';
import { makeCertificate } from './helpers/tls.js';
import { findCommand, missingCommand } from './helpers/tools.js';

const REQUESTS = 60_000;
const missing = missingCommand('haproxy', 'h2load', 'openssl');

describe('a rolling restart behind HAProxy: h2load -> HAProxy -> h2kit serve --workers 2, SIGHUP under load', { skip: missing ?? false, timeout: 240_000 }, () => {
  let tmp = '';
  let site: ReturnType<typeof makeSite> | undefined;
  let serve: ServeProcess | undefined;
  let haproxy: ManagedProcess | undefined;
  let h2load: ManagedProcess | undefined;
  let result: Omit<H2loadResult, 'code' | 'output'>;
  let output = '';

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'h2kit-deploy-rolling-'));
    const cert = makeCertificate(tmp);
    site = makeSite();
    serve = await startServe([site.site, '--no-tls', '--port', '0', '--workers', '2'], 30_000);
    const port = await freePort();
    const config = join(tmp, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig({ port, combinedPemFile: cert.combinedFile, backendPorts: [serve.port], healthPath: '/index.html' }));
    haproxy = await startProcess(findCommand('haproxy')!, ['-db', '-f', config], { port, name: 'haproxy' });
    h2load = await startProcess(findCommand('h2load')!, ['-n', String(REQUESTS), '-c', '8', '-m', '10', `https://127.0.0.1:${port}/index.html`], { name: 'h2load', readyLine: /progress: \d+% done/, timeoutMs: 60_000 });
    // Under way (h2load prints progress every 10%): replace the workers now.
    serve.child.kill('SIGHUP');
    await waitFor(() => /rolling restart complete/.test(serve!.stderr()), { what: '"rolling restart complete"', timeout: 90_000, detail: () => serve!.stderr() });
    await h2load.exited;
    output = h2load.stdout() + h2load.stderr();
    result = parseH2loadOutput(output);
  });

  after(async () => {
    await h2load?.stop();
    await haproxy?.stop();
    await serve?.stop();
    site?.cleanup();
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  test('both workers were replaced while h2load ran', () => {
    const stderr = serve!.stderr();
    assert.equal([...stderr.matchAll(/rolling restart: worker \d+ replaced by \d+/g)].length, 2, stderr);
    assert.doesNotMatch(stderr, /starting another/, 'no worker was taken for a crash');
  });

  test(`h2load through HAProxy: ${REQUESTS} requests, zero failed, errored or timed out, all 2xx`, (t) => {
    t.diagnostic(output.split('\n').filter((l) => /^(requests|status codes|finished)/.test(l)).join(' | '));
    assert.equal(result.failed, 0, output);
    assert.equal(result.errored, 0, output);
    assert.equal(result.timeout, 0, output);
    assert.equal(result.succeeded, REQUESTS, output);
    assert.equal(result.status2xx, REQUESTS, output);
  });
});
