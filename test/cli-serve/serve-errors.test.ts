/**
 * `h2kit serve` start-up failures: one line on stderr naming the problem, a non-zero exit
 * (2 for a bad command line, 1 for a problem with the files or the port), no stack trace.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { makeSite, runServeExpectingExit } from './support.js';

async function expectFailure(args: string[], code: number, pattern: RegExp): Promise<void> {
  const r = await runServeExpectingExit(args);
  assert.equal(r.code, code, `exit code for ${args.join(' ')}; stderr: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0]!, /^h2kit serve: /);
  assert.match(lines[0]!, pattern);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  assert.ok(!r.stdout.includes('open http'), 'never claims to be serving');
}

describe('bad command lines (exit 2)', () => {
  const site = makeSite();
  after(() => site.cleanup());
  test('an unknown flag', () => expectFailure([site.site, '--bogus'], 2, /^h2kit serve: unknown option --bogus \(see "h2kit serve --help"\)$/));
  test('a flag missing its value', () => expectFailure([site.site, '--port'], 2, /^h2kit serve: --port needs a value \(see "h2kit serve --help"\)$/));
  test('a port that is not a number, too large or negative (--port -1 and --port=-1 alike)', async () => {
    await expectFailure([site.site, '--port', 'http'], 2, /--port must be a port number 0-65535, got http \(/);
    await expectFailure([site.site, '--port', '70000'], 2, /--port must be a port number 0-65535, got 70000 \(/);
    await expectFailure([site.site, '--port', '-1'], 2, /^h2kit serve: --port must be a port number 0-65535, got -1 \(see "h2kit serve --help"\)$/);
    await expectFailure([site.site, '--port=-1'], 2, /^h2kit serve: --port must be a port number 0-65535, got -1 \(see "h2kit serve --help"\)$/);
  });
  test('--workers 0, too many, or not a number', async () => {
    await expectFailure([site.site, '--workers', '0'], 2, /--workers expects "auto" or an integer from 1 to 256, got "0"/);
    await expectFailure([site.site, '--workers', 'many'], 2, /--workers expects "auto" or an integer from 1 to 256, got "many"/);
    await expectFailure([site.site, '--workers', '1000'], 2, /--workers expects "auto" or an integer from 1 to 256, got "1000"/);
  });
  test('--max-open-files and --max-open-files-per-connection: 0 or not a number', async () => {
    await expectFailure([site.site, '--max-open-files', '0'], 2, /--max-open-files expects an integer from 1 to 1000000, got "0"/);
    await expectFailure([site.site, '--max-open-files', 'lots'], 2, /--max-open-files expects an integer from 1 to 1000000, got "lots"/);
    await expectFailure([site.site, '--max-open-files-per-connection=-1'], 2, /--max-open-files-per-connection expects an integer from 1 to 1000000, got "-1"/);
  });
  test('--cert without --key, and --no-tls with a certificate', async () => {
    await expectFailure([site.site, '--cert', 'c.pem'], 2, /--cert and --key go together/);
    await expectFailure([site.site, '--key', 'k.pem'], 2, /--cert and --key go together/);
    await expectFailure([site.site, '--no-tls', '--cert', 'c.pem', '--key', 'k.pem'], 2, /--no-tls cannot be used with --cert\/--key/);
  });
  test('two folders', () => expectFailure([site.site, site.dir], 2, /at most one DIR/));
  test('--help prints the options and exits 0', async () => {
    const r = await runServeExpectingExit(['--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--host', '--port', '--cert', '--key', '--no-tls', '--push-preload', '--push-manifest', '--access-log', '--verbose', '--workers', '--max-open-files', '--max-open-files-per-connection']) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });
});

describe('files, certificates and ports (exit 1)', () => {
  test('a missing DIR', async () => {
    const site = makeSite();
    await expectFailure([join(site.dir, 'nope'), '--no-tls'], 1, /cannot serve .*nope: no such directory/);
    site.cleanup();
  });

  test('a DIR that is a file', async () => {
    const site = makeSite();
    await expectFailure([join(site.site, 'hello.txt'), '--no-tls'], 1, /hello\.txt is not a directory/);
    site.cleanup();
  });

  test('a port in use', async () => {
    const site = makeSite();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expectFailure([site.site, '--no-tls', '--port', String(port)], 1, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
      await expectFailure([site.site, '--no-tls', '--port', String(port), '--workers', '2'], 1, /the port is already in use/);
    } finally {
      blocker.close();
      site.cleanup();
    }
  });

  test('an address this machine does not have', async () => {
    const site = makeSite();
    await expectFailure([site.site, '--no-tls', '--port', '0', '--host', '192.0.2.1'], 1, /cannot listen on 192\.0\.2\.1:0: no such address/);
    site.cleanup();
  });

  test('unreadable or unusable --cert/--key', async () => {
    const site = makeSite();
    const cert = join(site.dir, 'cert.pem');
    const key = join(site.dir, 'key.pem');
    await expectFailure([site.site, '--cert', cert, '--key', key], 1, /cannot read --cert .*cert\.pem: no such file/);
    writeFileSync(cert, 'not a certificate\n');
    mkdirSync(key);
    await expectFailure([site.site, '--cert', cert, '--key', key], 1, /cannot read --key .*key\.pem: is a directory/);
    const garbageKey = join(site.dir, 'garbage-key.pem');
    writeFileSync(garbageKey, 'not a key either\n');
    await expectFailure([site.site, '--cert', cert, '--key', garbageKey], 1, /cannot use --cert .*cert\.pem \/ --key .*garbage-key\.pem: /);
    site.cleanup();
  });

  test('a push manifest that is missing, not JSON, or of the wrong shape', async () => {
    const site = makeSite();
    const manifest = join(site.dir, 'push.json');
    await expectFailure([site.site, '--no-tls', '--push-manifest', manifest], 1, /cannot read push manifest .*push\.json: no such file/);
    writeFileSync(manifest, '{ "/": [');
    await expectFailure([site.site, '--no-tls', '--push-manifest', manifest], 1, /push\.json: not valid JSON/);
    writeFileSync(manifest, '["/a.css"]');
    await expectFailure([site.site, '--no-tls', '--push-manifest', manifest], 1, /a push manifest is a JSON object/);
    writeFileSync(manifest, '{ "/": "/a.css" }');
    await expectFailure([site.site, '--no-tls', '--push-manifest', manifest], 1, /the assets of "\/" must be an array of paths/);
    writeFileSync(manifest, '{ "index.html": ["/a.css"] }');
    await expectFailure([site.site, '--no-tls', '--push-manifest', manifest], 1, /page "index\.html" is not a path starting with "\/"/);
    site.cleanup();
  });
});
