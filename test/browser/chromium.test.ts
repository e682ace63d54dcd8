/**
 * The example site in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * loads `h2kit serve examples/site` over TLS (the development certificate) and we check:
 *  - every resource (the page, its stylesheet, script and images) came over h2, from the
 *    browser's own performance entries (`nextHopProtocol`);
 *  - the page rendered: the script ran, the stylesheet applied, the images decoded, and a
 *    screenshot is saved to test-artifacts/;
 *  - the server sent Chromium no PUSH_PROMISE, although it runs with --push-preload: Chromium
 *    disables push in its SETTINGS (seen in the --verbose frame trace), and the server's access
 *    log marks no response "pushed" and its push counter stays 0;
 *  - and, with --disable-http2, the same site from the same kind of server over HTTP/1.1 (the
 *    server's allowHTTP1, on by default): every resource http/1.1, rendered the same.
 * Run by `npm run test:browser` (and .ci/run, which installs chromium), not by `npm test`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { repoPath } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../cli-serve/support.js';

/** The browser to drive: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = repoPath('test-artifacts');

let serve: ServeProcess;
let context: BrowserContext;
let profile: string;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary`);
  serve = await startServe([repoPath('examples', 'site'), '--port', '0', '--push-preload', '--access-log', '--verbose']);
  profile = mkdtempSync(join(tmpdir(), 'h2kit-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--ignore-certificate-errors'],
  });
});

after(async () => {
  await context?.close();
  await serve?.stop();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
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
  const response = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  assert.ok(response !== null);
  assert.equal(response.status(), 200);
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

test('Chromium loads the example site over h2, renders it, and is sent no push', async () => {
  await loadAndCheckSite(context, serve.url, 'h2', 'browser-example-site.png');

  await context.close();
  assert.equal(await serve.stop(), 0);
  const out = serve.stdout();
  assert.match(out, /recv SETTINGS frame [^\n]*\n(?: +\[[^\n]*\n)* +\[SETTINGS_ENABLE_PUSH\(0x02\):0\]/, 'Chromium disabled push in its SETTINGS');
  assert.ok(!/send PUSH_PROMISE frame/.test(out), 'no PUSH_PROMISE frame was sent');
  const logLines = out.split('\n').filter((l) => /"GET \//.test(l));
  assert.ok(logLines.length >= 5, `access log lines: ${logLines.length}`);
  assert.ok(logLines.every((l) => !l.endsWith(' pushed')), 'no response marked pushed');
  assert.match(out, /stopped \(0 responses pushed\)/);
});

test('Chromium with --disable-http2 loads the example site from h2kit serve over TLS and HTTP/1.1 only, rendered as over h2', async (t) => {
  // A server and a browser of its own (the case above closes its own at its end).
  const h1Serve = await startServe([repoPath('examples', 'site'), '--port', '0', '--access-log']);
  t.after(() => h1Serve.stop());
  const h1Profile = mkdtempSync(join(tmpdir(), 'h2kit-chromium-h1-'));
  t.after(() => rmSync(h1Profile, { recursive: true, force: true }));
  const h1Context = await chromium.launchPersistentContext(h1Profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--ignore-certificate-errors', '--disable-http2'],
  });
  t.after(() => h1Context.close());

  await loadAndCheckSite(h1Context, h1Serve.url, 'http/1.1', 'browser-example-site-http1.png');

  // The server's side: every response it logged went over HTTP/1.1 (none over h2).
  await h1Context.close();
  assert.equal(await h1Serve.stop(), 0);
  const logLines = h1Serve.stdout().split('\n').filter((l) => /"GET \//.test(l));
  assert.ok(logLines.length >= 5, `access log lines: ${logLines.length}`);
  for (const l of logLines) assert.match(l, / 200 \d+ http\/1\.1 stream=\d+/, l);
});
