/**
 * `h2kit serve` answering requests: headers, index, redirects, HEAD, 404/405, validators and
 * 304, ranges (206/416), and every way of reaching outside the served folder refused.
 * One server (h2c) for the whole file; node:http2 is the client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type http2 from 'node:http2';
import { connect, makeSite, request, SECRET, startServe, type ServeProcess } from './support.js';

let site: ReturnType<typeof makeSite>;
let serve: ServeProcess;
let session: http2.ClientHttp2Session;

before(async () => {
  site = makeSite();
  serve = await startServe([site.site, '--no-tls', '--port', '0']);
  session = await connect(serve.origin);
});

after(async () => {
  session?.close();
  const code = await serve?.stop();
  site?.cleanup();
  assert.equal(code, 0, 'SIGTERM stops the server cleanly (exit 0)');
});

describe('files', () => {
  test('a file: 200 with content-type, content-length, etag, last-modified, accept-ranges', async () => {
    const r = await request(session, '/hello.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello, world\n');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['content-length'], '13');
    assert.match(String(r.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/);
    const mtime = statSync(join(site.site, 'hello.txt')).mtime;
    assert.equal(r.headers['last-modified'], mtime.toUTCString());
    assert.equal(r.headers['accept-ranges'], 'bytes');
  });

  test('content types by extension', async () => {
    const cases: Array<[string, string]> = [
      ['/style.css', 'text/css; charset=utf-8'],
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/index.html', 'text/html; charset=utf-8'],
      ['/empty.bin', 'application/octet-stream'],
    ];
    for (const [path, type] of cases) {
      const r = await request(session, path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], type, path);
    }
  });

  test('an empty file: 200, content-length 0, no body', async () => {
    const r = await request(session, '/empty.bin');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '0');
    assert.equal(r.body.length, 0);
  });

  test('a folder with a slash serves its index.html; without one, 301 to the slash', async () => {
    const root = await request(session, '/');
    assert.equal(root.status, 200);
    assert.match(root.body.toString(), /<title>t<\/title>/);
    const sub = await request(session, '/sub/');
    assert.equal(sub.status, 200);
    assert.equal(sub.body.toString(), '<p>sub index</p>');
    const redirect = await request(session, '/sub?x=1');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/sub/?x=1');
    const offsite = await request(session, '//sub');
    assert.equal(offsite.status, 301);
    assert.equal(offsite.headers.location, '/sub/', 'never a protocol-relative //host redirect');
  });

  test('query strings are ignored when finding the file', async () => {
    const r = await request(session, '/hello.txt?v=3');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello, world\n');
  });

  test('HEAD: the headers of GET, no body', async () => {
    const r = await request(session, '/hello.txt', { ':method': 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '13');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.body.length, 0);
  });

  test('404 with a small body; 405 with allow for other methods', async () => {
    const missing = await request(session, '/nope.html');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.toString(), '404 Not Found\n');
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await request(session, '/hello.txt', { ':method': method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
      assert.equal(r.body.toString(), '405 Method Not Allowed\n');
    }
  });

  test('hidden names (.git, .env, dot segments anywhere) are 404; /.well-known/ is served', async () => {
    for (const path of ['/.git/config', '/.env', '/.git/', '/sub/.hidden', '/%2egit/config']) {
      const r = await request(session, path);
      assert.equal(r.status, 404, path);
      assert.ok(!r.body.toString().includes('SECRET') && !r.body.toString().includes('secret'), path);
    }
    const wk = await request(session, '/.well-known/security.txt');
    assert.equal(wk.status, 200);
    assert.equal(wk.body.toString(), 'Contact: mailto:x@example.org\n');
  });

  test('a symlink that stays inside the folder is served', async () => {
    const r = await request(session, '/inner-link.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello, world\n');
  });
});

describe('conditional requests', () => {
  test('if-none-match with the etag: 304, no body, validators repeated', async () => {
    const first = await request(session, '/hello.txt');
    const etag = String(first.headers.etag);
    const r = await request(session, '/hello.txt', { 'if-none-match': etag });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.etag, etag);
    assert.equal(r.headers['last-modified'], first.headers['last-modified']);
    assert.equal((await request(session, '/hello.txt', { 'if-none-match': `"other", W/${etag}` })).status, 304, 'weak comparison, in a list');
    assert.equal((await request(session, '/hello.txt', { 'if-none-match': '*' })).status, 304);
    assert.equal((await request(session, '/hello.txt', { 'if-none-match': '"other"' })).status, 200);
  });

  test('if-modified-since: 304 at or after the mtime, 200 before; if-none-match wins when both are there', async () => {
    const mtime = statSync(join(site.site, 'hello.txt')).mtime;
    assert.equal((await request(session, '/hello.txt', { 'if-modified-since': mtime.toUTCString() })).status, 304);
    assert.equal((await request(session, '/hello.txt', { 'if-modified-since': new Date(mtime.getTime() + 86400e3).toUTCString() })).status, 304);
    const older = new Date(mtime.getTime() - 86400e3).toUTCString();
    const r = await request(session, '/hello.txt', { 'if-modified-since': older });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello, world\n');
    assert.equal((await request(session, '/hello.txt', { 'if-modified-since': 'not a date' })).status, 200);
    const both = await request(session, '/hello.txt', { 'if-none-match': '"other"', 'if-modified-since': mtime.toUTCString() });
    assert.equal(both.status, 200, 'if-modified-since is ignored when if-none-match is present');
  });

  test('HEAD is conditional too', async () => {
    const etag = String((await request(session, '/hello.txt')).headers.etag);
    assert.equal((await request(session, '/hello.txt', { ':method': 'HEAD', 'if-none-match': etag })).status, 304);
  });
});

describe('ranges', () => {
  const cases: Array<[string, string, string]> = [
    ['bytes=0-3', '0123', 'bytes 0-3/10'],
    ['bytes=4-', '456789', 'bytes 4-9/10'],
    ['bytes=-3', '789', 'bytes 7-9/10'],
    ['bytes=8-100', '89', 'bytes 8-9/10'],
    ['bytes=-20', '0123456789', 'bytes 0-9/10'],
    ['bytes=5-5', '5', 'bytes 5-5/10'],
  ];
  for (const [range, body, contentRange] of cases) {
    test(`${range}: 206 with content-range ${contentRange}`, async () => {
      const r = await request(session, '/digits.txt', { range });
      assert.equal(r.status, 206);
      assert.equal(r.body.toString(), body);
      assert.equal(r.headers['content-range'], contentRange);
      assert.equal(r.headers['content-length'], String(body.length));
    });
  }

  test('unsatisfiable ranges: 416 with content-range bytes */size', async () => {
    for (const range of ['bytes=10-', 'bytes=99-100', 'bytes=-0']) {
      const r = await request(session, '/digits.txt', { range });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers['content-range'], 'bytes */10', range);
    }
    const empty = await request(session, '/empty.bin', { range: 'bytes=0-' });
    assert.equal(empty.status, 416, 'no byte of an empty file can be asked for');
  });

  test('several ranges, bad syntax, other units: the whole file (200)', async () => {
    for (const range of ['bytes=0-1,4-5', 'bytes=5-2', 'items=0-1', 'bytes=a-b', 'bytes=-']) {
      const r = await request(session, '/digits.txt', { range });
      assert.equal(r.status, 200, range);
      assert.equal(r.body.toString(), '0123456789', range);
    }
  });

  test('if-range: the range applies with the current etag or date, the whole file otherwise', async () => {
    const full = await request(session, '/digits.txt');
    const etag = String(full.headers.etag);
    assert.equal((await request(session, '/digits.txt', { range: 'bytes=0-1', 'if-range': etag })).status, 206);
    assert.equal((await request(session, '/digits.txt', { range: 'bytes=0-1', 'if-range': String(full.headers['last-modified']) })).status, 206);
    assert.equal((await request(session, '/digits.txt', { range: 'bytes=0-1', 'if-range': '"stale"' })).status, 200);
    assert.equal((await request(session, '/digits.txt', { range: 'bytes=0-1', 'if-range': `W/${etag}` })).status, 200, 'weak tags never match if-range');
    assert.equal((await request(session, '/digits.txt', { range: 'bytes=0-1', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status, 200);
  });

  test('HEAD ignores range', async () => {
    const r = await request(session, '/digits.txt', { ':method': 'HEAD', range: 'bytes=0-1' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '10');
  });
});

describe('no path escapes the folder', () => {
  // node:http2 sends :path as given, so these reach the server raw, as an attacker's client would.
  const attempts = [
    '/../secret.txt',
    '/../../../../etc/passwd',
    '/sub/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/sub/%2e%2e/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/%252e%252e/secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/sub/%252e%252e%252f%252e%252e%252fsecret.txt',
    '/..\\secret.txt',
    '/hello.txt%00.png',
    '/%00',
    '/link-out/secret.txt',
    '/secret-link.txt',
    '/link-out/',
    '/%2e%2e',
    'secret.txt',
    '/%zz',
  ];
  for (const path of attempts) {
    test(`${JSON.stringify(path)} is refused`, async () => {
      const r = await request(session, path).catch((err: Error) => err);
      if (r instanceof Error) {
        // A :path that is not an absolute path is a malformed request (RFC 9113 section 8.3.1): reset before any handler.
        assert.ok(!path.startsWith('/'), `only a :path without a leading "/" is reset, not ${path}: ${r.message}`);
        assert.match(r.message, /PROTOCOL_ERROR/);
        return;
      }
      assert.ok(r.status === 400 || r.status === 404, `status ${r.status} for ${path}`);
      assert.ok(!r.body.toString().includes(SECRET), 'the secret never leaves');
      assert.ok(!r.body.toString().includes('hello, world'), 'nothing is served through a symlink out');
    });
  }

  test('the secret file exists and the site itself is served (the refusals above are not for lack of files)', async () => {
    assert.ok(statSync(join(site.dir, 'secret.txt')).isFile());
    assert.equal((await request(session, '/hello.txt')).status, 200);
  });
});
