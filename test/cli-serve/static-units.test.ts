/**
 * The file-serving pieces on their own: request path decoding and containment, validators
 * and conditional requests, range parsing, preload links and push manifests, content types.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stats } from 'node:fs';
import { decodeRequestPath, isInside } from '../../src/cli/static/resolve.js';
import { etagOf, ifRangeAllows, isNotModified, noneMatchHits, notModifiedSince, parseRange } from '../../src/cli/static/conditional.js';
import { parsePushManifest, preloadLinksOf, sameOriginPath } from '../../src/cli/static/push-sources.js';
import { contentTypeOf } from '../../src/cli/static/mime.js';
import { CliInputError } from '../../src/cli/command.js';

const MTIME = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const stats = { size: 1000, mtimeMs: MTIME, mtime: new Date(MTIME) } as Stats;

describe('decodeRequestPath', () => {
  test('decodes once and cuts query and fragment', () => {
    assert.deepEqual(decodeRequestPath('/a%20b/c.txt?x=%2e%2e#f'), { path: '/a b/c.txt' });
    assert.deepEqual(decodeRequestPath('/'), { path: '/' });
    assert.deepEqual(decodeRequestPath('/caf%C3%A9.html'), { path: '/café.html' });
  });
  const refused: Array<[string, RegExp]> = [
    ['', /start with/],
    ['a.txt', /start with/],
    ['*', /start with/],
    ['/..', /segment/],
    ['/a/../b', /segment/],
    ['/./a', /segment/],
    ['/%2e%2e/a', /segment/],
    ['/%2E%2e/a', /segment/],
    ['/a/%2e', /segment/],
    ['/%252e%252e/a', /twice/],
    ['/a%252fb', /twice/],
    ['/a%255cb', /twice/],
    ['/a%2500', /twice/],
    ['/a%00b', /NUL/],
    ['/a\\b', /backslash/],
    ['/a%5cb', /backslash/],
    ['/%zz', /malformed/],
    ['/%e9', /malformed/],
  ];
  for (const [path, why] of refused) {
    test(`refuses ${JSON.stringify(path)}`, () => {
      const r = decodeRequestPath(path);
      assert.ok('bad' in r, `refused: ${JSON.stringify(r)}`);
      assert.match(r.bad, why);
    });
  }
  test('dots inside names are fine', () => {
    assert.deepEqual(decodeRequestPath('/..a/b..c/.well-known/x'), { path: '/..a/b..c/.well-known/x' });
  });
});

describe('isInside', () => {
  test('the root itself and paths under it; not a sibling with the same prefix', () => {
    assert.ok(isInside('/srv/site', '/srv/site'));
    assert.ok(isInside('/srv/site', '/srv/site/a/b'));
    assert.ok(!isInside('/srv/site', '/srv/site2/a'));
    assert.ok(!isInside('/srv/site', '/srv'));
    assert.ok(isInside('/', '/etc/passwd'));
  });
});

describe('validators and conditional requests', () => {
  test('etag from size and mtime; changes with either', () => {
    assert.equal(etagOf(stats), `"3e8-${MTIME.toString(16)}"`);
    assert.notEqual(etagOf({ ...stats, size: 1001 } as Stats), etagOf(stats));
    assert.notEqual(etagOf({ ...stats, mtimeMs: MTIME + 1 } as Stats), etagOf(stats));
  });
  test('if-none-match: weak comparison, lists, *', () => {
    const etag = etagOf(stats);
    assert.ok(noneMatchHits(etag, etag));
    assert.ok(noneMatchHits(`W/${etag}`, etag));
    assert.ok(noneMatchHits(`"a", ${etag}`, etag));
    assert.ok(noneMatchHits('*', etag));
    assert.ok(!noneMatchHits('"a", "b"', etag));
    assert.ok(!noneMatchHits('', etag));
  });
  test('if-modified-since at second precision', () => {
    assert.ok(notModifiedSince(new Date(MTIME).toUTCString(), stats), 'same second');
    assert.ok(notModifiedSince(new Date(MTIME + 5000).toUTCString(), stats));
    assert.ok(!notModifiedSince(new Date(MTIME - 1000).toUTCString(), stats));
    assert.ok(!notModifiedSince('yesterday', stats));
  });
  test('if-none-match decides when present', () => {
    const ims = new Date(MTIME).toUTCString();
    assert.ok(isNotModified({ ifModifiedSince: ims }, stats, etagOf(stats)));
    assert.ok(!isNotModified({ ifModifiedSince: ims, ifNoneMatch: '"x"' }, stats, etagOf(stats)));
    assert.ok(!isNotModified({}, stats, etagOf(stats)));
  });
  test('if-range: strong etag match or the exact date', () => {
    const etag = etagOf(stats);
    assert.ok(ifRangeAllows(undefined, stats, etag));
    assert.ok(ifRangeAllows(etag, stats, etag));
    assert.ok(!ifRangeAllows(`W/${etag}`, stats, etag));
    assert.ok(!ifRangeAllows('"other"', stats, etag));
    assert.ok(ifRangeAllows(new Date(MTIME).toUTCString(), stats, etag));
    assert.ok(!ifRangeAllows(new Date(MTIME - 1000).toUTCString(), stats, etag));
    assert.ok(!ifRangeAllows('garbage', stats, etag));
  });
});

describe('parseRange', () => {
  const cases: Array<[string, number, ReturnType<typeof parseRange>]> = [
    ['bytes=0-99', 1000, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=900-', 1000, { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-100', 1000, { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', 1000, { kind: 'partial', start: 0, end: 999 }],
    ['bytes=990-5000', 1000, { kind: 'partial', start: 990, end: 999 }],
    ['BYTES = 1 - 2', 1000, { kind: 'partial', start: 1, end: 2 }],
    ['bytes=1000-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=-0', 1000, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=5-1', 1000, { kind: 'full' }],
    ['bytes=0-1,5-6', 1000, { kind: 'full' }],
    ['bytes=-', 1000, { kind: 'full' }],
    ['lines=0-1', 1000, { kind: 'full' }],
    ['bytes=x-1', 1000, { kind: 'full' }],
  ];
  for (const [range, size, want] of cases) {
    test(`${JSON.stringify(range)} of ${size} bytes`, () => assert.deepEqual(parseRange(range, size), want));
  }
});

describe('push sources', () => {
  test('preload links: rel token lists, any quoting, document order, no duplicates, nopush skipped', () => {
    const html = `
      <link rel="stylesheet" href="/no.css">
      <LINK REL="preload" HREF="/a.css" as="style">
      <link href='b.js' rel='modulepreload preload' as=script>
      <link rel=preload href=/c.png as=image>
      <link rel="preload" href="/a.css">
      <link rel="preload" href="/skip.js" nopush>
      <link rel="preload" as="font">`;
    assert.deepEqual(preloadLinksOf(html), ['/a.css', 'b.js', '/c.png']);
    assert.deepEqual(preloadLinksOf('<p>no links</p>'), []);
  });
  test('same-origin paths relative to the page; other origins dropped', () => {
    assert.equal(sameOriginPath('style.css', '/docs/index.html'), '/docs/style.css');
    assert.equal(sameOriginPath('../x.js', '/docs/a/'), '/docs/x.js');
    assert.equal(sameOriginPath('/img/a b.png', '/'), '/img/a%20b.png');
    assert.equal(sameOriginPath('https://cdn.example/x.js', '/'), null);
    assert.equal(sameOriginPath('//cdn.example/x.js', '/'), null);
    assert.equal(sameOriginPath('data:text/css,', '/'), null);
  });
  test('manifest: object of path -> path list; anything else is a CliInputError naming the file', () => {
    const m = parsePushManifest('{"/": ["/a.css", "/b.js"], "/x.html": []}', 'm.json');
    assert.deepEqual([...m.entries()], [['/', ['/a.css', '/b.js']], ['/x.html', []]]);
    for (const bad of ['nope', '[]', 'null', '{"/": "/a.css"}', '{"/": [1]}', '{"/": ["a.css"]}', '{"x": []}']) {
      assert.throws(() => parsePushManifest(bad, 'm.json'), (err: unknown) => err instanceof CliInputError && /^m\.json: /.test(err.message), bad);
    }
  });
});

describe('content types', () => {
  test('by extension, case-insensitive; unknown is octet-stream', () => {
    assert.equal(contentTypeOf('/x/INDEX.HTML'), 'text/html; charset=utf-8');
    assert.equal(contentTypeOf('a.svg'), 'image/svg+xml');
    assert.equal(contentTypeOf('a.png'), 'image/png');
    assert.equal(contentTypeOf('a.woff2'), 'font/woff2');
    assert.equal(contentTypeOf('a.wasm'), 'application/wasm');
    assert.equal(contentTypeOf('Makefile'), 'application/octet-stream');
    assert.equal(contentTypeOf('a.no-such-extension'), 'application/octet-stream');
  });
});
