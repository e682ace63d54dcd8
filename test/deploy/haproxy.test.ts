/**
 * h2kit behind HAProxy: TLS ends at HAProxy (ALPN h2,http/1.1), which balances each request
 * (roundrobin) over HTTP/2 cleartext to two `h2kit serve` processes, health-checking them
 * over HTTP/2 as well. Through it: curl over HTTP/1.1 and over HTTP/2, then
 * `h2load -n 20000 -c 10 -m 10` with zero failures, served by both backends.
 *
 * Run by `npm run test:deploy` (not `npm test`); skipped when haproxy, h2load or curl is missing.
 * Everything on 127.0.0.1; every process is stopped in `after`, on failure too.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { findCommand, missingCommand } from './helpers/tools.js';
import { makeCertificate } from './helpers/tls.js';
import { freePort } from '../helpers/ports.js';
import { startProcess, runToExit, type ManagedProcess } from './helpers/process.js';
import { startH2kitBackend, type Backend } from './helpers/backends.js';
import { haproxyConfig } from './helpers/configs.js';
import { runH2load } from './helpers/h2load.js';

const SITE = repoPath('examples', 'site');
const REQUESTS = 20_000;
const HEALTH_PATH = '/';

const missing = missingCommand('haproxy', 'h2load', 'curl', 'openssl');

describe('HAProxy in front of two h2kit serve processes (TLS + ALPN at HAProxy, h2c to the backends)', { skip: missing ?? false, timeout: 240_000 }, () => {
  let tmp = '';
  let port = 0;
  const backends: Backend[] = [];
  let haproxy: ManagedProcess | undefined;

  /** Responses to `path` logged by each backend so far. */
  const served = (path: string): number[] => backends.map((b) => b.accessLog().filter((e) => e.path === path).length);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'h2kit-deploy-haproxy-'));
    const cert = makeCertificate(tmp);
    for (let i = 0; i < 2; i++) backends.push(await startH2kitBackend(SITE));
    port = await freePort();
    const config = join(tmp, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig({ port, combinedPemFile: cert.combinedFile, backendPorts: backends.map((b) => b.port), healthPath: HEALTH_PATH }));
    // -db: foreground, no daemon; it logs to stderr (see the config's `log stderr`)
    haproxy = await startProcess(findCommand('haproxy')!, ['-db', '-f', config], { port, name: 'haproxy' });
    // Its first health checks reach both backends, over HTTP/2 (h2kit speaks nothing else
    // here): the checks work, and both servers are in rotation before any load.
    await waitFor(() => backends.every((b) => b.accessLog().some((e) => e.path === HEALTH_PATH && e.status === 200)), {
      what: 'a health check answered 200 by each backend',
      timeout: 15_000,
      detail: () => `haproxy: ${haproxy?.stderr()}`,
    });
  });

  after(async () => {
    await haproxy?.stop();
    await Promise.all(backends.map((b) => b.stop()));
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  for (const [flag, version] of [['--http1.1', '1.1'], ['--http2', '2']] as const) {
    test(`curl ${flag} -k through HAProxy: 200 over HTTP/${version}`, async () => {
      const before = served('/index.html').reduce((a, b) => a + b, 0);
      const r = await runToExit(findCommand('curl')!, ['-sS', '-k', flag, '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `https://127.0.0.1:${port}/index.html`], 30_000);
      assert.equal(r.code, 0, `curl: ${r.stderr}`);
      assert.equal(r.stdout, `200 ${version}`);
      // Logged by a backend before the next test counts (the access log comes through a pipe).
      await waitFor(() => served('/index.html').reduce((a, b) => a + b, 0) >= before + 1, 'a backend to log the curl request');
    });
  }

  test(`h2load -n ${REQUESTS} -c 10 -m 10 through HAProxy: zero failed or errored, all 2xx, both backends served`, async () => {
    const before = served('/index.html');
    const r = await runH2load(['-n', String(REQUESTS), '-c', '10', '-m', '10', `https://127.0.0.1:${port}/index.html`], 180_000);
    for (const line of r.summary) console.log(`# h2load via haproxy: ${line}`);
    assert.equal(r.code, 0, `h2load exit code\n${r.output.slice(-3000)}`);
    assert.match(r.output, /Application protocol: h2/, 'h2load spoke h2 to HAProxy');
    assert.equal(r.failed, 0, 'failed requests');
    assert.equal(r.errored, 0, 'errored requests');
    assert.equal(r.timeout, 0, 'timed-out requests');
    assert.equal(r.succeeded, REQUESTS, 'succeeded requests');
    assert.equal(r.status2xx, REQUESTS, '2xx responses');

    // Every request reached one backend or the other (HAProxy retries no GET by default, so
    // exactly REQUESTS lines); the access log is read from a pipe, so wait for the last lines.
    const delta = (): number[] => served('/index.html').map((n, i) => n - before[i]!);
    await waitFor(() => delta().reduce((a, b) => a + b, 0) >= REQUESTS, { what: `${REQUESTS} access-log lines over both backends`, detail: () => `per backend: ${delta().join(', ')}` });
    const perBackend = delta();
    console.log(`# requests per backend: ${perBackend.join(', ')}`);
    assert.equal(perBackend.reduce((a, b) => a + b, 0), REQUESTS, 'responses logged by the backends');
    for (const [i, n] of perBackend.entries()) assert.ok(n >= REQUESTS / 4, `backend ${i + 1} served ${n} of ${REQUESTS} (roundrobin)`);
    // HAProxy spoke HTTP/2 to them (the access log names the protocol).
    for (const b of backends) {
      const entries = b.accessLog().filter((e) => e.path === '/index.html');
      assert.ok(entries.every((e) => / h2 /.test(e.line)), `backend on ${b.port} was reached over h2: ${entries.find((e) => !/ h2 /.test(e.line))?.line}`);
    }
  });
});
