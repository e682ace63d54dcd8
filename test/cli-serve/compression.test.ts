/**
 * `h2kit serve` content codings (RFC 9110 sections 8.4, 12.5.3), against the real CLI with
 * node:http2's client: precompressed siblings preferred over compressing on the fly, q=0
 * honoured, 406 when nothing is acceptable, a distinct etag per coding and 304 with it,
 * `vary: accept-encoding` on every response of a resource with codings, ranges answered from
 * identity, already-compressed types left alone, pushes coded like their page, --no-compress.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type http2 from 'node:http2';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { connect, makeSite, request, runServeExpectingExit, startServe, type Response, type ServeProcess } from './support.js';

let site: ReturnType<typeof makeSite>;
let serve: ServeProcess;
let plain: ServeProcess;
let session: http2.ClientHttp2Session;

const PAGE = '<!doctype html><title>compressed</title>\n' + '<p>The same paragraph, again and again, compresses well.</p>\n'.repeat(40);
const SCRIPT = 'export function add(a, b) { return a + b; }\n'.repeat(60);
const STYLE = 'body { margin: 0; padding: 0; color: #333; }\n'.repeat(50);
/** Bigger than SMALL_FILE_SIZE (64 KiB): identity is streamed from disk, the encodings are held in memory. */
const BIG = 'const row = { id: 1, name: "a row of a big bundle" };\n'.repeat(4000);
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(4096)]);

/** Brotli at quality 11 (the server compresses at 5): a sibling's bytes are told from ours. */
function brotliMax(text: string): Buffer {
  return brotliCompressSync(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
}

function decode(r: Response): string {
  const coding = r.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(r.body).toString();
  if (coding === 'gzip') return gunzipSync(r.body).toString();
  assert.equal(coding, undefined, `an unexpected content-encoding ${String(coding)}`);
  return r.body.toString();
}

before(async () => {
  site = makeSite();
  const at = (name: string): string => join(site.site, name);
  writeFileSync(at('page.html'), PAGE);
  writeFileSync(at('pre.js'), SCRIPT);
  writeFileSync(at('pre.js.br'), brotliMax(SCRIPT));
  writeFileSync(at('only-gz.css'), STYLE);
  writeFileSync(at('only-gz.css.gz'), gzipSync(STYLE, { level: 9 }));
  writeFileSync(at('old.js'), SCRIPT);
  writeFileSync(at('old.js.br'), brotliMax('// an older version\n'));
  const past = new Date(Date.now() - 3600_000);
  utimesSync(at('old.js.br'), past, past); // older than old.js: made from an older version, not used
  writeFileSync(at('big.js'), BIG);
  writeFileSync(at('image.png'), PNG);
  writeFileSync(at('preload.html'), '<!doctype html><link rel=preload href=/pre.js as=script><link rel=preload href=/image.png as=image>' + PAGE);
  serve = await startServe([site.site, '--no-tls', '--port', '0', '--push-preload']);
  plain = await startServe([site.site, '--no-tls', '--port', '0', '--no-compress']);
  session = await connect(serve.origin);
});

after(async () => {
  session?.close();
  await plain?.stop();
  const code = await serve?.stop();
  site?.cleanup();
  assert.equal(code, 0);
});

describe('on the fly', () => {
  test('br and gzip of a compressible file: smaller, decoding to the file, each with its own etag; vary on all', async () => {
    const identity = await request(session, '/page.html');
    const br = await request(session, '/page.html', { 'accept-encoding': 'br' });
    const gzip = await request(session, '/page.html', { 'accept-encoding': 'gzip' });
    assert.deepEqual([identity.status, br.status, gzip.status], [200, 200, 200]);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    for (const r of [identity, br, gzip]) {
      assert.equal(decode(r), PAGE);
      assert.equal(r.headers.vary, 'accept-encoding');
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['content-length'], String(r.body.length));
    }
    assert.ok(br.body.length < PAGE.length / 4 && gzip.body.length < PAGE.length / 4, `${br.body.length} and ${gzip.body.length} of ${PAGE.length}`);
    const etags = new Set([identity.headers.etag, br.headers.etag, gzip.headers.etag]);
    assert.equal(etags.size, 3, `distinct etags: ${[...etags].join(' ')}`);
    assert.equal(br.headers['last-modified'], identity.headers['last-modified']);
  });

  test('a browser\'s accept-encoding gets br; the same bytes every time (made once)', async () => {
    const a = await request(session, '/page.html', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    const b = await request(session, '/page.html', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(a.headers['content-encoding'], 'br');
    assert.ok(a.body.equals(b.body));
    assert.equal(a.headers.etag, b.headers.etag);
  });

  test('a file larger than the in-memory size: br from the streamed file, identity still streamed whole', async () => {
    const br = await request(session, '/big.js', { 'accept-encoding': 'br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(decode(br), BIG);
    const identity = await request(session, '/big.js');
    assert.equal(identity.body.toString(), BIG);
    assert.equal(identity.headers.vary, 'accept-encoding');
  });

  test('HEAD: the headers of the coded GET (its content-length), no body', async () => {
    const get = await request(session, '/page.html', { 'accept-encoding': 'gzip' });
    const head = await request(session, '/page.html', { ':method': 'HEAD', 'accept-encoding': 'gzip' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const name of ['content-encoding', 'content-length', 'etag', 'vary', 'content-type']) assert.equal(head.headers[name], get.headers[name], name);
  });
});

describe('precompressed siblings', () => {
  test('FILE.br is served as is for br (not our own compression of FILE)', async () => {
    const r = await request(session, '/pre.js', { 'accept-encoding': 'br' });
    assert.equal(r.headers['content-encoding'], 'br');
    assert.ok(r.body.equals(readFileSync(join(site.site, 'pre.js.br'))), 'the sibling\'s bytes');
    assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8', 'the type of FILE, not of FILE.br');
    assert.equal(r.headers.vary, 'accept-encoding');
  });

  test('precompressed is preferred over on the fly: FILE.gz beats br made on the fly for "br, gzip"', async () => {
    const r = await request(session, '/only-gz.css', { 'accept-encoding': 'br, gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.ok(r.body.equals(readFileSync(join(site.site, 'only-gz.css.gz'))));
    // A stated preference still wins: br is made on the fly when the client prefers it.
    const br = await request(session, '/only-gz.css', { 'accept-encoding': 'br, gzip;q=0.5' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(decode(br), STYLE);
  });

  test('a sibling older than its file is ignored (made from an older version)', async () => {
    const r = await request(session, '/old.js', { 'accept-encoding': 'br' });
    assert.equal(r.headers['content-encoding'], 'br');
    assert.equal(decode(r), SCRIPT, 'our compression of the current file, not the stale sibling');
  });
});

describe('accept-encoding weights', () => {
  test('br;q=0 gives gzip; br;q=0, gzip;q=0 gives identity', async () => {
    assert.equal((await request(session, '/page.html', { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding'], 'gzip');
    assert.equal((await request(session, '/pre.js', { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding'], 'gzip', 'a br sibling does not override q=0');
    const none = await request(session, '/page.html', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    assert.equal(none.headers['content-encoding'], undefined);
    assert.equal(none.body.toString(), PAGE);
  });

  test('identity;q=0, *;q=0: nothing acceptable, 406 (with vary); identity;q=0 with gzip listed: gzip', async () => {
    const refused = await request(session, '/page.html', { 'accept-encoding': 'identity;q=0, *;q=0' });
    assert.equal(refused.status, 406);
    assert.equal(refused.headers.vary, 'accept-encoding');
    const png = await request(session, '/image.png', { 'accept-encoding': 'identity;q=0' });
    assert.equal(png.status, 406, 'a file with no codings, identity refused');
    const gzip = await request(session, '/page.html', { 'accept-encoding': 'identity;q=0, gzip' });
    assert.equal(gzip.status, 200);
    assert.equal(gzip.headers['content-encoding'], 'gzip');
  });

  test('an already-compressed type (png) is never coded and has no vary', async () => {
    const r = await request(session, '/image.png', { 'accept-encoding': 'br, gzip' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers.vary, undefined);
    assert.equal(r.headers['content-type'], 'image/png');
    assert.ok(r.body.equals(PNG));
  });

  test('a compressible file under the minimum size is not coded', async () => {
    const r = await request(session, '/hello.txt', { 'accept-encoding': 'br, gzip' });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers.vary, undefined);
    assert.equal(r.body.toString(), 'hello, world\n');
  });
});

describe('validators, 304 and ranges with codings', () => {
  test('if-none-match with the coded etag: 304 with that etag, vary, cache-control and date', async () => {
    const br = await request(session, '/page.html', { 'accept-encoding': 'br' });
    const r = await request(session, '/page.html', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.etag, br.headers.etag);
    assert.equal(r.headers.vary, 'accept-encoding');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.ok(r.headers.date);
    assert.equal(r.headers['content-encoding'], undefined);
  });

  test('an etag of another coding does not match: 200 with the coding asked for', async () => {
    const identity = await request(session, '/page.html');
    const r = await request(session, '/page.html', { 'accept-encoding': 'br', 'if-none-match': String(identity.headers.etag) });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'br');
    const back = await request(session, '/page.html', { 'if-none-match': String(identity.headers.etag) });
    assert.equal(back.status, 304, 'the identity etag still matches identity');
  });

  test('a range is answered from identity whatever is accepted: 206 with the file\'s bytes, as without codings', async () => {
    const withCoding = await request(session, '/page.html', { 'accept-encoding': 'br, gzip', range: 'bytes=10-29' });
    const without = await request(session, '/page.html', { range: 'bytes=10-29' });
    for (const r of [withCoding, without]) {
      assert.equal(r.status, 206);
      assert.equal(r.body.toString(), PAGE.slice(10, 30));
      assert.equal(r.headers['content-range'], `bytes 10-29/${PAGE.length}`);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers.vary, 'accept-encoding');
    }
    assert.equal(withCoding.headers.etag, without.headers.etag, 'the identity etag');
    const big = await request(session, '/big.js', { 'accept-encoding': 'br', range: 'bytes=100000-100009' });
    assert.equal(big.status, 206);
    assert.equal(big.body.toString(), BIG.slice(100000, 100010));
  });

  test('416 and if-range behave as without codings', async () => {
    const unsatisfiable = await request(session, '/page.html', { 'accept-encoding': 'br', range: `bytes=${PAGE.length}-` });
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers['content-range'], `bytes */${PAGE.length}`);
    const br = await request(session, '/page.html', { 'accept-encoding': 'br' });
    const identity = await request(session, '/page.html');
    const stale = await request(session, '/page.html', { 'accept-encoding': 'br', range: 'bytes=0-4', 'if-range': String(br.headers.etag) });
    assert.equal(stale.status, 200, 'a coded etag never matches the identity the range is of: the whole file');
    assert.equal(stale.headers['content-encoding'], undefined);
    assert.equal(stale.body.toString(), PAGE);
    const fresh = await request(session, '/page.html', { 'accept-encoding': 'br', range: 'bytes=0-4', 'if-range': String(identity.headers.etag) });
    assert.equal(fresh.status, 206);
    assert.equal(fresh.body.toString(), PAGE.slice(0, 5));
  });
});

describe('push', () => {
  test('pushed resources are coded as the page request asked, and their promise says so', async () => {
    const pushes = new Map<string, { requestHeaders: http2.IncomingHttpHeaders; headers: http2.IncomingHttpHeaders; body: Buffer }>();
    const done: Array<Promise<void>> = [];
    const onStream = (stream: http2.ClientHttp2Stream, requestHeaders: http2.IncomingHttpHeaders): void => {
      const chunks: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      stream.on('push', (h) => (headers = h));
      stream.on('data', (c: Buffer) => chunks.push(c));
      done.push(new Promise((resolve) => stream.on('end', () => {
        pushes.set(String(requestHeaders[':path']), { requestHeaders, headers, body: Buffer.concat(chunks) });
        resolve();
      })));
    };
    const pushSession = await connect(serve.origin);
    pushSession.on('stream', onStream);
    try {
      const page = await request(pushSession, '/preload.html', { 'accept-encoding': 'br' });
      assert.equal(page.headers['content-encoding'], 'br');
      await Promise.all(done);
      assert.deepEqual([...pushes.keys()].sort(), ['/image.png', '/pre.js']);
      const script = pushes.get('/pre.js')!;
      assert.equal(script.headers['content-encoding'], 'br');
      assert.ok(script.body.equals(readFileSync(join(site.site, 'pre.js.br'))));
      assert.equal(script.requestHeaders['accept-encoding'], 'br', 'the promised request carries the page request\'s accept-encoding');
      const image = pushes.get('/image.png')!;
      assert.equal(image.headers['content-encoding'], undefined);
      assert.ok(image.body.equals(PNG));
    } finally {
      pushSession.close();
    }
  });
});

describe('--no-compress', () => {
  test('identity for every request, no vary, siblings ignored', async () => {
    const s = await connect(plain.origin);
    try {
      for (const path of ['/page.html', '/pre.js', '/only-gz.css']) {
        const r = await request(s, path, { 'accept-encoding': 'br, gzip' });
        assert.equal(r.status, 200, path);
        assert.equal(r.headers['content-encoding'], undefined, path);
        assert.equal(r.headers.vary, undefined, path);
      }
      assert.equal((await request(s, '/pre.js.br')).status, 200, 'a sibling is still a file of the site');
      assert.equal((await request(s, '/page.html', { 'accept-encoding': 'identity;q=0' })).status, 406);
    } finally {
      s.close();
    }
  });
});

describe('flags that cannot be used (exit 2, one line, before listening)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--compress', '--no-compress'], /--compress and --no-compress contradict/],
    [['--immutable', '~(unclosed'], /--immutable "~\(unclosed": not a regular expression/],
    [['--immutable='], /--immutable expects a glob or a ~regex/],
    [['--cache-control', 'no-cache\u0001'], /--cache-control expects a header value/],
  ];
  for (const [flags, pattern] of cases) {
    test(flags.join(' '), async () => {
      const r = await runServeExpectingExit([site.site, '--no-tls', '--port', '0', ...flags]);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, pattern);
      assert.ok(!r.stdout.includes('open http'));
    });
  }
});
