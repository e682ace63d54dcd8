// Every response body kind, HEAD, content-length, trailers, against node:http2's client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { DATA_DEFERRED, DATA_EOF, DATA_OK } from '../../src/io/data-flags.js';
import type { BodyGenerator } from '../../src/io/body-source.js';
import { UsageError } from '../../src/errors.js';
import { closeSession, connect, request, startServer } from './support.js';

const big = Buffer.alloc(300_000);
for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;

class BodyKinds extends BaseRequestHandler {
  override onHeaders(): void {
    const kind = this.path.slice(1);
    const headers: Array<[string, string]> = [['content-type', 'application/octet-stream'], ['x-kind', kind]];
    switch (kind) {
      case 'null':
        return this.sendResponse({ status: 204, headers, body: null });
      case 'none':
        return this.sendResponse({ status: 200, headers });
      case 'string':
        return this.sendResponse({ headers, body: 'héllo, wörld' });
      case 'bytes':
        return this.sendResponse({ headers, body: new Uint8Array(big) });
      case 'readable':
        return this.sendResponse({ headers, body: Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]) });
      case 'iterable':
        return this.sendResponse({
          headers,
          body: (async function* () {
            for (let off = 0; off < big.length; off += 70_000) {
              await new Promise((r) => setImmediate(r));
              yield big.subarray(off, off + 70_000);
            }
          })(),
        });
      case 'generator': {
        // The seed's protocol: data, then DEFERRED until resume(), then more, then EOF.
        let offset = 0;
        let ready = true;
        const gen: BodyGenerator = (size) => {
          if (!ready) return [null, DATA_DEFERRED];
          const chunk = big.subarray(offset, offset + Math.min(size, 50_000));
          offset += chunk.length;
          if (offset >= big.length) return [chunk, DATA_EOF];
          ready = false;
          setTimeout(() => {
            ready = true;
            this.resume();
          }, 1);
          return [chunk, DATA_OK];
        };
        return this.sendResponse({ headers, body: gen });
      }
      case 'trailers':
        return this.sendResponse({ headers, body: 'with trailers', trailers: [['x-checksum', 'abc123'], ['grpc-status', '0']] });
      case 'trailers-only':
        return this.sendResponse({ headers, trailers: { 'x-only': 'yes' } });
      case 'lying-length':
        return this.sendResponse({ headers: [['content-length', '10']], body: Readable.from([Buffer.from('12345')]) });
      default:
        return this.sendResponse({ status: 404, body: `no kind ${kind}\n` });
    }
  }
}

test('every body kind arrives whole, with content-length when the size is known', async () => {
  const { server, url, logger } = await startServer(BodyKinds);
  const session = await connect(url);
  try {
    const nul = await request(session, { ':path': '/null' });
    assert.equal(nul.status, 204);
    assert.equal(nul.body.length, 0);
    // No body given: no content-length is made up for it.
    const none = await request(session, { ':path': '/none' });
    assert.equal(none.status, 200);
    assert.equal(none.body.length, 0);
    assert.equal(none.headers['content-length'], undefined);

    const str = await request(session, { ':path': '/string' });
    assert.equal(str.status, 200);
    assert.equal(str.body.toString('utf8'), 'héllo, wörld');
    assert.equal(str.headers['content-length'], String(Buffer.byteLength('héllo, wörld')));
    assert.equal(str.headers['x-kind'], 'string');

    for (const kind of ['bytes', 'readable', 'iterable', 'generator']) {
      const r = await request(session, { ':path': `/${kind}` });
      assert.equal(r.status, 200, kind);
      assert.equal(r.body.length, big.length, kind);
      assert.ok(r.body.equals(big), `${kind}: body bytes differ`);
      assert.equal(r.headers['content-length'], kind === 'bytes' ? String(big.length) : undefined, kind);
    }
    assert.deepEqual(logger.lines, []);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('HEAD gets the headers (with content-length) and no body', async () => {
  const { server, url } = await startServer(BodyKinds);
  const session = await connect(url);
  try {
    const r = await request(session, { ':method': 'HEAD', ':path': '/bytes' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(big.length));
    assert.equal(r.body.length, 0);
    const none = await request(session, { ':method': 'HEAD', ':path': '/none' });
    assert.equal(none.headers['content-length'], undefined, 'HEAD of a response without body says nothing of its length');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('response trailers arrive after the body, also with no body at all', async () => {
  const { server, url } = await startServer(BodyKinds);
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/trailers' });
    assert.equal(r.body.toString(), 'with trailers');
    assert.equal(r.trailers?.['x-checksum'], 'abc123');
    assert.equal(r.trailers?.['grpc-status'], '0');
    const t = await request(session, { ':path': '/trailers-only' });
    assert.equal(t.status, 200);
    assert.equal(t.body.length, 0);
    assert.equal(t.trailers?.['x-only'], 'yes');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('a body shorter than its content-length resets the stream and is logged', async () => {
  const { server, url, logger } = await startServer(BodyKinds);
  const session = await connect(url);
  try {
    await assert.rejects(request(session, { ':path': '/lying-length' }), (e: { rstCode?: number }) => e.rstCode === 2);
    assert.equal(logger.lines.length, 1);
    assert.match(logger.lines[0]!, /stream \d+ \(GET \/lying-length\): the response body failed/);
    // The connection still serves.
    assert.equal((await request(session, { ':path': '/string' })).status, 200);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('sendResponse twice throws UsageError; bad status and pseudo-headers are refused', async () => {
  const errors: unknown[] = [];
  class Twice extends BaseRequestHandler {
    override onHeaders(): void {
      for (const bad of [{ status: 99 }, { status: 200.5 }, { headers: [[':status', '500']] as Array<[string, string]> }]) {
        try {
          this.sendResponse(bad);
        } catch (e) {
          errors.push(e);
        }
      }
      this.sendResponse({ body: 'first' });
      try {
        this.sendResponse({ body: 'second' });
      } catch (e) {
        errors.push(e);
      }
    }
  }
  const { server, url } = await startServer(Twice);
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/' });
    assert.equal(r.body.toString(), 'first');
    assert.equal(errors.length, 4);
    assert.ok(errors.every((e) => e instanceof UsageError));
    assert.deepEqual(
      errors.map((e) => (e as UsageError).token),
      ['response_bad_status', 'response_bad_status', 'header_pseudo_by_user', 'response_already_sent'],
    );
  } finally {
    await closeSession(session);
    await server.close();
  }
});
