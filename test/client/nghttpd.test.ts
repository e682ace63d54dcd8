/**
 * HTTP2Client against nghttpd (nghttp2's own server, Debian nghttp2-server), h2c and TLS:
 * GET, a 16 MiB POST echoed back (`--echo-upload`, sha256 checked), a 16 MiB download,
 * 200 concurrent streams over its limit, pushes (`--push`) accepted and refused, response
 * trailers (`--trailer`), GOAWAY mid-flight. Skipped when nghttpd is not installed (.ci/run installs it).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { HTTP2Client } from '../../src/client/client.js';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/constants.js';
import { FrameWriter } from '../../src/frame/writer.js';
import { isRetryable, RequestRefusedError } from '../../src/client/errors.js';
import net, { type Socket } from 'node:net';
import tlsModule from 'node:tls';
import { FrameLog, hasCommand, header, makeTestCert, patterned, sha256, startNghttpd } from './support.js';
import { waitFor } from '../helpers/wait.js';

const available = hasCommand('nghttpd');
const big = patterned(16 * 1024 * 1024);
const files = {
  'index.html': '<html><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></html>\n',
  'style.css': 'body { color: red }\n',
  'app.js': 'console.log(1)\n',
  'big.bin': big,
};
const pushArgs = ['--push=/index.html=/style.css,/app.js', '--push=/page-with-big-push.html=/big.bin'];

for (const tls of [false, true]) {
  const kind = tls ? 'TLS' : 'h2c';

  test(`nghttpd (${kind}): GET, 16 MiB download and 16 MiB POST echoed (sha256), trailers`, { skip: !available && 'nghttpd is not installed' }, async (t) => {
    const cert = tls ? await makeTestCert() : null;
    if (tls && cert === null) return t.skip('openssl is not available');
    const server = await startNghttpd(files, ['--echo-upload', '--trailer=x-served-by: nghttpd'], cert);
    const client = new HTTP2Client(server.url, cert === null ? {} : { ca: cert.cert, servername: 'localhost' });
    try {
      const res = await client.request({ path: '/style.css' });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), files['style.css']);
      assert.equal(header(res.trailers, 'x-served-by'), 'nghttpd');
      const down = await client.request({ path: '/big.bin' });
      assert.equal(down.body.length, big.length);
      assert.equal(sha256(down.body), sha256(big));
      const up = await client.request({ method: 'POST', path: '/echo', body: big });
      assert.equal(up.status, 200);
      assert.equal(up.body.length, big.length);
      assert.equal(sha256(up.body), sha256(big));
    } finally {
      await client.close();
      await server.stop();
    }
  });

  test(`nghttpd (${kind}): 200 concurrent requests over its stream limit (-m 20), never more than 20 open`, { skip: !available && 'nghttpd is not installed' }, async (t) => {
    const cert = tls ? await makeTestCert() : null;
    if (tls && cert === null) return t.skip('openssl is not available');
    const server = await startNghttpd(files, ['-m', '20'], cert);
    let maxActive = 0;
    let client: HTTP2Client | null = null;
    const observe = (): void => {
      if (client !== null) maxActive = Math.max(maxActive, client.activeRequests);
    };
    client = new HTTP2Client(server.url, { rejectUnauthorized: false, onFrame: observe });
    try {
      const all = await Promise.all(Array.from({ length: 200 }, (_, i) => client!.request({ path: i % 2 === 0 ? '/style.css' : '/app.js' })));
      assert.equal(all.length, 200);
      for (let i = 0; i < 200; i++) assert.equal(all[i]!.body.toString(), i % 2 === 0 ? files['style.css'] : files['app.js']);
      assert.ok(maxActive > 1 && maxActive <= 20, `at most ${maxActive} requests were open at once`);
      assert.equal(client.peerSettings?.maxConcurrentStreams, 20);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  test(`nghttpd (${kind}): pushes accepted (bodies arrive); a refused push still in flight is reset with CANCEL`, { skip: !available && 'nghttpd is not installed' }, async (t) => {
    const cert = tls ? await makeTestCert() : null;
    if (tls && cert === null) return t.skip('openssl is not available');
    const server = await startNghttpd({ ...files, 'page-with-big-push.html': 'page\n' }, pushArgs, cert);
    const log = new FrameLog();
    const client = new HTTP2Client(server.url, { rejectUnauthorized: false, onFrame: log.observer });
    try {
      const res = await client.request({ path: '/index.html', onPush: () => true });
      assert.deepEqual(res.pushes.map((p) => p.path).sort(), ['/app.js', '/style.css']);
      const bodies = await Promise.all(res.pushes.map((p) => p.response));
      for (let i = 0; i < bodies.length; i++) {
        assert.equal(bodies[i]!.body.toString(), files[res.pushes[i]!.path.slice(1) as 'app.js' | 'style.css']);
      }
      // A 16 MiB push cannot finish inside the 64 KiB stream window: refusing it must cancel it.
      const refused = await client.request({ path: '/page-with-big-push.html', onPush: () => false });
      assert.equal(refused.body.toString(), 'page\n');
      const promised = log.of('recv', FrameType.PUSH_PROMISE).map((f) => (f as { promisedStreamId: number }).promisedStreamId);
      const bigId = promised[promised.length - 1]!;
      await waitFor(() => log.of('send', FrameType.RST_STREAM).some((f) => f.streamId === bigId), 'our RST_STREAM on the refused push');
      const rst = log.of('send', FrameType.RST_STREAM).find((f) => f.streamId === bigId) as { errorCode: number };
      assert.equal(rst.errorCode, ErrorCode.CANCEL);
      // The connection is fine afterwards.
      assert.equal((await client.request({ path: '/app.js' })).body.toString(), files['app.js']);
      assert.deepEqual(log.errors, []);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  test(`nghttpd (${kind}): GOAWAY mid-flight: requests the server did not process are rejected as retryable`, { skip: !available && 'nghttpd is not installed' }, async (t) => {
    const cert = tls ? await makeTestCert() : null;
    if (tls && cert === null) return t.skip('openssl is not available');
    const server = await startNghttpd(files, [], cert);
    const log = new FrameLog();
    // The client's socket is opened here, so the test can write to it behind the client's back.
    let socket: Socket | null = null;
    const client = new HTTP2Client(server.url, {
      onFrame: log.observer,
      createConnection: (target) =>
        (socket = tls ? tlsModule.connect({ host: target.host, port: target.port, ALPNProtocols: ['h2'], rejectUnauthorized: false }) : net.connect(target.port, target.host)),
    });
    try {
      assert.equal((await client.request({ path: '/app.js' })).status, 200);
      // nghttpd has no "GOAWAY now" switch: make it send one by a connection error of ours
      // (WINDOW_UPDATE 0 on stream 0, written straight to the socket, test only). The requests
      // below leave after that frame, so nghttpd does not process them.
      const w = new FrameWriter();
      w.raw(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(4));
      socket!.write(Buffer.concat(w.take()));
      const late = await Promise.all([0, 1, 2].map(() => client.request({ path: '/style.css' }).catch((e: unknown) => e)));
      for (const err of late) {
        assert.ok(err instanceof RequestRefusedError, String(err));
        assert.equal(err.token, 'goaway_not_processed');
        assert.equal(isRetryable(err), true);
      }
      const goaway = log.of('recv', FrameType.GOAWAY) as Array<{ lastStreamId: number; errorCode: number }>;
      assert.equal(goaway.length, 1);
      assert.equal(goaway[0]!.lastStreamId, 1);
      assert.equal(goaway[0]!.errorCode, ErrorCode.PROTOCOL_ERROR);
    } finally {
      await client.close();
      await server.stop();
    }
  });
}
