/**
 * The pieces that decide a response's content coding, cache policy and type, on their own:
 * accept-encoding weights and the choice of a coding (RFC 9110 section 12.5.3), the
 * `--cache-control`/`--immutable` policy, and the mime-db types and compressibility.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCoding, codingWeightsOf, parseAcceptEncoding, type Coding } from '../../src/cli/static/accept-encoding.js';
import { CachePolicy, DEFAULT_CACHE_CONTROL, IMMUTABLE_CACHE_CONTROL } from '../../src/cli/static/cache-policy.js';
import { contentTypeOf, isCompressible } from '../../src/cli/static/mime.js';
import { CliUsageError } from '../../src/cli/command.js';

/** The server's order when it has a br sibling, and gzip on the fly. */
const ALL: readonly Coding[] = ['br', 'gzip', 'identity'];

function choose(field: string | undefined, available: readonly Coding[] = ALL): Coding | null {
  return chooseCoding(codingWeightsOf(field), available);
}

describe('accept-encoding', () => {
  test('no field: identity, although anything would be acceptable', () => {
    assert.equal(choose(undefined), 'identity');
  });
  test('an empty field: identity only', () => {
    assert.equal(choose(''), 'identity');
  });
  test('a browser\'s field: the server\'s preference among equals (br first)', () => {
    assert.equal(choose('gzip, deflate, br, zstd'), 'br');
    assert.equal(choose('gzip, deflate, br, zstd', ['gzip', 'br', 'identity']), 'gzip', 'a precompressed gzip listed first wins over br on the fly');
  });
  test('weights decide before the server\'s order', () => {
    assert.equal(choose('br;q=0.5, gzip'), 'gzip');
    assert.equal(choose('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(choose('br;q=1.0, gzip;q=0.999'), 'br');
  });
  test('q=0 is "not acceptable"', () => {
    assert.equal(choose('br;q=0, gzip'), 'gzip');
    assert.equal(choose('br;q=0, gzip;q=0'), 'identity');
    assert.equal(choose('br;q=0.000'), 'identity');
  });
  test('x-gzip is gzip; names and q are case-insensitive; spaces around ; and = are fine', () => {
    assert.equal(choose('x-gzip'), 'gzip');
    assert.equal(choose('BR ; Q=0 , GZip'), 'gzip');
  });
  test('* gives its weight to the codings not listed, identity included', () => {
    assert.equal(choose('*'), 'br');
    assert.equal(choose('gzip;q=0.5, *;q=0.1'), 'gzip');
    assert.equal(choose('*;q=0, gzip'), 'gzip');
    assert.deepEqual(parseAcceptEncoding('*;q=0.3'), { br: 0.3, gzip: 0.3, identity: 0.3 });
  });
  test('identity, not listed, ranks below any listed coding but stays acceptable', () => {
    assert.equal(choose('gzip;q=0.001'), 'gzip');
    assert.equal(choose('deflate', ALL), 'identity');
    assert.equal(choose('gzip', ['identity']), 'identity');
  });
  test('identity excluded: identity;q=0, or *;q=0 with no identity entry', () => {
    assert.equal(choose('identity;q=0, *;q=0'), null);
    assert.equal(choose('*;q=0'), null);
    assert.equal(choose('identity;q=0'), null, 'br and gzip are not listed: not acceptable either');
    assert.equal(choose('identity;q=0, gzip'), 'gzip');
    assert.equal(choose('*;q=0, identity'), 'identity');
    assert.equal(choose('identity;q=0', ['identity']), null);
  });
  test('a malformed weight drops its member only', () => {
    assert.equal(choose('br;q=2, gzip'), 'gzip');
    assert.equal(choose('br;q=abc, gzip;q=0.5'), 'gzip');
    assert.equal(choose('br;q=0.12345'), 'identity');
    assert.equal(choose('br;level=3'), 'br', 'other parameters are ignored');
  });
  test('the first member for a coding decides', () => {
    assert.equal(choose('br;q=0, br'), 'identity');
  });
  test('weights are remembered per field value and the same for each call', () => {
    assert.equal(codingWeightsOf('gzip, br'), codingWeightsOf('gzip, br'));
    for (let i = 0; i < 600; i++) codingWeightsOf(`gzip;q=0.${i % 1000}`); // more values than remembered: bounded
    assert.deepEqual(codingWeightsOf('gzip, br'), { br: 1, gzip: 1, identity: 0.0001 });
  });
});

describe('cache policy', () => {
  test('no-cache by default; --cache-control replaces it', () => {
    assert.equal(new CachePolicy().cacheControlOf('/a.js'), DEFAULT_CACHE_CONTROL);
    assert.equal(new CachePolicy({ cacheControl: 'public, max-age=60' }).cacheControlOf('/a.js'), 'public, max-age=60');
  });
  test('--immutable globs: with a slash on the whole path, without one on the last segment', () => {
    const policy = new CachePolicy({ immutable: ['/assets/**', '*.+([0-9a-f]).woff2'] });
    assert.equal(policy.cacheControlOf('/assets/app.js'), IMMUTABLE_CACHE_CONTROL);
    assert.equal(policy.cacheControlOf('/assets/deep/x.css'), IMMUTABLE_CACHE_CONTROL);
    assert.equal(policy.cacheControlOf('/fonts/a.1f2e.woff2'), IMMUTABLE_CACHE_CONTROL);
    assert.equal(policy.cacheControlOf('/fonts/a.woff2'), DEFAULT_CACHE_CONTROL);
    assert.equal(policy.cacheControlOf('/index.html'), DEFAULT_CACHE_CONTROL);
    assert.equal(policy.cacheControlOf('/assetsx/app.js'), DEFAULT_CACHE_CONTROL);
  });
  test('--immutable ~regex (searched), ~*regex ignores case', () => {
    const policy = new CachePolicy({ cacheControl: 'max-age=5', immutable: ['~\\.[0-9a-f]{8}\\.(js|css)$'] });
    assert.equal(policy.cacheControlOf('/app.0123abcd.js'), IMMUTABLE_CACHE_CONTROL);
    assert.equal(policy.cacheControlOf('/app.0123ABCD.js'), 'max-age=5');
    assert.equal(new CachePolicy({ immutable: ['~*\\.[0-9a-f]{8}\\.js$'] }).cacheControlOf('/app.0123ABCD.js'), IMMUTABLE_CACHE_CONTROL);
  });
  test('a malformed regex, an empty pattern or a value with a line break is a usage error', () => {
    assert.throws(() => new CachePolicy({ immutable: ['~(unclosed'] }), (err: unknown) => err instanceof CliUsageError && /not a regular expression/.test(err.message));
    assert.throws(() => new CachePolicy({ immutable: [''] }), CliUsageError);
    assert.throws(() => new CachePolicy({ cacheControl: 'no-cache\r\nx-injected: 1' }), CliUsageError);
    assert.throws(() => new CachePolicy({ cacheControl: '' }), CliUsageError);
  });
});

describe('content types from mime-db', () => {
  test('types and charsets as Express and send give them', () => {
    const cases: Array<[string, string]> = [
      ['a.html', 'text/html; charset=utf-8'],
      ['a.mjs', 'text/javascript; charset=utf-8'],
      ['a.json', 'application/json; charset=utf-8'],
      ['a.webmanifest', 'application/manifest+json; charset=utf-8'],
      ['a.avif', 'image/avif'],
      ['a.wasm', 'application/wasm'],
      ['a.woff2', 'font/woff2'],
      ['a.md', 'text/markdown; charset=utf-8'],
      ['a.mp4', 'video/mp4'],
      ['A.SVG', 'image/svg+xml'],
      ['README', 'application/octet-stream'],
      ['a.', 'application/octet-stream'],
    ];
    for (const [name, type] of cases) assert.equal(contentTypeOf(name), type, name);
  });
  test('compressible: text, JSON, SVG, wasm; not images, fonts already compressed, archives, video', () => {
    for (const type of ['text/html; charset=utf-8', 'text/css', 'text/javascript', 'application/json', 'image/svg+xml', 'application/wasm', 'text/x-made-up', 'application/x-made-up+json']) {
      assert.ok(isCompressible(type), type);
    }
    for (const type of ['image/png', 'image/jpeg', 'image/avif', 'font/woff2', 'application/gzip', 'application/zip', 'video/mp4']) {
      assert.ok(!isCompressible(type), type);
    }
  });
});
