/**
 * The development CA of `h2kit serve` (src/cli/dev-ca/): made once in the folder, reused by the
 * next start (same CA, same server certificate), trusted by a client given only the CA
 * (`ca:`, no `rejectUnauthorized: false`), keys mode 0600 in a 0700 folder, one clear line for
 * an unreadable or unwritable folder and for broken CA files, the server certificate re-issued
 * when missing, foreign or about to expire, a new CA only once the old one is about to expire,
 * processes starting at once on an empty folder ending with one CA, `--cert-dir` and the default
 * folder, and what the start-up lines say.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { CliInputError } from '../../src/cli/command.js';
import { CA_CERT_FILE, CA_KEY_FILE, defaultCertDir, LEAF_CERT_FILE, LEAF_KEY_FILE, loadDevCertificate } from '../../src/cli/dev-ca/store.js';
import { devCertificateLines } from '../../src/cli/dev-ca/trust-help.js';
import { DIST_DIR } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { makeSite, runServeExpectingExit, startServe } from './support.js';

const DAY_MS = 24 * 3600 * 1000;

function tempDir(t: { after(fn: () => void): void }, prefix = 'h2kit-devca-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** GET / over h2 trusting only `ca` (Node's default verification: chain and name); the TLS socket's verdict. */
function getTrusting(origin: string, ca: string, servername?: string): Promise<{ status: number; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(origin, { ca, ...(servername === undefined ? {} : { servername }) });
    session.once('error', reject);
    const req = session.request({ ':path': '/' });
    req.end();
    req.once('error', reject);
    req.once('response', (headers) => {
      const authorized = (session.socket as TLSSocket).authorized;
      req.resume();
      req.once('end', () => {
        session.close();
        resolve({ status: Number(headers[':status']), authorized });
      });
    });
  });
}

/** The one line an error start printed: exit 1, a single line naming the problem, no stack. */
function assertOneLineError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${result.stderr}`);
  assert.ok(!/\n\s+at /.test(result.stderr) && !/internal error/.test(result.stderr), `no stack trace: ${result.stderr}`);
  assert.match(lines[0]!, /^h2kit serve: /);
  assert.match(lines[0]!, pattern);
}

const isRoot = process.getuid?.() === 0;
/** The uid/gid of a user who cannot read root's 0700 folders, for the permission cases when the tests run as root. */
const NOBODY = 65534;

/** Runs `h2kit serve ARGS` as a user for whom `dir`'s permissions count (nobody when we are root, which they do not stop). */
function runUnprivileged(args: string[]): ReturnType<typeof runServeExpectingExit> {
  return runServeExpectingExit(args, 20_000, isRoot ? { uid: NOBODY, gid: NOBODY, env: { HOME: '/nonexistent' } } : {});
}

/**
 * A folder path for a permission case, inside a base the unprivileged user may enter (mkdtemp
 * makes 0700 folders); its mode is given back before the base is removed.
 */
function permissionCase(t: { after(fn: () => void): void }): string {
  const base = mkdtempSync(join(tmpdir(), 'h2kit-devca-perm-'));
  chmodSync(base, 0o755);
  const dir = join(base, 'certs');
  t.after(() => {
    if (existsSync(dir)) chmodSync(dir, 0o700);
    rmSync(base, { recursive: true, force: true });
  });
  return dir;
}

describe('reuse and trust', () => {
  test('two starts: the same CA and the same server certificate; a client trusting only ca.pem verifies the server', async (t) => {
    const dir = join(tempDir(t), 'certs');
    const site = makeSite();
    t.after(() => site.cleanup());

    const first = await startServe([site.site, '--port', '0', '--cert-dir', dir]);
    t.after(() => first.stop());
    const caPem = readFileSync(join(dir, CA_CERT_FILE), 'utf8');
    const caFingerprint = new X509Certificate(caPem).fingerprint256;
    const leafFingerprint = new X509Certificate(readFileSync(join(dir, LEAF_CERT_FILE))).fingerprint256;
    assert.match(first.stdout(), /made a new development CA/);
    assert.doesNotMatch(first.stdout(), /note: that certificate is for localhost only/);
    assert.ok(first.stdout().includes(caFingerprint), `the CA's fingerprint is printed: ${first.stdout()}`);
    assert.ok(first.stdout().includes(`SHA-256 fingerprint ${leafFingerprint}`));
    // By IP (the certificate's 127.0.0.1 SAN) and by the name the URL shows (localhost).
    assert.deepEqual(await getTrusting(first.origin, caPem), { status: 200, authorized: true });
    assert.deepEqual(await getTrusting(first.origin, caPem, 'localhost'), { status: 200, authorized: true });
    assert.equal(await first.stop(), 0);

    const second = await startServe([site.site, '--port', '0', '--cert-dir', dir]);
    t.after(() => second.stop());
    assert.doesNotMatch(second.stdout(), /made a new|issued a new/, 'nothing made at the second start');
    assert.ok(second.stdout().includes(caFingerprint), 'the same CA');
    assert.ok(second.stdout().includes(`SHA-256 fingerprint ${leafFingerprint}`), 'the same server certificate');
    assert.equal(readFileSync(join(dir, CA_CERT_FILE), 'utf8'), caPem, 'ca.pem unchanged');
    assert.deepEqual(await getTrusting(second.origin, caPem), { status: 200, authorized: true });

    // And the check can fail: another folder's CA does not verify this server.
    const otherDir = join(tempDir(t), 'other');
    const other = await loadDevCertificate(otherDir);
    await assert.rejects(getTrusting(second.origin, readFileSync(other.caCertPath, 'utf8')), /unable to verify|self.signed|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i);
    assert.equal(await second.stop(), 0);
  });

  test('keys are mode 0600 and a new folder 0700; the CA is a CA, the certificate is for localhost, 127.0.0.1 and ::1', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async (t) => {
    const dir = join(tempDir(t), 'new', 'certs');
    const dev = await loadDevCertificate(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, CA_KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, LEAF_KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, CA_CERT_FILE)).mode & 0o066, statSync(join(dir, CA_CERT_FILE)).mode & 0o066 & ~0o022, 'ca.pem is no more than 0644');
    const ca = new X509Certificate(readFileSync(dev.caCertPath));
    const leaf = new X509Certificate(dev.cert);
    assert.equal(ca.ca, true);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'signed by the CA');
    assert.equal(leaf.checkHost('localhost'), 'localhost');
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(leaf.checkIP('::1') !== undefined);
    assert.equal(leaf.checkHost('example.com'), undefined);
    assert.deepEqual(dev.warnings, []);
  });

  test('OpenSSL verifies the certificate against the CA with its strict X.509 checks (what Python 3.13 applies by default)', { skip: spawnSync('openssl', ['version']).status === 0 ? false : 'openssl not installed' }, async (t) => {
    const dev = await loadDevCertificate(join(tempDir(t), 'certs'));
    const leafFile = join(dev.dir, LEAF_CERT_FILE);
    const strict = spawnSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', dev.caCertPath, leafFile], { encoding: 'utf8' });
    assert.equal(strict.status, 0, strict.stdout + strict.stderr);
    // The negative: the CA alone is not its own server certificate's issuer in another folder.
    const other = await loadDevCertificate(join(tempDir(t), 'other'));
    assert.notEqual(spawnSync('openssl', ['verify', '-CAfile', other.caCertPath, leafFile]).status, 0);
  });

  test('curl trusts the server given --cacert ca.pem, and refuses it without', { skip: spawnSync('curl', ['--version']).status === 0 ? false : 'curl not installed' }, async (t) => {
    const dir = join(tempDir(t), 'certs');
    const site = makeSite();
    t.after(() => site.cleanup());
    const serve = await startServe([site.site, '--port', '0', '--cert-dir', dir]);
    t.after(() => serve.stop());
    const url = `https://localhost:${serve.port}/hello.txt`;
    const resolve = `localhost:${serve.port}:127.0.0.1`; // the name, pinned to the address it listens on
    const ok = spawnSync('curl', ['-sS', '--max-time', '20', '--resolve', resolve, '--cacert', join(dir, CA_CERT_FILE), '-w', '%{http_version}', url], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'hello, world\n2');
    const refused = spawnSync('curl', ['-sS', '--max-time', '20', '--resolve', resolve, url], { encoding: 'utf8' });
    assert.equal(refused.status, 60, `curl without the CA: certificate problem (exit 60): ${refused.stderr}`);
  });
});

describe('errors: one line, exit 1, no stack', () => {
  test('an unreadable CA folder', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async (t) => {
    const dir = permissionCase(t);
    await loadDevCertificate(dir); // a good CA in it, so only the folder's mode is wrong
    chmodSync(dir, 0o000);
    const result = await runUnprivileged(['--port', '0', '--cert-dir', dir, tmpdir()]);
    assertOneLineError(result, new RegExp(`cannot read the development CA folder ${dir}: permission denied \\(give another with --cert-dir DIR, or use --cert/--key\\)$`));
  });

  test('an unwritable folder without a CA yet', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async (t) => {
    const dir = permissionCase(t);
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    const result = await runUnprivileged(['--port', '0', '--cert-dir', dir, tmpdir()]);
    assertOneLineError(result, new RegExp(`cannot write to the development CA folder ${dir}: permission denied`));
    assert.ok(!existsSync(join(dir, CA_CERT_FILE)));
  });

  test('a --cert-dir that is a file', async (t) => {
    const file = join(tempDir(t), 'a-file');
    writeFileSync(file, 'x');
    assertOneLineError(await runServeExpectingExit(['--port', '0', '--cert-dir', file, tmpdir()]), /cannot use .*a-file for the development CA: it is not a folder/);
  });

  test('broken CA files: each named, with the way to start over; nothing in the folder changed', async (t) => {
    const cases: Array<{ name: string; spoil(dir: string): void; says: RegExp }> = [
      { name: 'ca.pem not a certificate', spoil: (d) => writeFileSync(join(d, CA_CERT_FILE), 'not a certificate\n'), says: /ca\.pem is not a PEM certificate/ },
      { name: 'ca-key.pem not a key', spoil: (d) => writeFileSync(join(d, CA_KEY_FILE), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), says: /ca-key\.pem is not a PEM private key/ },
      { name: 'ca-key.pem missing', spoil: (d) => rmSync(join(d, CA_KEY_FILE)), says: /ca-key\.pem is missing but .*ca\.pem is there/ },
      { name: 'ca.pem missing', spoil: (d) => rmSync(join(d, CA_CERT_FILE)), says: /ca\.pem is missing but .*ca-key\.pem is there/ },
      { name: 'ca.pem the server certificate', spoil: (d) => writeFileSync(join(d, CA_CERT_FILE), readFileSync(join(d, LEAF_CERT_FILE))), says: /ca\.pem is not a CA certificate/ },
      { name: "another CA's key", spoil: (d) => writeFileSync(join(d, CA_KEY_FILE), readFileSync(join(d, LEAF_KEY_FILE))), says: /ca-key\.pem is not the key of .*ca\.pem/ },
    ];
    for (const c of cases) {
      const dir = join(tempDir(t), 'certs');
      await loadDevCertificate(dir);
      c.spoil(dir);
      const before = [CA_CERT_FILE, CA_KEY_FILE].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null));
      const result = await runServeExpectingExit(['--port', '0', '--cert-dir', dir, tmpdir()]);
      assertOneLineError(result, c.says);
      assert.ok(result.stderr.includes(`To start over with a new CA, delete ${dir}`), `${c.name}: the way out: ${result.stderr}`);
      const after = [CA_CERT_FILE, CA_KEY_FILE].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null));
      assert.deepEqual(after, before, `${c.name}: the CA files were left as they were`);
    }
  });

  test('--cert-dir is refused with --no-tls and with --cert/--key (exit 2)', async (t) => {
    const dir = tempDir(t);
    const noTls = await runServeExpectingExit(['--no-tls', '--cert-dir', dir, tmpdir()]);
    assert.equal(noTls.code, 2);
    assert.match(noTls.stderr, /--cert-dir is for the development certificate: not with --no-tls/);
    const withCert = await runServeExpectingExit(['--cert', 'c.pem', '--key', 'k.pem', '--cert-dir', dir, tmpdir()]);
    assert.equal(withCert.code, 2);
    assert.match(withCert.stderr, /not with --cert\/--key/);
  });
});

describe('re-issue and renewal', () => {
  test('the server certificate is issued again when missing, unreadable, not matching its key or from another CA; the CA stays', async (t) => {
    const dir = join(tempDir(t), 'certs');
    const first = await loadDevCertificate(dir);
    const spoilers: Array<[string, (d: string) => void, RegExp]> = [
      ['missing', (d) => rmSync(join(d, LEAF_CERT_FILE)), /half of it was missing/],
      ['unreadable', (d) => writeFileSync(join(d, LEAF_KEY_FILE), 'garbage'), /unreadable/],
      // A certificate whose key is not localhost-key.pem.
      ['mismatched', (d) => writeFileSync(join(d, LEAF_CERT_FILE), readFileSync(join(d, CA_CERT_FILE))), /key did not match/],
    ];
    let previous = first.fingerprint256;
    for (const [name, spoil, says] of spoilers) {
      spoil(dir);
      const next = await loadDevCertificate(dir);
      assert.equal(next.caFingerprint256, first.caFingerprint256, `${name}: the same CA`);
      assert.notEqual(next.fingerprint256, previous, `${name}: a new server certificate`);
      assert.equal(next.changes.length, 1);
      assert.match(next.changes[0]!, says);
      previous = next.fingerprint256;
    }
    // Signed by another CA, with its own matching key: re-issued too.
    const other = await loadDevCertificate(join(tempDir(t), 'other'));
    writeFileSync(join(dir, LEAF_CERT_FILE), other.cert);
    writeFileSync(join(dir, LEAF_KEY_FILE), other.key);
    const next = await loadDevCertificate(dir);
    assert.match(next.changes.join(), /not signed by this CA/);
    assert.equal(next.caFingerprint256, first.caFingerprint256);
  });

  test('near its end the server certificate is re-issued from the same CA; near the CA\'s end, a new CA, and the user is told', async (t) => {
    const dir = join(tempDir(t), 'certs');
    const now = Date.now();
    const made = await loadDevCertificate(dir, now);
    const leafEnd = Date.parse(new X509Certificate(made.cert).validTo);
    assert.ok(leafEnd - now > 800 * DAY_MS && leafEnd - now < 825 * DAY_MS, 'the server certificate lasts under the 825 days macOS accepts');

    const unchanged = await loadDevCertificate(dir, leafEnd - 31 * DAY_MS);
    assert.deepEqual(unchanged.changes, [], 'a month and a day before its end: kept');
    assert.equal(unchanged.fingerprint256, made.fingerprint256);

    const renewed = await loadDevCertificate(dir, leafEnd - 29 * DAY_MS);
    assert.equal(renewed.caFingerprint256, made.caFingerprint256, 'the same CA');
    assert.notEqual(renewed.fingerprint256, made.fingerprint256);
    assert.match(renewed.changes.join(), /issued a new server certificate \(the old one expires/);

    const caEnd = Date.parse(new X509Certificate(readFileSync(made.caCertPath)).validTo);
    const newCa = await loadDevCertificate(dir, caEnd - 10 * DAY_MS);
    assert.notEqual(newCa.caFingerprint256, made.caFingerprint256, 'a new CA');
    assert.match(newCa.changes.join(), /the development CA expires .*: made a new one, .*trust it again/);
    const leaf = new X509Certificate(newCa.cert);
    assert.ok(leaf.checkIssued(new X509Certificate(readFileSync(newCa.caCertPath))), 'the server certificate is from the new CA');
  });
});

describe('concurrency and --workers', () => {
  test('six processes starting at once on an empty folder end with one CA and one server certificate, all using them', async (t) => {
    const dir = join(tempDir(t), 'certs');
    const store = pathToFileURL(join(DIST_DIR, 'src', 'cli', 'dev-ca', 'store.js')).href;
    const script = `const m = await import(${JSON.stringify(store)}); const d = await m.loadDevCertificate(${JSON.stringify(dir)}); console.log(d.caFingerprint256 + ' ' + d.fingerprint256);`;
    const runs = Array.from({ length: 6 }, () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
        child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('close', (code) => {
          clearTimeout(timer);
          if (code === 0) resolve(out.trim());
          else reject(new Error(`exit ${code}: ${err}`));
        });
      }),
    );
    const seen = new Set(await Promise.all(runs));
    assert.equal(seen.size, 1, `one CA and one certificate: ${[...seen].join(' | ')}`);
    const [caFingerprint, leafFingerprint] = [...seen][0]!.split(' ');
    assert.equal(new X509Certificate(readFileSync(join(dir, CA_CERT_FILE))).fingerprint256, caFingerprint);
    assert.equal(new X509Certificate(readFileSync(join(dir, LEAF_CERT_FILE))).fingerprint256, leafFingerprint);
    assert.ok(new X509Certificate(readFileSync(join(dir, CA_CERT_FILE))).checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(join(dir, CA_KEY_FILE)))));
    assert.ok(!existsSync(join(dir, '.lock')), 'the lock was released');
  });

  test('a lock left by a process that died is taken over', async (t) => {
    const dir = join(tempDir(t), 'certs');
    mkdirSync(dir, { mode: 0o700 });
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const { hostname } = await import('node:os');
    writeFileSync(join(dir, '.lock'), `${dead.stdout.trim()} ${hostname()}\n`);
    const dev = await loadDevCertificate(dir);
    assert.match(dev.changes.join(), /made a new development CA/);
    assert.ok(!existsSync(join(dir, '.lock')));
  });

  test('--workers 2: the primary makes the CA once; every worker presents its certificate, trusted through ca.pem', async (t) => {
    const dir = join(tempDir(t), 'certs');
    const site = makeSite();
    t.after(() => site.cleanup());
    const serve = await startServe([site.site, '--port', '0', '--workers', '2', '--cert-dir', dir]);
    t.after(() => serve.stop());
    assert.equal((serve.stdout().match(/made a new development CA/g) ?? []).length, 1);
    const caPem = readFileSync(join(dir, CA_CERT_FILE), 'utf8');
    const results = await Promise.all(Array.from({ length: 6 }, () => getTrusting(serve.origin, caPem)));
    assert.ok(results.every((r) => r.status === 200 && r.authorized), JSON.stringify(results));
    assert.equal(await serve.stop(), 0);
  });
});

describe('SIGHUP', () => {
  test('--workers 2: a rolling restart checks the folder again; a server certificate issued meanwhile is what the new workers present, still trusted through the same ca.pem', async (t) => {
    const dir = join(tempDir(t), 'certs');
    const site = makeSite();
    t.after(() => site.cleanup());
    const serve = await startServe([site.site, '--port', '0', '--workers', '2', '--cert-dir', dir]);
    t.after(() => serve.stop());
    const caPem = readFileSync(join(dir, CA_CERT_FILE), 'utf8');
    const oldLeaf = new X509Certificate(readFileSync(join(dir, LEAF_CERT_FILE))).fingerprint256;

    rmSync(join(dir, LEAF_CERT_FILE)); // as if it had expired: the next look issues another
    serve.child.kill('SIGHUP');
    await waitFor(() => /rolling restart complete/.test(serve.stderr()), { what: '"rolling restart complete"', timeout: 60_000, detail: () => serve.stderr() });
    const newLeaf = new X509Certificate(readFileSync(join(dir, LEAF_CERT_FILE))).fingerprint256;
    assert.notEqual(newLeaf, oldLeaf);
    assert.ok(serve.stderr().includes(`(new certificate, SHA-256 fingerprint ${newLeaf})`), serve.stderr());
    for (let i = 0; i < 4; i++) {
      const session = http2.connect(serve.origin, { ca: caPem });
      const fingerprint = await new Promise<string>((resolve, reject) => {
        session.once('connect', () => resolve((session.socket as TLSSocket).getPeerCertificate().fingerprint256));
        session.once('error', reject);
      });
      session.close();
      assert.equal(fingerprint, newLeaf, 'every worker now presents the new certificate, verified against the same CA');
    }
    assert.equal(await serve.stop(), 0);
  });
});

describe('the folder and the start-up lines', () => {
  test('default folder: $XDG_CONFIG_HOME/h2kit, ~/.config/h2kit, macOS and Windows places', () => {
    assert.equal(defaultCertDir({ XDG_CONFIG_HOME: '/x/cfg' }, 'linux', '/home/ann'), '/x/cfg/h2kit');
    assert.equal(defaultCertDir({}, 'linux', '/home/ann'), '/home/ann/.config/h2kit');
    assert.equal(defaultCertDir({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/ann'), '/home/ann/.config/h2kit', 'a relative XDG_CONFIG_HOME is ignored, as the spec says');
    assert.equal(defaultCertDir({}, 'darwin', '/Users/ann'), '/Users/ann/Library/Application Support/h2kit');
    assert.equal(defaultCertDir({ XDG_CONFIG_HOME: '/x/cfg' }, 'darwin', '/Users/ann'), '/x/cfg/h2kit');
    assert.equal(defaultCertDir({ LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' }, 'win32', 'C:\\Users\\ann'), 'C:\\Users\\ann\\AppData\\Local\\h2kit');
  });

  test('without --cert-dir the CA goes to $XDG_CONFIG_HOME/h2kit', async (t) => {
    const config = tempDir(t);
    const site = makeSite();
    t.after(() => site.cleanup());
    const serve = await startServe([site.site, '--port', '0'], 20_000, { env: { XDG_CONFIG_HOME: config } });
    t.after(() => serve.stop());
    assert.ok(existsSync(join(config, 'h2kit', CA_CERT_FILE)));
    assert.ok(serve.stdout().includes(`curl --cacert ${join(config, 'h2kit', CA_CERT_FILE)} https://localhost:${serve.port}/`), serve.stdout());
    assert.equal(await serve.stop(), 0);
  });

  test('the lines: the CA path, curl and h2kit get, Chromium and Firefox by certutil, this system\'s store; a path with a space quoted', async (t) => {
    const dev = await loadDevCertificate(join(tempDir(t), 'my certs'));
    const quotedPath = `'${dev.caCertPath}'`;
    const linux = devCertificateLines(dev, 'https://localhost:8443/', 'linux').join('\n');
    assert.ok(linux.includes(`curl --cacert ${quotedPath} https://localhost:8443/`), linux);
    assert.match(linux, /h2kit get --cacert/);
    assert.ok(linux.includes(`Chromium: certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n 'h2kit development CA' -i ${quotedPath}`), linux);
    assert.match(linux, /Firefox: certutil -d sql:PROFILE-FOLDER/);
    assert.match(linux, /update-ca-certificates/);
    assert.ok(linux.split('\n').length <= 8, 'a few lines');
    const mac = devCertificateLines(dev, 'https://localhost:8443/', 'darwin').join('\n');
    assert.match(mac, /security add-trusted-cert -d -r trustRoot/);
    assert.doesNotMatch(mac, /nssdb/);
    assert.match(devCertificateLines(dev, 'https://localhost:8443/', 'win32').join('\n'), /certutil -user -addstore Root/);
  });

  test('--host other than loopback: a note that the certificate is for localhost only', { skip: process.platform === 'linux' ? false : '127.0.0.2 is a loopback address on Linux only' }, async (t) => {
    const serve = await startServe([tmpdir(), '--port', '0', '--host', '127.0.0.2', '--cert-dir', join(tempDir(t), 'certs')]);
    t.after(() => serve.stop());
    assert.match(serve.stdout(), /note: that certificate is for localhost only; clients reaching 127\.0\.0\.2 will not verify it \(use --cert\/--key\)/);
    assert.equal(await serve.stop(), 0);
  });

  test('a CA key readable by others: a warning line, the start goes on', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async (t) => {
    const dir = join(tempDir(t), 'certs');
    await loadDevCertificate(dir);
    chmodSync(join(dir, CA_KEY_FILE), 0o644);
    const dev = await loadDevCertificate(dir);
    assert.deepEqual(dev.warnings, [`${join(dir, CA_KEY_FILE)} can be read by other users (mode 0644): chmod 600 it`]);
  });

  test('loadDevCertificate throws CliInputError (a line for the user), not a raw file system error', async (t) => {
    const file = join(tempDir(t), 'file');
    writeFileSync(file, '');
    await assert.rejects(loadDevCertificate(file), (err: unknown) => err instanceof CliInputError);
  });
});
