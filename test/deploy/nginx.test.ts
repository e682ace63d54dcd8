/**
 * h2kit behind nginx: nginx takes HTTP/2 (TLS) and HTTP/1.1 (cleartext) from clients and
 * forwards to two `h2kit serve` processes over HTTP/1.1 keep-alive connections (nginx's proxy
 * speaks HTTP/1.x only: `upstream { keepalive 16; }`, `proxy_http_version 1.1`, an empty
 * Connection header). Through it: curl, then `h2load` over h2 and over HTTP/1.1, with zero
 * failures, served by both backends over reused connections.
 *
 * Needs h2kit serve to answer plain HTTP/1.1 requests (the server's allowHTTP1).
 * Run by `npm run test:deploy` (not `npm test`); skipped when nginx, h2load or curl is missing.
 * nginx runs in the foreground (`daemon off`) with every path under a temp prefix, on 127.0.0.1;
 * it and the backends are stopped in `after`, on failure too.
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
import { freePorts, waitForPort } from '../helpers/ports.js';
import { startProcess, runToExit, type ManagedProcess } from './helpers/process.js';
import { startH2kitBackend, type Backend } from './helpers/backends.js';
import { nginxConfig } from './helpers/configs.js';
import { runH2load, type H2loadResult } from './helpers/h2load.js';

const SITE = repoPath('examples', 'site');
/** Said on a failure: nginx forwards over HTTP/1.1, which h2kit refuses (505) without allowHTTP1. */
const HINT = 'a 505 here means h2kit serve refused the HTTP/1.1 request nginx forwarded (no HTTP/1.1 support: allowHTTP1)';
const REQUESTS = 20_000;

const missing = missingCommand('nginx', 'h2load', 'curl', 'openssl');

describe('nginx in front of two h2kit serve processes (HTTP/1.1 keep-alive upstreams)', { skip: missing ?? false, timeout: 240_000 }, () => {
  let tmp = '';
  let tlsPort = 0;
  let plainPort = 0;
  const backends: Backend[] = [];
  let nginx: ManagedProcess | undefined;

  /** Per backend: responses to /index.html logged so far, and the connections (peer addresses) they came on. */
  const served = (): { count: number; peers: Set<string> }[] =>
    backends.map((b) => {
      const entries = b.accessLog().filter((e) => e.path === '/index.html');
      return { count: entries.length, peers: new Set(entries.map((e) => e.peer)) };
    });

  function assertClean(r: H2loadResult, what: string): void {
    for (const line of r.summary) console.log(`# h2load ${what}: ${line}`);
    assert.equal(r.code, 0, `h2load exit code\n${r.output.slice(-3000)}`);
    assert.equal(r.failed, 0, `failed requests (${r.status5xx} 5xx: ${HINT})`);
    assert.equal(r.errored, 0, 'errored requests');
    assert.equal(r.timeout, 0, 'timed-out requests');
    assert.equal(r.succeeded, REQUESTS, 'succeeded requests');
    assert.equal(r.status2xx, REQUESTS, '2xx responses');
  }

  /** Waits until the backends logged `REQUESTS` more responses than `before`, and checks both took a share. */
  async function assertBothServed(before: { count: number; peers: Set<string> }[]): Promise<{ counts: number[]; connections: number }> {
    const counts = (): number[] => served().map((s, i) => s.count - before[i]!.count);
    await waitFor(() => counts().reduce((a, b) => a + b, 0) >= REQUESTS, { what: `${REQUESTS} access-log lines over both backends`, detail: () => `per backend: ${counts().join(', ')}` });
    const now = counts();
    const after = served();
    const connections = after.reduce((sum, s, i) => sum + [...s.peers].filter((p) => !before[i]!.peers.has(p)).length, 0);
    console.log(`# requests per backend: ${now.join(', ')}; new upstream connections: ${connections}`);
    assert.equal(now.reduce((a, b) => a + b, 0), REQUESTS, 'responses logged by the backends');
    for (const [i, n] of now.entries()) assert.ok(n > 0, `backend ${i + 1} served ${n} of ${REQUESTS}`);
    return { counts: now, connections };
  }

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'h2kit-deploy-nginx-'));
    const cert = makeCertificate(tmp);
    for (let i = 0; i < 2; i++) backends.push(await startH2kitBackend(SITE));
    [tlsPort, plainPort] = (await freePorts(2)) as [number, number];
    const config = join(tmp, 'nginx.conf');
    writeFileSync(config, nginxConfig({ prefix: tmp, tlsPort, plainPort, certFile: cert.certFile, keyFile: cert.keyFile, backendPorts: backends.map((b) => b.port) }));
    // -e stderr: the log of start-up (before the config's error_log applies) goes to stderr too,
    // not to PREFIX/logs/error.log.
    nginx = await startProcess(findCommand('nginx')!, ['-p', tmp, '-c', config, '-e', 'stderr', '-g', 'daemon off;'], { port: tlsPort, name: 'nginx' });
    await waitForPort(plainPort, { abort: () => (nginx?.hasExited() ? new Error(`nginx exited: ${nginx.stderr()}`) : undefined) });
  });

  after(async () => {
    await nginx?.stop();
    await Promise.all(backends.map((b) => b.stop()));
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  test('curl --http2 -k (TLS) and curl --http1.1 (cleartext) through nginx: 200', async () => {
    const curl = findCommand('curl')!;
    const before = served().reduce((sum, s) => sum + s.count, 0);
    const common = ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{http_version}'];
    const h2 = await runToExit(curl, [...common, '-k', '--http2', `https://127.0.0.1:${tlsPort}/index.html`], 30_000);
    assert.equal(h2.code, 0, `curl: ${h2.stderr}`);
    assert.equal(h2.stdout, '200 2', HINT);
    const h1 = await runToExit(curl, [...common, '--http1.1', `http://127.0.0.1:${plainPort}/index.html`], 30_000);
    assert.equal(h1.code, 0, `curl: ${h1.stderr}`);
    assert.equal(h1.stdout, '200 1.1', HINT);
    // Both logged before the next test counts (the access log comes through a pipe).
    await waitFor(() => served().reduce((sum, s) => sum + s.count, 0) >= before + 2, 'the backends to log the two curl requests');
  });

  test(`h2load -n ${REQUESTS} -c 10 -m 10 over h2 (TLS) through nginx: zero failed or errored, both backends served`, async () => {
    const before = served();
    const r = await runH2load(['-n', String(REQUESTS), '-c', '10', '-m', '10', `https://127.0.0.1:${tlsPort}/index.html`], 180_000);
    assert.match(r.output, /Application protocol: h2/, 'h2load spoke h2 to nginx');
    assertClean(r, 'h2 via nginx');
    await assertBothServed(before);
  });

  test(`h2load --h1 -n ${REQUESTS} -c 10 over HTTP/1.1 (cleartext) through nginx: zero failed or errored, both backends served on kept-alive connections`, async () => {
    const before = served();
    const r = await runH2load(['--h1', '-n', String(REQUESTS), '-c', '10', `http://127.0.0.1:${plainPort}/index.html`], 180_000);
    assertClean(r, 'HTTP/1.1 via nginx');
    const { connections } = await assertBothServed(before);
    // 10 requests in flight at most, and nginx keeps up to 16 idle upstream connections (for both
    // backends together, so some are closed and reopened): it reuses them for many requests each.
    // A backend closing after each response would show up here as one connection per request.
    assert.ok(connections <= REQUESTS / 20, `nginx opened ${connections} upstream connections for ${REQUESTS} requests (fewer than 20 requests each): keep-alive not working`);
  });
});
