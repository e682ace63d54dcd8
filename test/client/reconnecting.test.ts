/**
 * ReconnectingHTTP2Client against a node:http2 server that ends connections: a new connection
 * after GOAWAY, and a request the server did not process retried on it.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { ReconnectingHTTP2Client } from '../../src/client/reconnecting-client.js';
import { RequestRefusedError } from '../../src/client/errors.js';
import { startNodeServer } from './support.js';
import { waitFor } from '../helpers/wait.js';

test('reconnecting client: after the server GOAWAYs and closes, the next request opens a new connection', async () => {
  const peer = await startNodeServer();
  const client = new ReconnectingHTTP2Client(peer.url);
  try {
    assert.equal((await client.request({ path: '/one' })).body.toString(), 'hello /one');
    peer.sessions[0]!.close(); // GOAWAY(NO_ERROR), then the socket closes
    await waitFor(() => peer.sessions[0]!.closed, 'the first session to close');
    assert.equal((await client.request({ path: '/two' })).body.toString(), 'hello /two');
    assert.equal(peer.sessions.length, 2);
    assert.equal(client.connections, 2);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('reconnecting client: a request refused by GOAWAY (not processed) is retried once on a new connection', async () => {
  let calls = 0;
  const peer = await startNodeServer({}, {
    '/flaky': (stream) => {
      if (++calls === 1) {
        // Not processed: GOAWAY naming the stream before this one as the last processed.
        stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id! - 2);
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end(`attempt ${calls}`);
    },
  });
  const client = new ReconnectingHTTP2Client(peer.url);
  try {
    await client.request({ path: '/warm-up' });
    const res = await client.request({ method: 'POST', path: '/flaky', body: 'payload' });
    assert.equal(res.body.toString(), 'attempt 2');
    assert.equal(client.connections, 2);
  } finally {
    await client.close();
    await peer.close();
  }
});

test('reconnecting client: REFUSED_STREAM is retried on the same connection; retries: 0 reports it', async () => {
  let calls = 0;
  const peer = await startNodeServer({}, {
    '/busy': (stream) => {
      if (++calls % 2 === 1) {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end(`attempt ${calls}`);
    },
  });
  const client = new ReconnectingHTTP2Client(peer.url);
  const noRetry = new ReconnectingHTTP2Client(peer.url, { retries: 0 });
  try {
    assert.equal((await client.request({ path: '/busy' })).body.toString(), 'attempt 2');
    assert.equal(client.connections, 1);
    const err = await noRetry.request({ path: '/busy' }).catch((e: unknown) => e);
    assert.ok(err instanceof RequestRefusedError && err.token === 'stream_refused', String(err));
  } finally {
    await client.close();
    await noRetry.close();
    await peer.close();
  }
});
