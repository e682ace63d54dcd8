/**
 * A second browser engine: Debian's Firefox ESR, headless, loads `h2kit serve examples/site`
 * over TLS with the development CA trusted the way a user trusts it, by adding ca.pem to a fresh
 * profile's certificate database with `certutil` (libnss3-tools); no exception, no override.
 * Firefox's `--screenshot` mode loads the page, waits for it, writes a PNG and quits: no
 * WebDriver or Marionette download needed. Checked from the server's side: the access log
 * holds every resource of the page, each over h2, none failed; and the screenshot is a PNG
 * (saved to test-artifacts/). Without the CA in the profile the test fails: Firefox stops at
 * the certificate, the server logs no request, and `--screenshot` waits on the error page until
 * the time bound ends it (seen by hand; not a test of its own, as only a timeout would show it).
 * Run by `npm run test:browser` (and .ci/run, which installs firefox-esr and libnss3-tools).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../helpers/paths.js';
import { startServe } from '../cli-serve/support.js';
import { accessLog, assertSiteServedOver, certutilMissing, nssDatabase } from './trust.js';

/** The browser: $FIREFOX_PATH, else Debian's firefox-esr. */
const FIREFOX = process.env.FIREFOX_PATH || 'firefox-esr';
const ARTIFACTS = repoPath('test-artifacts');
/** One headless load and screenshot takes about 10 s on a busy 2-core machine; this bounds a hung one. */
const FIREFOX_LIMIT_MS = 120_000;

function firefoxMissing(): string | null {
  const probe = spawnSync(FIREFOX, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0 ? null : `${FIREFOX} is missing: install Debian's firefox-esr (apt-get install -y firefox-esr) or set FIREFOX_PATH`;
}
const skip = firefoxMissing() ?? certutilMissing() ?? false;

/**
 * Preferences for a quiet test profile: no first-run pages, update checks, telemetry or
 * safe-browsing downloads, nothing that talks to the network besides the page under test.
 */
const USER_JS = [
  ['browser.shell.checkDefaultBrowser', false],
  ['browser.startup.homepage_override.mstone', '"ignore"'],
  ['app.update.enabled', false],
  ['app.update.auto', false],
  ['datareporting.policy.dataSubmissionEnabled', false],
  ['datareporting.healthreport.uploadEnabled', false],
  ['toolkit.telemetry.enabled', false],
  ['browser.safebrowsing.malware.enabled', false],
  ['browser.safebrowsing.phishing.enabled', false],
  ['browser.safebrowsing.downloads.enabled', false],
  ['network.captive-portal-service.enabled', false],
  ['network.connectivity-service.enabled', false],
  ['extensions.update.enabled', false],
  ['browser.aboutwelcome.enabled', false],
]
  .map(([name, value]) => `user_pref("${name}", ${value});`)
  .join('\n');

/** A fresh Firefox profile folder with its NSS database; the CA added when given. */
function makeProfile(base: string, caFile: string | null): string {
  const profile = join(base, 'profile');
  nssDatabase(profile, caFile);
  writeFileSync(join(profile, 'user.js'), USER_JS + '\n');
  return profile;
}

/** `firefox-esr --headless --screenshot OUT URL` in `profile`, bounded in time (its whole process group ended). */
function screenshot(profile: string, home: string, out: string, url: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(FIREFOX, ['--headless', '--no-remote', '--profile', profile, '--screenshot', out, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home, MOZ_CRASHREPORTER_DISABLE: '1' },
    detached: true, // its own process group: the content processes go with it on a timeout
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const timer = setTimeout(() => {
    output += `\n(killed after ${FIREFOX_LIMIT_MS} ms)`;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, FIREFOX_LIMIT_MS);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

function isPng(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    readSync(fd, head, 0, 8, 0);
    return head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  } finally {
    closeSync(fd);
  }
}

test('Firefox, the dev CA added to a fresh profile with certutil, loads the example site over h2 (access log) and renders it (screenshot)', { skip, timeout: FIREFOX_LIMIT_MS + 60_000 }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'h2kit-firefox-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const certDir = join(base, 'certs');
  const serve = await startServe([repoPath('examples', 'site'), '--port', '0', '--access-log', '--cert-dir', certDir]);
  t.after(() => serve.stop());
  const profile = makeProfile(base, join(certDir, 'ca.pem'));
  const home = join(base, 'home');
  mkdirSync(home);

  const shot = join(base, 'firefox.png');
  const run = await screenshot(profile, home, shot, serve.url);
  assert.equal(run.code, 0, `firefox exit code; output: ${run.output}`);
  assert.equal(await serve.stop(), 0);

  const log = accessLog(serve.stdout());
  console.log(`# access log: ${log.map((l) => `${l.path}=${l.status} ${l.protocol}`).join(', ')}`);
  assertSiteServedOver(log, 'h2');
  assert.equal(serve.stderr(), '', 'the server logged no error');

  assert.ok(statSync(shot).size > 1000, 'a screenshot was written');
  assert.ok(isPng(shot), 'the screenshot is a PNG');
  mkdirSync(ARTIFACTS, { recursive: true });
  copyFileSync(shot, join(ARTIFACTS, 'browser-example-site-firefox.png'));
  console.log(`# screenshot: ${join(ARTIFACTS, 'browser-example-site-firefox.png')}`);
});
