/**
 * For the browser tests: trusting `h2kit serve`'s development CA the way a user would, through
 * the browser's own certificate store (an NSS database, which Chromium on Linux reads from
 * `$HOME/.pki/nssdb` and Firefox from its profile folder), filled with `certutil` from Debian's
 * libnss3-tools. And reading the server's access log, the server's side of what the browser
 * fetched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** Why the NSS tools cannot be used here, or null when they can. */
export function certutilMissing(): string | null {
  const probe = spawnSync('certutil', ['-H'], { encoding: 'utf8' });
  return probe.error === undefined ? null : 'certutil is missing: install Debian\'s libnss3-tools (apt-get install -y libnss3-tools)';
}

function certutil(args: string[]): void {
  const result = spawnSync('certutil', args, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, `certutil ${args.join(' ')}: ${result.stdout}${result.stderr}`);
}

/**
 * Makes a fresh NSS database in `dir` (no password, as a browser makes its own) and, given
 * `caFile`, adds it as a CA trusted for TLS servers ("C,,": the trust flags a browser's
 * "trust this CA to identify websites" sets). Printed back with `certutil -L` in the test log.
 */
export function nssDatabase(dir: string, caFile: string | null): void {
  mkdirSync(dir, { recursive: true });
  certutil(['-N', '-d', `sql:${dir}`, '--empty-password']);
  if (caFile !== null) certutil(['-A', '-d', `sql:${dir}`, '-t', 'C,,', '-n', 'h2kit development CA', '-i', caFile]);
}

export interface AccessLogLine {
  path: string;
  status: number;
  protocol: string;
  line: string;
}

/** The responses `h2kit serve --access-log` logged: `ADDR [TIME] "GET /path" STATUS BYTES PROTOCOL stream=N`. */
export function accessLog(stdout: string): AccessLogLine[] {
  const lines: AccessLogLine[] = [];
  for (const line of stdout.split('\n')) {
    const m = /"GET (\S+)" (\d{3}) \d+ (\S+)/.exec(line);
    if (m !== null) lines.push({ path: m[1]!, status: Number(m[2]), protocol: m[3]!, line });
  }
  return lines;
}

/** The example site's page and the resources it loads: what a browser that rendered it must have fetched. */
export const SITE_RESOURCES = ['/', '/style.css', '/app.js', '/img/logo.svg', '/img/dot.png'];

/** Every resource of the page was fetched, each answered 200 or 304 over `protocol`, and nothing failed. */
export function assertSiteServedOver(log: AccessLogLine[], protocol: string): void {
  const paths = new Set(log.map((l) => l.path));
  for (const path of SITE_RESOURCES) assert.ok(paths.has(path), `${path} was requested (log: ${log.map((l) => l.line).join(' | ')})`);
  for (const l of log) {
    assert.equal(l.protocol, protocol, `over ${protocol}: ${l.line}`);
    assert.ok(l.status === 200 || l.status === 304 || (l.path === '/favicon.ico' && l.status === 404), `no error: ${l.line}`);
  }
}
