/**
 * HTTP2Client against a node:http2 server (nghttp2 inside): every request body kind, a
 * 16 MiB upload and download checked by sha256, 200 concurrent streams over a server limit
 * of 10, pushes accepted and refused, trailers both ways, GOAWAY mid-flight, resets,
 * timeouts, streaming with backpressure, TLS (trusted CA, self-signed refused, ALPN refused).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import tls from 'node:tls';
import net from 'node:net';
import { Readable } from 'node:stream';
import { HTTP2Client } from '../../src/client/client.js';
import { BaseResponseHandler, type PushPromise } from '../../src/client/response-handler.js';
import {
  ClientConnectionError,
  ConnectError,
  isRetryable,
  RequestRefusedError,
  RequestTimeoutError,
  ResponseHandlerError,
  StreamResetError,
} from '../../src/client/errors.js';
import { DATA_EOF, DATA_OK } from '../../src/io/data-flags.js';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/constants.js';
import { FrameWriter } from '../../src/frame/writer.js';
import { FrameDecoder } from '../../src/frame/decoder.js';
import { FrameLog, header, makeTestCert, patterned, sha256, startNodeServer } from './support.js';
import { pingRoundTrip, waitFor } from '../helpers/wait.js';

test('GET: status, headers in order, body; :authority and :scheme from the URL', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const res = await client.request({ path: '/hello', headers: { 'x-a': '1' } });
    assert.equal(res.status, 200);
    assert.equal(header(res.headers, 'x-path'), '/hello');
    assert.equal(res.body.toString(), 'hello /hello');
    assert.equal(res.trailers, null);
    assert.equal(res.streamId, 1);
    assert.equal(res.headers.some((f) => f[0].startsWith(':')), false);
    const second = await client.request({ path: '/again' });
    assert.equal(second.streamId, 3, 'one connection, next stream');
  } finally {
    await client.close();
    await peer.close();
  }
});

test('POST of 16 MiB as a Buffer: the server hashes what it got, the echo comes back intact', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const body = patterned(16 * 1024 * 1024);
    const res = await client.request({ method: 'POST', path: '/echo', body });
    assert.equal(res.status, 200);
    assert.equal(header(res.headers, 'x-length'), String(body.length));
    assert.equal(header(res.headers, 'x-sha256'), sha256(body));
    assert.equal(sha256(res.body), sha256(body));
  } finally {
    await client.close();
    await peer.close();
  }
});

test('request bodies of every kind: string, Uint8Array, Readable, AsyncIterable, body generator', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const data = patterned(300_000);
    const chunks = (): Buffer[] => [data.subarray(0, 100_000), data.subarray(100_000, 250_000), data.subarray(250_000)];
    async function* iterate(): AsyncGenerator<Uint8Array> {
      for (const c of chunks()) {
        await new Promise((r) => setImmediate(r));
        yield new Uint8Array(c.buffer, c.byteOffset, c.length);
      }
    }
    let offset = 0;
    const generator = (size: number): [Buffer | null, number] => {
      const piece = data.subarray(offset, offset + Math.min(size, 7777));
      offset += piece.length;
      return [piece, offset >= data.length ? DATA_EOF : DATA_OK];
    };
    const kinds: Array<[string, unknown]> = [
      ['string', 'héllo wörld'],
      ['Uint8Array', new Uint8Array(data)],
      ['Readable', Readable.from(chunks())],
      ['AsyncIterable', iterate()],
      ['generator', generator],
    ];
    for (const [kind, body] of kinds) {
      const expected = kind === 'string' ? Buffer.from('héllo wörld') : data;
      const res = await client.request({ method: 'PUT', path: '/echo', body: body as string });
      assert.equal(header(res.headers, 'x-sha256'), sha256(expected), kind);
      assert.equal(res.body.length, expected.length, kind);
    }
  } finally {
    await client.close();
    await peer.close();
  }
});

test('a request body is pulled only as the server reads it (flow control backpressure into a Readable)', async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let stalled: http2.ServerHttp2Stream | null = null;
  const peer = await startNodeServer({}, {
    '/stall': (stream) => {
      // Do not read until released: node:http2 then withholds WINDOW_UPDATEs.
      stalled = stream;
      stream.pause();
      void released.then(() => {
        let length = 0;
        stream.on('data', (c: Buffer) => (length += c.length));
        stream.on('end', () => {
          stream.respond({ ':status': 200, 'x-length': String(length) });
          stream.end();
        });
        stream.resume();
      });
    },
  });
  const client = new HTTP2Client(peer.url);
  try {
    let produced = 0;
    const total = 32 * 1024 * 1024;
    const readable = new Readable({
      highWaterMark: 16384,
      read() {
        if (produced >= total) return void this.push(null);
        produced += 16384;
        this.push(Buffer.alloc(16384, 7));
      },
    });
    const done = client.request({ method: 'POST', path: '/stall', body: readable });
    // The client has spent the stream window the server gave: it can put no more on the wire.
    await waitFor(() => stalled?.state.localWindowSize === 0, "the client to fill the stalled stream's window");
    // A PING round trip from the server: our client has handled every frame and turn since.
    await pingRoundTrip(stalled!.session!);
    await pingRoundTrip(stalled!.session!);
    // Windows (64 KiB stream, 1 MiB connection at most) plus the socket's high-water mark and buffers.
    assert.ok(produced < 4 * 1024 * 1024, `produced ${produced} bytes while the server read nothing`);
    release();
    const res = await done;
    assert.equal(header(res.headers, 'x-length'), String(total));
  } finally {
    await client.close();
    await peer.close();
  }
});

test('16 MiB download, collected and streamed (sha256 checked)', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const n = 16 * 1024 * 1024;
    const res = await client.request({ path: `/bytes?n=${n}` });
    assert.equal(res.body.length, n);
    assert.equal(sha256(res.body), header(res.headers, 'x-sha256'));
    const streamed = await client.stream({ path: `/bytes?n=${n}` });
    assert.equal(streamed.status, 200);
    const hash = (await import('node:crypto')).createHash('sha256');
    let length = 0;
    for await (const chunk of streamed.body) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    assert.equal(length, n);
    assert.equal(hash.digest('hex'), header(streamed.headers, 'x-sha256'));
    assert.equal(await streamed.trailers, null);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('a streamed body that is not read holds the server back (flow control), then completes when read', async () => {
  const peer = await startNodeServer();
  const log = new FrameLog();
  const client = new HTTP2Client(peer.url, { onFrame: log.observer });
  try {
    const n = 2 * 1024 * 1024;
    const res = await client.stream({ path: `/bytes?n=${n}` });
    // The server has used the credit we gave: it can send nothing more until the body is read.
    await waitFor(() => log.creditSpent(1), 'the server to fill the unread stream\'s window');
    // A PING round trip: our client has handled every DATA frame sent before it.
    await pingRoundTrip(peer.sessions[0]!);
    // Unread: what arrived is bounded by the stream window (64 KiB) plus the Readable's buffer.
    const buffered = res.body.readableLength;
    assert.ok(buffered < 256 * 1024, `buffered ${buffered} bytes while nobody read`);
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    assert.equal(sha256(Buffer.concat(chunks)), header(res.headers, 'x-sha256'));
  } finally {
    await client.close();
    await peer.close();
  }
});

test('200 concurrent requests over a server limit of 10: queued, all answered, never more than 10 open', async () => {
  let open = 0;
  let maxOpen = 0;
  const peer = await startNodeServer({ settings: { maxConcurrentStreams: 10 } }, {
    '/slow': (stream, headers) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      stream.on('close', () => open--);
      setTimeout(() => {
        stream.respond({ ':status': 200 });
        stream.end(String(headers['x-i']));
      }, 2);
    },
  });
  const client = new HTTP2Client(peer.url);
  try {
    await client.connect();
    const all = await Promise.all(Array.from({ length: 200 }, (_, i) => client.request({ path: '/slow', headers: { 'x-i': String(i) } })));
    assert.deepEqual(all.map((r) => r.body.toString()), Array.from({ length: 200 }, (_, i) => String(i)));
    assert.ok(maxOpen <= 10, `server saw ${maxOpen} concurrent streams`);
    assert.equal(new Set(all.map((r) => r.streamId)).size, 200);
    assert.equal(peer.sessions.length, 1);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('push accepted: the pushed responses arrive with the page; refused: RST_STREAM CANCEL on each promise', async () => {
  const peer = await startNodeServer();
  const log = new FrameLog();
  const client = new HTTP2Client(peer.url, { onFrame: log.observer });
  try {
    const seen: PushPromise[] = [];
    const res = await client.request({ path: '/push', onPush: (p) => void seen.push(p) });
    assert.equal(res.body.toString(), 'page');
    assert.deepEqual(seen.map((p) => p.path), ['/pushed1', '/pushed2']);
    assert.equal(seen[0]!.parentStreamId, res.streamId);
    assert.equal(seen[0]!.method, 'GET');
    assert.deepEqual(res.pushes.map((p) => p.path), ['/pushed1', '/pushed2']);
    const pushed = await Promise.all(res.pushes.map((p) => p.response));
    assert.deepEqual(pushed.map((r) => r.body.toString()), ['content of /pushed1', 'content of /pushed2']);
    assert.equal(header(pushed[1]!.headers, 'x-pushed'), '/pushed2');

    const refused = await client.request({ path: '/push-held', onPush: () => false });
    assert.equal(refused.pushes.length, 0);
    await waitFor(() => peer.pushResets.length >= 2, 'the server to see both pushes cancelled');
    const resets = log.of('send', FrameType.RST_STREAM) as Array<{ streamId: number; errorCode: number }>;
    const promised = (log.of('recv', FrameType.PUSH_PROMISE) as Array<{ promisedStreamId: number }>).slice(2).map((f) => f.promisedStreamId);
    assert.deepEqual(resets.map((f) => [f.streamId, f.errorCode]), promised.map((id) => [id, ErrorCode.CANCEL]));
    assert.equal(peer.pushResets.length, 2, 'the server saw both pushes cancelled');
    assert.deepEqual(log.errors, []);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('enablePush false: SETTINGS_ENABLE_PUSH = 0 and the server does not push', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url, { enablePush: false, onPush: () => true });
  try {
    const res = await client.request({ path: '/push' });
    assert.equal(res.body.toString(), 'page');
    assert.equal(res.pushes.length, 0);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('trailers both ways: request trailers echoed as response trailers; response trailers on a plain GET', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const res = await client.request({ method: 'POST', path: '/echo', body: 'data', trailers: { 'x-request-trailer': 'yes' } });
    assert.equal(res.body.toString(), 'data');
    assert.equal(header(res.trailers, 'x-request-trailer'), 'yes');
    const noBody = await client.request({ method: 'POST', path: '/echo', trailers: [['x-only', 'trailers']] });
    assert.equal(header(noBody.trailers, 'x-only'), 'trailers');
    const t = await client.request({ path: '/trailers' });
    assert.equal(t.body.toString(), 'body');
    assert.deepEqual(t.trailers, [
      ['x-checksum', 'abc'],
      ['grpc-status', '0'],
    ]);
    const s = await client.stream({ path: '/trailers' });
    for await (const _ of s.body) void _;
    assert.equal(header(await s.trailers, 'grpc-status'), '0');
  } finally {
    await client.close();
    await peer.close();
  }
});

test('GOAWAY mid-flight: requests above lastStreamId are rejected as retryable, those below complete, later ones are not sent', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    await client.connect();
    const results = Array.from({ length: 6 }, (_, i) => client.request({ path: '/hold', headers: { 'x-i': String(i) } }).then(
      (r) => r,
      (e: unknown) => e,
    ));
    await waitFor(() => peer.held.length >= 6, 'six requests held by the server');
    // Streams 1, 3, 5 are processed; 7, 9, 11 are not.
    peer.sessions[0]!.goaway(http2.constants.NGHTTP2_NO_ERROR, 5);
    for (const s of peer.held.slice(0, 3)) {
      s.respond({ ':status': 200 });
      s.end('done');
    }
    const settled = await Promise.all(results);
    for (const r of settled.slice(0, 3)) assert.equal((r as { body: Buffer }).body.toString(), 'done');
    for (const r of settled.slice(3)) {
      assert.ok(r instanceof RequestRefusedError, String(r));
      assert.equal(r.token, 'goaway_not_processed');
      assert.equal(r.code, ErrorCode.REFUSED_STREAM);
      assert.equal(isRetryable(r), true);
    }
    const late = await client.request({ path: '/late' }).catch((e: unknown) => e);
    assert.ok(late instanceof H2ErrorLike && isRetryable(late), String(late));
    assert.equal(peer.seen.includes('/late'), false);
  } finally {
    await client.close();
    await peer.close();
  }
});

/** Any typed error (for `instanceof` in assertions). */
const H2ErrorLike = (await import('../../src/errors.js')).H2Error;

test('a stream reset by the server rejects with StreamResetError (code, byPeer); the connection goes on', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const err = await client.request({ path: '/reset' }).catch((e: unknown) => e);
    assert.ok(err instanceof StreamResetError, String(err));
    assert.equal(err.code, ErrorCode.INTERNAL_ERROR);
    assert.equal(err.byPeer, true);
    assert.equal(err.retryable, false);
    assert.equal((await client.request({ path: '/ok' })).status, 200);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('request timeout: the stream is reset with CANCEL and the promise rejects with RequestTimeoutError', async () => {
  const peer = await startNodeServer();
  const log = new FrameLog();
  const client = new HTTP2Client(peer.url, { onFrame: log.observer });
  try {
    const err = await client.request({ path: '/hold', timeout: 50 }).catch((e: unknown) => e);
    assert.ok(err instanceof RequestTimeoutError, String(err));
    assert.equal(err.token, 'request_timeout');
    // Not a protocol error: no wire code on the error, while the RST_STREAM below carries CANCEL.
    assert.equal(err.code, undefined);
    await waitFor(() => log.of('send', FrameType.RST_STREAM).length > 0, 'our RST_STREAM');
    // A later request's answer: any second reset would have been written before it.
    assert.equal((await client.request({ path: '/after' })).status, 200);
    const rst = log.of('send', FrameType.RST_STREAM) as Array<{ streamId: number; errorCode: number }>;
    assert.deepEqual(rst.map((f) => [f.streamId, f.errorCode]), [[1, ErrorCode.CANCEL]]);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('handler API: callbacks in order, async onData holds credit, onPushPromise returns a handler or null', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const calls: string[] = [];
    class Asset extends BaseResponseHandler {
      body = '';
      override onData(data: Buffer): void {
        this.body += data.toString();
      }
      override onClose(code: number): void {
        calls.push(`asset ${this.path} close ${code} ${this.body}`);
      }
    }
    let closed!: () => void;
    const done = new Promise<void>((r) => (closed = r));
    class Page extends BaseResponseHandler {
      override onHeaders(): void {
        calls.push(`headers ${this.status}`);
      }
      override async onData(data: Buffer): Promise<void> {
        await new Promise((r) => setTimeout(r, 5));
        calls.push(`data ${data.toString()}`);
      }
      override onResponseDone(): void {
        calls.push('done');
      }
      override onClose(code: number): void {
        calls.push(`close ${code}`);
        closed();
      }
      override onPushPromise(push: PushPromise): BaseResponseHandler | null {
        calls.push(`promise ${push.path}`);
        return push.path === '/pushed1' ? new Asset() : null;
      }
    }
    const page = client.send({ path: '/push' }, Page);
    assert.ok(page instanceof Page);
    await done;
    await waitFor(() => calls.some((c) => c.startsWith('asset')), 'the accepted push to close');
    // A later request's answer: a callback still due (a second push handler) would have come before it.
    assert.equal((await client.request({ path: '/after' })).status, 200);
    assert.deepEqual(calls.filter((c) => !c.startsWith('asset')), ['promise /pushed1', 'promise /pushed2', 'headers 200', 'data page', 'done', 'close 0']);
    assert.deepEqual(calls.filter((c) => c.startsWith('asset')), ['asset /pushed1 close 0 content of /pushed1']);
    assert.equal(page.error, null);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('a throwing handler callback resets only its stream (CANCEL) and reports ResponseHandlerError', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    let closeCode = -1;
    let closed!: () => void;
    const done = new Promise<void>((r) => (closed = r));
    class Bad extends BaseResponseHandler {
      override onHeaders(): void {
        throw new TypeError('boom');
      }
      override onClose(code: number): void {
        closeCode = code;
        closed();
      }
    }
    const h = client.send({ path: `/bytes?n=${1 << 20}` }, new Bad());
    await done;
    assert.equal(closeCode, ErrorCode.CANCEL);
    assert.ok(h.error instanceof ResponseHandlerError);
    assert.equal(h.error.code, undefined, 'the reset code is onClose\'s, not the error\'s');
    assert.match(h.error.message, /onHeaders failed: boom/);
    assert.equal((await client.request({ path: '/fine' })).status, 200);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('connection errors are typed: a protocol error mid-flight fails the request with its code and token', async () => {
  // A raw peer: valid SETTINGS, then, once the request's HEADERS arrived, WINDOW_UPDATE 0 on stream 0 (a connection error).
  const raw = net.createServer((s) => {
    s.on('error', () => {});
    const w = new FrameWriter();
    w.settings([]);
    s.write(Buffer.concat(w.take()));
    const decoder = new FrameDecoder({ maxFrameSize: 16384 });
    let preface = 24;
    s.on('data', (c: Buffer) => {
      const skip = Math.min(preface, c.length);
      preface -= skip;
      decoder.push(c.subarray(skip));
      for (let f = decoder.next(); f !== null; f = decoder.next()) {
        if (f.type !== FrameType.HEADERS) continue;
        w.raw(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(4));
        s.write(Buffer.concat(w.take()));
      }
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const client = new HTTP2Client(`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`);
  try {
    const err = await client.request({ path: '/' }).catch((e: unknown) => e);
    assert.ok(err instanceof ClientConnectionError, String(err));
    assert.equal(err.retryable, false);
    assert.equal(err.code, ErrorCode.PROTOCOL_ERROR);
    assert.equal(err.token, 'window_update_zero');
  } finally {
    await client.close();
    await new Promise<void>((r) => raw.close(() => r()));
  }
});

test('a server that is not HTTP/2 at all: requests not yet sent fail with a retryable ClientConnectionError naming the cause', async () => {
  const raw = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const client = new HTTP2Client(`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`);
  try {
    const err = await client.request({ path: '/' }).catch((e: unknown) => e);
    assert.ok(err instanceof ClientConnectionError, String(err));
    assert.equal(err.token, 'connection_closed_before_send');
    assert.equal(err.retryable, true);
    assert.ok(err.cause instanceof ClientConnectionError && err.cause.code !== ErrorCode.NO_ERROR, String(err.cause));
  } finally {
    await client.close();
    await new Promise<void>((r) => raw.close(() => r()));
  }
});

test('the server closing the socket mid-response rejects in-flight requests with ClientConnectionError', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    const pending = client.request({ path: '/hold' }).catch((e: unknown) => e);
    await waitFor(() => peer.held.length >= 1, 'the request held by the server');
    peer.sessions[0]!.destroy();
    const err = await pending;
    assert.ok(err instanceof ClientConnectionError, String(err));
    assert.equal(err.token, 'connection_lost');
    assert.equal(err.code, undefined, 'a lost socket is not a protocol error');
  } finally {
    await peer.close();
    await client.close();
  }
});

test('connect failures are ConnectError: refused port, bad URL scheme', async () => {
  const port = await (await import('./support.js')).freePort();
  const client = new HTTP2Client(`http://127.0.0.1:${port}`);
  const err = await client.request({ path: '/' }).catch((e: unknown) => e);
  assert.ok(err instanceof ConnectError, String(err));
  assert.equal(err.token, 'connect_failed');
  assert.equal(err.retryable, true);
  assert.equal(err.code, undefined, 'nothing was sent: no wire code');
  await client.close();
  assert.throws(() => new HTTP2Client('ftp://x'), (e: unknown) => e instanceof ConnectError && e.token === 'client_bad_scheme');
});

test('TLS: ALPN h2 with a trusted CA; a self-signed cert is refused by default; a server without h2 is refused', async (t) => {
  const cert = await makeTestCert();
  if (cert === null) return t.skip('openssl is not available to make a test certificate');
  const peer = await startNodeServer({ key: cert.key, cert: cert.cert });
  try {
    const client = new HTTP2Client(peer.url, { ca: cert.cert, servername: 'localhost' });
    const res = await client.request({ method: 'POST', path: '/echo', body: patterned(1 << 20) });
    assert.equal(header(res.headers, 'x-sha256'), sha256(patterned(1 << 20)));
    await client.close();

    const strict = new HTTP2Client(peer.url);
    const err = await strict.request({ path: '/' }).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.token, 'tls_failed');
    await strict.close();

    const insecure = new HTTP2Client(peer.url, { rejectUnauthorized: false });
    assert.equal((await insecure.request({ path: '/x' })).body.toString(), 'hello /x');
    await insecure.close();
  } finally {
    await peer.close();
  }
  const http1Only = tls.createServer({ key: cert.key, cert: cert.cert, ALPNProtocols: ['http/1.1'] }, (s) => s.end());
  http1Only.on('tlsClientError', () => {});
  await new Promise<void>((r) => http1Only.listen(0, '127.0.0.1', r));
  try {
    const client = new HTTP2Client(`https://127.0.0.1:${(http1Only.address() as net.AddressInfo).port}`, { rejectUnauthorized: false });
    const err = await client.request({ path: '/' }).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectError, String(err));
    assert.ok(err.token === 'alpn_no_h2' || err.token === 'tls_failed', err.token);
    await client.close();
  } finally {
    await new Promise<void>((r) => http1Only.close(() => r()));
  }
});

test('close() is graceful: queued and in-flight requests finish, then GOAWAY and the socket closes; later requests fail', async () => {
  const peer = await startNodeServer({ settings: { maxConcurrentStreams: 2 } });
  const log = new FrameLog();
  const client = new HTTP2Client(peer.url, { onFrame: log.observer });
  await client.connect();
  const all = Array.from({ length: 5 }, (_, i) => client.request({ path: `/c${i}` }));
  const closing = client.close();
  const bodies = (await Promise.all(all)).map((r) => r.body.toString());
  assert.deepEqual(bodies, ['hello /c0', 'hello /c1', 'hello /c2', 'hello /c3', 'hello /c4']);
  await closing;
  assert.equal(client.isClosed, true);
  assert.equal(log.of('send', FrameType.GOAWAY).length, 1);
  const err = await client.request({ path: '/after' }).catch((e: unknown) => e);
  assert.ok(err instanceof ClientConnectionError && err.token === 'client_closed', String(err));
  assert.equal(err.code, undefined);
  // The handler API: the error says why, onClose still gets a code of its own.
  let closeCode = -1;
  const refused = client.send(
    { path: '/after' },
    new (class extends BaseResponseHandler {
      override onClose(code: number): void {
        closeCode = code;
      }
    })(),
  );
  await waitFor(() => closeCode >= 0, 'onClose of the request made after close()');
  assert.equal(closeCode, ErrorCode.NO_ERROR);
  assert.ok(refused.error instanceof ClientConnectionError && refused.error.token === 'client_closed' && refused.error.code === undefined, String(refused.error));
  await peer.close();
});

test('cancel(): an in-flight exchange is reset with CANCEL, a queued one is dropped; both get StreamResetError', async () => {
  const peer = await startNodeServer({ settings: { maxConcurrentStreams: 1 } });
  const log = new FrameLog();
  const client = new HTTP2Client(peer.url, { onFrame: log.observer });
  try {
    await client.connect();
    let closes = 0;
    class H extends BaseResponseHandler {
      override onClose(): void {
        closes++;
      }
    }
    const inFlight = client.send({ path: '/hold' }, H);
    const queued = client.send({ path: '/hold' }, H);
    await waitFor(() => peer.held.length >= 1, 'the first request at the server');
    assert.equal(client.queuedRequests, 1);
    queued.cancel();
    inFlight.cancel();
    await waitFor(() => closes === 2, 'both handlers closed');
    assert.ok(inFlight.error instanceof StreamResetError && inFlight.error.byPeer === false && inFlight.error.code === ErrorCode.CANCEL, String(inFlight.error));
    assert.ok(queued.error instanceof StreamResetError, String(queued.error));
    assert.deepEqual((log.of('send', FrameType.RST_STREAM) as Array<{ streamId: number; errorCode: number }>).map((f) => [f.streamId, f.errorCode]), [[1, ErrorCode.CANCEL]]);
    assert.equal(peer.held.length, 1, 'the queued request never reached the server');
  } finally {
    await client.close();
    await peer.close();
  }
});

test('a streamed body the reader destroys cancels the stream, and close() still completes', async () => {
  const peer = await startNodeServer();
  const log = new FrameLog();
  const client = new HTTP2Client(peer.url, { onFrame: log.observer });
  try {
    const res = await client.stream({ path: `/bytes?n=${4 << 20}` });
    for await (const _ of res.body) break; // reads one chunk, then destroys the Readable
    await waitFor(() => log.of('send', FrameType.RST_STREAM).length === 1, 'our RST_STREAM');
    await assert.rejects(res.trailers, (e: unknown) => e instanceof StreamResetError && e.code === ErrorCode.CANCEL);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('close() gives up after closeTimeout: requests still in flight fail with ClientConnectionError', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url, { closeTimeout: 100 });
  try {
    const pending = client.request({ path: '/hold' }).catch((e: unknown) => e);
    await waitFor(() => peer.held.length >= 1, 'the request at the server');
    await client.close();
    const err = await pending;
    assert.ok(err instanceof ClientConnectionError && err.token === 'close_timeout', String(err));
  } finally {
    await peer.close();
  }
});

test('GOAWAY with an error code, then the socket closes: the stream below lastStreamId fails with that code, the one above is retryable', async () => {
  const peer = await startNodeServer();
  const client = new HTTP2Client(peer.url);
  try {
    await client.connect();
    const first = client.request({ path: '/hold' }).catch((e: unknown) => e);
    const second = client.request({ path: '/hold' }).catch((e: unknown) => e);
    await waitFor(() => peer.held.length >= 2, 'two requests at the server');
    const session = peer.sessions[0]!;
    session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 1, Buffer.from('calm down'));
    const above = await second;
    assert.ok(above instanceof RequestRefusedError && above.retryable, String(above));
    session.destroy();
    const below = await first;
    assert.ok(below instanceof ClientConnectionError, String(below));
    assert.equal(below.code, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(below.token, 'goaway_error');
    assert.match(below.message, /GOAWAY ENHANCE_YOUR_CALM \(calm down\)/);
    assert.equal(below.retryable, false);
  } finally {
    await peer.close();
    await client.close();
  }
});

test('1xx responses are kept in `informational`; HEAD gets headers only despite content-length', async () => {
  const peer = await startNodeServer({}, {
    '/early': (stream) => {
      stream.additionalHeaders({ ':status': 103, link: '</style.css>; rel=preload' });
      stream.respond({ ':status': 200 });
      stream.end('final');
    },
    '/head': (stream) => {
      stream.respond({ ':status': 200, 'content-length': '1234' });
      stream.end();
    },
  });
  const client = new HTTP2Client(peer.url);
  try {
    class Early extends BaseResponseHandler {
      body = '';
      override onData(d: Buffer): void {
        this.body += d.toString();
      }
    }
    const early = client.send({ path: '/early' }, Early);
    await waitFor(() => early.body === 'final', 'the final response');
    assert.equal(early.status, 200);
    assert.deepEqual(early.informational, [[103, [['link', '</style.css>; rel=preload']]]]);
    const head = await client.request({ method: 'HEAD', path: '/head' });
    assert.equal(head.status, 200);
    assert.equal(header(head.headers, 'content-length'), '1234');
    assert.equal(head.body.length, 0);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('connectTimeout: a TLS server that never answers the handshake fails with ConnectError connect_timeout', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const client = new HTTP2Client(`https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { connectTimeout: 100 });
  try {
    const err = await client.request({ path: '/' }).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectError, String(err));
    assert.equal(err.token, 'connect_timeout');
  } finally {
    await client.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('an AbortSignal cancels a request in flight (RST_STREAM CANCEL) and refuses one already aborted', async () => {
  const peer = await startNodeServer();
  const log = new FrameLog();
  const client = new HTTP2Client(peer.url, { onFrame: log.observer });
  try {
    const controller = new AbortController();
    const pending = client.request({ path: '/hold', signal: controller.signal }).catch((e: unknown) => e);
    await waitFor(() => peer.held.length >= 1, 'the request at the server');
    controller.abort();
    const err = await pending;
    assert.ok(err instanceof StreamResetError && err.code === ErrorCode.CANCEL && !err.byPeer, String(err));
    await waitFor(() => log.of('send', FrameType.RST_STREAM).length === 1, 'our RST_STREAM');
    const early = await client.request({ path: '/x', signal: AbortSignal.abort() }).catch((e: unknown) => e);
    assert.ok(early instanceof StreamResetError, String(early));
    assert.equal(peer.seen.includes('/x'), false);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('a request body stops being pulled once the server resets the stream (no draining a closed stream)', async () => {
  const peer = await startNodeServer({}, {
    '/reject': (stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM),
  });
  const client = new HTTP2Client(peer.url);
  try {
    let pulled = 0;
    const total = 256 * 1024 * 1024;
    const generator = (size: number): [Buffer, typeof DATA_OK | typeof DATA_EOF] => {
      const n = Math.min(size, total - pulled);
      pulled += n;
      return [Buffer.alloc(n, 1), pulled >= total ? DATA_EOF : DATA_OK];
    };
    const err = await client.request({ method: 'POST', path: '/reject', body: generator }).catch((e: unknown) => e);
    assert.ok(err instanceof RequestRefusedError, String(err));
    assert.ok(pulled < 8 * 1024 * 1024, `pulled ${pulled} octets of a body whose stream was reset`);
    assert.equal((await client.request({ path: '/still-fine' })).status, 200);
  } finally {
    await client.close();
    await peer.close();
  }
});
