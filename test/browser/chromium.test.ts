/**
 * The example site in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * loads `h2kit serve examples/site` over TLS with the development CA trusted the way a user
 * trusts it on Linux: added with `certutil` to the NSS database Chromium reads,
 * `$HOME/.pki/nssdb` (a fresh HOME per browser). No --ignore-certificate-errors, no
 * playwright `ignoreHTTPSErrors`. We check:
 *  - every resource (the page, its stylesheet, script and images) came over h2, from the
 *    browser's own performance entries (`nextHopProtocol`) and from the server's access log;
 *  - the page rendered: the script ran, the stylesheet applied, the images decoded, and a
 *    screenshot is saved to test-artifacts/;
 *  - the server sent Chromium no PUSH_PROMISE, although it runs with --push-preload: Chromium
 *    disables push in its SETTINGS (seen in the --verbose frame trace), and the server's access
 *    log marks no response "pushed" and its push counter stays 0;
 *  - with --disable-http2, the same site from the same kind of server over HTTP/1.1 (the
 *    server's allowHTTP1, on by default): every resource http/1.1, rendered the same;
 *  - and the control: a Chromium whose NSS database lacks the CA refuses the server
 *    (ERR_CERT_AUTHORITY_INVALID), so the trust above came from the database.
 * Run by `npm run test:browser` (and .ci/run, which installs chromium and libnss3-tools), not by
 * `npm test`. Skipped with a message when Chromium or certutil is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { repoPath } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../cli-serve/support.js';
import { accessLog, assertSiteServedOver, certutilMissing, nssDatabase } from './trust.js';

/** The browser to drive: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = repoPath('test-artifacts');
const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary`
  : (certutilMissing() ?? false);
/** Bounds every browser step (launch, load, close) and so each case. */
const BROWSER_LIMIT_MS = 60_000;

/** Everything under one temp folder: the development CA's folder, and each browser's HOME and profile. */
let base: string;
let serve: ServeProcess;
let context: BrowserContext;

/**
 * Headless Chromium with HOME at `home`, whose `.pki/nssdb` (made here) trusts the folder's CA
 * when `trustCa`: what `certutil -d sql:$HOME/.pki/nssdb -A -t C,, ...` does for a user.
 */
async function launchChromium(name: string, trustCa: boolean, extraArgs: string[] = []): Promise<BrowserContext> {
  const home = join(base, `home-${name}`);
  nssDatabase(join(home, '.pki', 'nssdb'), trustCa ? join(base, 'certs', 'ca.pem') : null);
  return chromium.launchPersistentContext(join(base, `profile-${name}`), {
    executablePath: CHROMIUM,
    headless: true,
    timeout: BROWSER_LIMIT_MS,
    env: { ...process.env, HOME: home },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', ...extraArgs],
  });
}

before(async () => {
  if (skip !== false) return;
  base = mkdtempSync(join(tmpdir(), 'h2kit-chromium-'));
  serve = await startServe([repoPath('examples', 'site'), '--port', '0', '--push-preload', '--access-log', '--verbose', '--cert-dir', join(base, 'certs')]);
  context = await launchChromium('h2', true);
});

after(async () => {
  await context?.close();
  await serve?.stop();
  if (base !== undefined) rmSync(base, { recursive: true, force: true });
});

interface Entry {
  name: string;
  nextHopProtocol: string;
}

/**
 * Loads the example site in `context`, checks that every resource came over `protocol`, that the
 * page rendered (script ran, stylesheet applied, images decoded), and writes a screenshot.
 */
async function loadAndCheckSite(context: BrowserContext, url: string, protocol: 'h2' | 'http/1.1', screenshot: string): Promise<void> {
  const page = context.pages()[0] ?? (await context.newPage());
  const response = await page.goto(url, { waitUntil: 'load', timeout: BROWSER_LIMIT_MS });
  assert.ok(response !== null);
  assert.equal(response.status(), 200);
  // The page is compressed on the fly (h2kit serve --compress is the default; Chromium asks for br).
  const encoding = (await response.allHeaders())['content-encoding'];
  assert.ok(encoding === 'br' || encoding === 'gzip', `the page came compressed (content-encoding: ${encoding})`);
  await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.rendered === 'yes', null, { timeout: 10_000 });

  const entries = (await page.evaluate(`(() => {
    const all = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
    return all.map((e) => ({ name: e.name, nextHopProtocol: e.nextHopProtocol }));
  })()`)) as Entry[];
  const origin = new URL(url).origin;
  const paths = entries.map((e) => e.name.replace(origin, ''));
  console.log(`# resources: ${entries.map((e) => `${e.name.replace(origin, '')}=${e.nextHopProtocol}`).join(', ')}`);
  for (const expected of ['/', '/style.css', '/app.js', '/img/logo.svg', '/img/dot.png']) {
    assert.ok(paths.includes(expected), `${expected} was loaded (loaded: ${paths.join(', ')})`);
  }
  for (const e of entries) assert.equal(e.nextHopProtocol, protocol, `${e.name} came over ${e.nextHopProtocol}`);

  const rendered = (await page.evaluate(`(() => ({
    protocol: document.getElementById('protocol').textContent,
    h1Color: getComputedStyle(document.querySelector('h1')).color,
    images: [...document.images].map((i) => ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0 })),
  }))()`)) as { protocol: string; h1Color: string; images: Array<{ src: string; ok: boolean }> };
  assert.equal(rendered.protocol, protocol, `the page script ran and saw ${protocol}`);
  assert.equal(rendered.h1Color, 'rgb(36, 86, 214)', 'the stylesheet applied');
  assert.equal(rendered.images.length, 2);
  for (const img of rendered.images) assert.ok(img.ok, `${img.src} decoded`);

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, screenshot);
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 1000, 'a screenshot was written');
  console.log(`# screenshot: ${shot}`);
}

test('Chromium, the dev CA in its NSS database, loads the example site over h2, renders it, and is sent no push', { skip, timeout: 3 * BROWSER_LIMIT_MS }, async () => {
  await loadAndCheckSite(context, serve.url, 'h2', 'browser-example-site.png');

  await context.close();
  assert.equal(await serve.stop(), 0);
  const out = serve.stdout();
  assertSiteServedOver(accessLog(out), 'h2');
  assert.match(out, /recv SETTINGS frame [^\n]*\n(?: +\[[^\n]*\n)* +\[SETTINGS_ENABLE_PUSH\(0x02\):0\]/, 'Chromium disabled push in its SETTINGS');
  assert.ok(!/send PUSH_PROMISE frame/.test(out), 'no PUSH_PROMISE frame was sent');
  const logLines = out.split('\n').filter((l) => /"GET \//.test(l));
  assert.ok(logLines.length >= 5, `access log lines: ${logLines.length}`);
  assert.ok(logLines.every((l) => !l.endsWith(' pushed')), 'no response marked pushed');
  assert.match(out, /stopped \(0 responses pushed\)/);
});

test('Chromium with --disable-http2 loads the example site from h2kit serve over TLS and HTTP/1.1 only, rendered as over h2', { skip, timeout: 3 * BROWSER_LIMIT_MS }, async (t) => {
  // A server and a browser of its own (the case above closes its own at its end), the same CA.
  const h1Serve = await startServe([repoPath('examples', 'site'), '--port', '0', '--access-log', '--cert-dir', join(base, 'certs')]);
  t.after(() => h1Serve.stop());
  const h1Context = await launchChromium('h1', true, ['--disable-http2']);
  t.after(() => h1Context.close());

  await loadAndCheckSite(h1Context, h1Serve.url, 'http/1.1', 'browser-example-site-http1.png');

  // The server's side: every response it logged went over HTTP/1.1 (none over h2). A 304 is
  // fine: with a trusted certificate Chromium caches (the icon is fetched twice), which it does
  // not do over a certificate error.
  await h1Context.close();
  assert.equal(await h1Serve.stop(), 0);
  assertSiteServedOver(accessLog(h1Serve.stdout()), 'http/1.1');
});

test('control: Chromium whose NSS database lacks the dev CA refuses the server (ERR_CERT_AUTHORITY_INVALID)', { skip, timeout: 3 * BROWSER_LIMIT_MS }, async (t) => {
  const untrustedServe = await startServe([repoPath('examples', 'site'), '--port', '0', '--access-log', '--cert-dir', join(base, 'certs')]);
  t.after(() => untrustedServe.stop());
  const untrusted = await launchChromium('untrusted', false);
  t.after(() => untrusted.close());
  const page = untrusted.pages()[0] ?? (await untrusted.newPage());
  await assert.rejects(page.goto(untrustedServe.url, { timeout: BROWSER_LIMIT_MS }), /net::ERR_CERT_AUTHORITY_INVALID/);
  await untrusted.close();
  assert.equal(await untrustedServe.stop(), 0);
  assert.deepEqual(accessLog(untrustedServe.stdout()), [], 'no request got through');
});
