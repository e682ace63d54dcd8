/**
 * `h2kit serve` keeps files (and their encodings) in memory, and must never serve a stale one:
 * each test changes the disk and asks at once, with no sleep, on a connection that already has
 * the old version cached. Edits in place (same size too), atomic renames, deletions, symlinks
 * re-pointed and precompressed siblings appearing or going are all seen by the next request.
 * Plus the caching headers: --cache-control, --immutable, and `date` on every response
 * (HTTP/2 and HTTP/1.1, 200 and 304).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type http2 from 'node:http2';
import { renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { connect, makeSite, request, startServe, type ServeProcess } from './support.js';

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
  assert.equal(code, 0);
});

const at = (name: string): string => join(site.site, name);

/** Asks twice: the resource is then cached and has been revalidated once (the state to change under). */
async function warm(path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<string> {
  await request(session, path, headers);
  return (await request(session, path, headers)).body.toString();
}

/** Text that compresses (so the on-the-fly br is made and cached too) and whose size is fixed. */
function version(n: number): string {
  return `version ${String(n).padStart(4, '0')}\n` + 'this line repeats so that brotli has something to do\n'.repeat(20);
}

describe('never stale', () => {
  test('a file rewritten in place (same size each time) is served new at the next request, identity and br', async () => {
    writeFileSync(at('edited.txt'), version(0));
    for (let n = 0; n < 30; n++) {
      const identity = await request(session, '/edited.txt');
      assert.equal(identity.body.toString(), version(n), `identity after edit ${n}`);
      const br = await request(session, '/edited.txt', { 'accept-encoding': 'br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(brotliDecompressSync(br.body).toString(), version(n), `br after edit ${n}`);
      writeFileSync(at('edited.txt'), version(n + 1)); // then ask at once
    }
  });

  test('requests sent together right after an edit all get the new version', async () => {
    writeFileSync(at('burst.txt'), version(1));
    assert.equal(await warm('/burst.txt'), version(1));
    writeFileSync(at('burst.txt'), version(2));
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(session, '/burst.txt')));
    for (const r of answers) assert.equal(r.body.toString(), version(2));
  });

  test('a file replaced by rename (an editor\'s atomic save) is served new at once', async () => {
    writeFileSync(at('saved.html'), '<p>before</p>');
    assert.equal(await warm('/saved.html'), '<p>before</p>');
    writeFileSync(at('.saved.html.tmp'), '<p>after</p>');
    renameSync(at('.saved.html.tmp'), at('saved.html'));
    assert.equal((await request(session, '/saved.html')).body.toString(), '<p>after</p>');
  });

  test('a file deleted while cached is 404 at once; written again, it is served again', async () => {
    writeFileSync(at('doomed.txt'), version(7));
    assert.equal((await request(session, '/doomed.txt', { 'accept-encoding': 'br' })).status, 200);
    assert.equal((await request(session, '/doomed.txt')).status, 200);
    unlinkSync(at('doomed.txt'));
    assert.equal((await request(session, '/doomed.txt')).status, 404);
    assert.equal((await request(session, '/doomed.txt', { 'accept-encoding': 'br' })).status, 404);
    writeFileSync(at('doomed.txt'), 'back\n');
    assert.equal((await request(session, '/doomed.txt')).body.toString(), 'back\n');
  });

  test('a folder\'s index.html deleted while cached: 404 for the folder at once', async () => {
    assert.equal(await warm('/sub/'), '<p>sub index</p>');
    rmSync(at('sub/index.html'));
    assert.equal((await request(session, '/sub/')).status, 404);
    writeFileSync(at('sub/index.html'), '<p>new index</p>');
    assert.equal((await request(session, '/sub/')).body.toString(), '<p>new index</p>');
  });

  test('a symlink re-pointed to another file is followed at once', async () => {
    writeFileSync(at('one.txt'), 'one\n');
    writeFileSync(at('two.txt'), 'two\n');
    symlinkSync('one.txt', at('current.txt'));
    assert.equal(await warm('/current.txt'), 'one\n');
    unlinkSync(at('current.txt'));
    symlinkSync('two.txt', at('current.txt'));
    assert.equal(await warm('/current.txt'), 'two\n');
    unlinkSync(at('current.txt'));
    symlinkSync('../secret.txt', at('current.txt'));
    assert.equal((await request(session, '/current.txt')).status, 404, 'and never out of the site');
  });

  test('a precompressed sibling that appears is used at once; one removed falls back to on the fly', async () => {
    writeFileSync(at('late.js'), version(3));
    await warm('/late.js', { 'accept-encoding': 'br' });
    const fly = await request(session, '/late.js', { 'accept-encoding': 'br' });
    assert.equal(brotliDecompressSync(fly.body).toString(), version(3));
    const sibling = brotliCompressSync(version(3), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    assert.ok(!sibling.equals(fly.body), 'the sibling\'s bytes differ from the on-the-fly ones (another quality)');
    writeFileSync(at('late.js.br'), sibling);
    const pre = await request(session, '/late.js', { 'accept-encoding': 'br' });
    assert.ok(pre.body.equals(sibling), 'the new sibling');
    assert.notEqual(pre.headers.etag, fly.headers.etag, 'another representation, another etag');
    await warm('/late.js', { 'accept-encoding': 'br' });
    unlinkSync(at('late.js.br'));
    const back = await request(session, '/late.js', { 'accept-encoding': 'br' });
    assert.ok(back.body.equals(fly.body), 'on the fly again');
  });
});

describe('caching headers', () => {
  test('--cache-control VALUE everywhere but --immutable paths (glob and ~regex), on 200 and 304', async () => {
    writeFileSync(at('app.0123abcd.js'), 'hashed\n');
    const flags = ['--cache-control', 'public, max-age=60', '--immutable', '/.well-known/**', '--immutable', '~\\.[0-9a-f]{8}\\.js$'];
    const other = await startServe([site.site, '--no-tls', '--port', '0', ...flags]);
    const s = await connect(other.origin);
    try {
      const hashed = await request(s, '/app.0123abcd.js');
      assert.equal(hashed.headers['cache-control'], 'public, max-age=31536000, immutable');
      const known = await request(s, '/.well-known/security.txt');
      assert.equal(known.headers['cache-control'], 'public, max-age=31536000, immutable');
      const plain = await request(s, '/hello.txt');
      assert.equal(plain.headers['cache-control'], 'public, max-age=60');
      const revalidated = await request(s, '/app.0123abcd.js', { 'if-none-match': String(hashed.headers.etag) });
      assert.equal(revalidated.status, 304);
      assert.equal(revalidated.headers['cache-control'], 'public, max-age=31536000, immutable');
    } finally {
      s.close();
      await other.stop();
    }
  });

  test('the default cache-control is no-cache', async () => {
    assert.equal((await request(session, '/hello.txt')).headers['cache-control'], 'no-cache');
  });

  test('date on every response over HTTP/2: 200, 304, 206, 404, 406', async () => {
    const ok = await request(session, '/hello.txt');
    const answers = [
      ok,
      await request(session, '/hello.txt', { 'if-none-match': String(ok.headers.etag) }),
      await request(session, '/hello.txt', { range: 'bytes=0-1' }),
      await request(session, '/nope'),
      await request(session, '/hello.txt', { 'accept-encoding': 'identity;q=0' }),
    ];
    assert.deepEqual(answers.map((r) => r.status), [200, 304, 206, 404, 406]);
    for (const r of answers) {
      assert.ok(!Number.isNaN(Date.parse(String(r.headers.date))), `date on ${r.status}: ${String(r.headers.date)}`);
    }
  });

  test('date on every response over HTTP/1.1: 200 and 304', async () => {
    const get1 = (headers: http.OutgoingHttpHeaders = {}): Promise<http.IncomingMessage> =>
      new Promise((resolve, reject) => {
        const req = http.get(`${serve.origin}/hello.txt`, { headers, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res));
        });
        req.on('error', reject);
      });
    const ok = await get1();
    const notModified = await get1({ 'if-none-match': String(ok.headers.etag) });
    assert.deepEqual([ok.statusCode, notModified.statusCode], [200, 304]);
    for (const r of [ok, notModified]) assert.ok(!Number.isNaN(Date.parse(String(r.headers.date))), `date on ${r.statusCode}`);
  });
});
