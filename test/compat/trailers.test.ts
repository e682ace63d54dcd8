/**
 * Trailers both ways: response.addTrailers, and request.trailers/rawTrailers. After Node's
 * test-http2-compat-serverresponse-trailers.js and test-http2-compat-serverrequest-trailers.js,
 * rewritten for both implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type http2 from 'node:http2';
import { Harness, Signal, implementations } from './support.js';

for (const impl of await implementations()) {
  describe(`${impl.name}: trailers`, { skip: impl.skip, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    it('addTrailers before end(): the client gets them after the body, names lower-cased, values as strings', async () => {
      const { url } = await h.start((_req, res) => {
        res.addTrailers({ 'X-Checksum': 'abc', 'Grpc-Status': 0 } as unknown as http2.OutgoingHttpHeaders);
        res.end('payload');
      });
      const ex = await h.get(url);
      assert.equal(ex.body.toString(), 'payload');
      assert.ok(ex.trailers, 'no trailers arrived');
      assert.equal(ex.trailers['x-checksum'], 'abc');
      assert.equal(ex.trailers['grpc-status'], '0');
      assert.equal(ex.headers['x-checksum'], undefined, 'a trailer leaked into the head');
    });

    it('addTrailers after the head and body were sent still delivers them', async () => {
      const { url } = await h.start((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/grpc' });
        res.write('frame-1');
        res.addTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' });
        res.end('frame-2');
      });
      const ex = await h.get(url);
      assert.equal(ex.body.toString(), 'frame-1frame-2');
      assert.deepEqual({ s: ex.trailers?.['grpc-status'], m: ex.trailers?.['grpc-message'] }, { s: '0', m: 'OK' });
    });

    it('addTrailers rejects an empty name (ERR_INVALID_HTTP_TOKEN) and an undefined value (ERR_HTTP2_INVALID_HEADER_VALUE)', async () => {
      const checked = new Signal('the checks');
      const { url } = await h.start(
        checked.guard((_req, res) => {
          assert.throws(() => res.addTrailers({ '': 'x' }), { code: 'ERR_INVALID_HTTP_TOKEN', name: 'TypeError' });
          assert.throws(() => res.addTrailers({ 'x-u': undefined } as unknown as http2.OutgoingHttpHeaders), {
            code: 'ERR_HTTP2_INVALID_HEADER_VALUE',
            name: 'TypeError',
          });
          res.end();
          checked.resolve();
        }),
      );
      await h.get(url);
      await checked.promise;
    });

    it("request trailers: after 'end', trailers holds them (duplicates joined) and rawTrailers lists each", async () => {
      const seen = new Signal<{ before: unknown; body: string; trailers: http2.IncomingHttpHeaders; raw: string[] }>('the request trailers');
      const { url } = await h.start((req, res) => {
        const before = { ...req.trailers };
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => {
          seen.resolve({ before, body, trailers: { ...req.trailers }, raw: [...req.rawTrailers] });
          res.end();
        });
      });
      await h.get(
        url,
        { ':method': 'POST' },
        { body: 'test\ntest', trailers: { 'x-foo': ['xOx', 'OxO'], 'x-foo-test': 'test, test' } },
      );
      const { before, body, trailers, raw } = await seen.promise;
      assert.deepEqual(before, {});
      assert.equal(body, 'test\ntest');
      assert.equal(trailers['x-foo'], 'xOx, OxO');
      assert.equal(trailers['x-foo-test'], 'test, test');
      assert.deepEqual(raw, ['x-foo', 'xOx', 'x-foo', 'OxO', 'x-foo-test', 'test, test']);
    });

    it("a request without trailers has trailers {} and rawTrailers [] at 'end'", async () => {
      const seen = new Signal<{ trailers: unknown; raw: unknown }>('the request end');
      const { url } = await h.start((req, res) => {
        req.resume();
        req.on('end', () => {
          seen.resolve({ trailers: { ...req.trailers }, raw: [...req.rawTrailers] });
          res.end();
        });
      });
      await h.get(url, { ':method': 'POST' }, { body: 'x' });
      assert.deepEqual(await seen.promise, { trailers: {}, raw: [] });
    });
  });
}
