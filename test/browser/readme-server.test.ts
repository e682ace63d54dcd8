/**
 * The README's server example (the seed's: it pushes /css/style.css, then answers
 * "nghttp2-python FTW") as written, in Chromium and curl. Both disable push, so the push must turn
 * into nothing (push() returns null) and the response must arrive whole over h2.
 *
 * The ```ts block of the README's "## HTTP/2 server" section is type-stripped with TypeScript's
 * transpileModule (nothing else changes but the port, 8443 -> a free one), written beside a
 * throwaway server.key/server.crt (openssl) inside the repo (so `from 'h2kit'` resolves through
 * package.json `exports`), and run with node. Run by `npm run test:browser`, not by `npm test`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import ts from 'typescript';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { makeTestCert } from '../server/support.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The first ```ts block of the README section headed `## heading`. */
function firstTsBlock(heading: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README.md has a "## ${heading}" section`);
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme.slice(start));
  assert.ok(block !== null, `the "${heading}" section has a ts block`);
  return block[1]!;
}


/** Resolves once `port` accepts a connection; rejects if the child exits first or after 30 s. */
function untilListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const onExit = (code: number | null): void => reject(new Error(`the example exited (${code}) before listening: ${output()}`));
    child.once('exit', onExit);
    const attempt = (): void => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        child.off('exit', onExit);
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`the example did not listen on ${port} within 30 s: ${output()}`));
        else setTimeout(attempt, 50); // retry: the child is still starting
      });
    };
    attempt();
  });
}

let dir = '';
let child: ChildProcess | undefined;
let out = '';
let port = 0;
let context: BrowserContext | undefined;
let profile = '';

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium or set CHROMIUM_PATH`);
  const cert = await makeTestCert();
  assert.ok(cert !== null, 'openssl is needed to make server.key/server.crt');
  const code = firstTsBlock('HTTP/2 server');
  assert.match(code, /this\.push\(/, 'the example pushes');
  assert.match(code, /\b8443\b/, 'the example listens on 8443');
  port = await freePort();
  const js = ts.transpileModule(code.replace(/\b8443\b/g, String(port)), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  mkdirSync(repoPath('test-artifacts'), { recursive: true });
  dir = mkdtempSync(join(repoPath('test-artifacts'), 'readme-server-'));
  writeFileSync(join(dir, 'server.key'), cert.key);
  writeFileSync(join(dir, 'server.crt'), cert.cert);
  writeFileSync(join(dir, 'server.mjs'), js);
  child = spawn(process.execPath, ['server.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await untilListening(child, port, () => out);
  profile = mkdtempSync(join(tmpdir(), 'h2kit-readme-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--ignore-certificate-errors'],
  });
});

after(async () => {
  await context?.close();
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  if (profile !== '') rmSync(profile, { recursive: true, force: true });
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('Chromium loads the README server example over h2: the response whole, the push skipped', async () => {
  const page = context!.pages()[0] ?? (await context!.newPage());
  const response = await page.goto(`https://localhost:${port}/`, { waitUntil: 'load', timeout: 30_000 });
  assert.ok(response !== null);
  assert.equal(response.status(), 200);
  assert.equal(await response.text(), 'nghttp2-python FTW');
  const protocol = (await page.evaluate(`performance.getEntriesByType('navigation')[0].nextHopProtocol`)) as string;
  assert.equal(protocol, 'h2');
  assert.equal(child!.exitCode, null, `the example is still running: ${out}`);
  assert.doesNotMatch(out, /Error|failed/, 'the example logged no error');
});

test('curl gets the README server example over HTTP/2', async () => {
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile('curl', ['-sk', '--http2', '-v', '--max-time', '20', `https://127.0.0.1:${port}/`], (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
  });
  assert.equal(stdout, 'nghttp2-python FTW');
  assert.match(stderr, /HTTP\/2 200/);
  assert.doesNotMatch(out, /Error|failed/, 'the example logged no error');
});
