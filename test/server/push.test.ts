// Server push: PUSH_PROMISE with inherited :scheme/:authority, the pushed handler and its
// response, refusal when the client disabled push, and ordering rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { UsageError } from '../../src/errors.js';
import { closeSession, connect, request, startServer } from './support.js';
import { waitFor } from '../helpers/wait.js';

interface Pushed {
  requestHeaders: http2.IncomingHttpHeaders;
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

const seen: { canPush: boolean[]; pushedHandlers: BaseRequestHandler[]; errors: unknown[]; refusedPushes: unknown[]; closes: Array<[number, number, boolean]> } = {
  canPush: [],
  pushedHandlers: [],
  errors: [],
  refusedPushes: [],
  closes: [],
};

class PushHandler extends BaseRequestHandler {
  override onHeaders(): void {
    seen.canPush.push(this.canPush);
    if (this.path === '/push') {
      const h = this.push({
        path: '/css/style.css',
        requestHeaders: [['content-type', 'text/css']],
        status: 200,
        headers: [['x-pushed', 'yes']],
        body: 'body{margin:0;}',
      });
      seen.pushedHandlers.push(h!);
      this.push({ path: '/js/app.js', body: 'console.log(1)' });
      this.sendResponse({ headers: [['content-type', 'text/plain']], body: 'nghttp2-python FTW' });
      try {
        this.push({ path: '/late.css' });
      } catch (e) {
        seen.errors.push(e);
      }
      return;
    }
    try {
      seen.refusedPushes.push(this.push({ path: '/refused.css', body: 'x' }));
    } catch (e) {
      seen.errors.push(e);
    }
    this.sendResponse({ body: 'no push' });
  }

  override onClose(errorCode: number): void {
    seen.closes.push([this.streamId, errorCode, this.pushed]);
  }
}

function collectPushes(session: http2.ClientHttp2Session): Pushed[] {
  const pushes: Pushed[] = [];
  session.on('stream', (stream, requestHeaders) => {
    const p: Pushed = { requestHeaders, status: 0, headers: {}, body: '' };
    pushes.push(p);
    stream.on('push', (headers) => {
      p.headers = headers;
      p.status = Number(headers[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (p.body += c));
  });
  return pushes;
}

test('push(): PUSH_PROMISE with the inherited :scheme/:authority, the pushed response, the handler returned', async () => {
  seen.canPush.length = seen.pushedHandlers.length = seen.errors.length = seen.closes.length = 0;
  const { server, url } = await startServer(PushHandler);
  const session = await connect(url);
  const pushes = collectPushes(session);
  try {
    const r = await request(session, { ':path': '/push' });
    assert.equal(r.body.toString(), 'nghttp2-python FTW');
    // Pushed streams finish independently; wait for both bodies.
    await waitFor(() => pushes.length === 2 && pushes.every((p) => p.body.length > 0), 'both pushed bodies');
    const css = pushes.find((p) => p.requestHeaders[':path'] === '/css/style.css')!;
    assert.equal(css.requestHeaders[':method'], 'GET');
    assert.equal(css.requestHeaders[':scheme'], 'http');
    assert.equal(css.requestHeaders[':authority'], `127.0.0.1:${server.port}`);
    assert.equal(css.requestHeaders['content-type'], 'text/css');
    assert.equal(css.status, 200);
    assert.equal(css.headers['x-pushed'], 'yes');
    assert.equal(css.body, 'body{margin:0;}');
    const js = pushes.find((p) => p.requestHeaders[':path'] === '/js/app.js')!;
    assert.equal(js.body, 'console.log(1)');

    assert.deepEqual(seen.canPush, [true]);
    const handler = seen.pushedHandlers[0]!;
    assert.ok(handler instanceof PushHandler);
    assert.equal(handler.pushed, true);
    assert.equal(handler.path, '/css/style.css');
    assert.equal(handler.method, 'GET');
    assert.equal(handler.streamId % 2, 0, 'promised streams are even');
    assert.equal(seen.errors.length, 1);
    assert.ok(seen.errors[0] instanceof UsageError);
    assert.equal((seen.errors[0] as UsageError).token, 'push_after_response');
  } finally {
    await closeSession(session);
    await server.close();
  }
  // onClose reached the pushed handlers too.
  assert.ok(seen.closes.some(([id, code, pushed]) => id === handler0(seen) && code === 0 && pushed));
});

function handler0(s: typeof seen): number {
  return s.pushedHandlers[0]!.streamId;
}

test('push() returns null, sends nothing and canPush is false when the client sets ENABLE_PUSH = 0', async () => {
  seen.canPush.length = seen.pushedHandlers.length = seen.errors.length = seen.refusedPushes.length = 0;
  const { server, url } = await startServer(PushHandler);
  const session = await connect(url, { settings: { enablePush: false } });
  let promised = 0;
  session.on('stream', () => promised++);
  try {
    // The first request can race the client's SETTINGS; a second one surely follows it.
    await request(session, { ':path': '/x' });
    seen.canPush.length = seen.errors.length = seen.refusedPushes.length = 0;
    const r = await request(session, { ':path': '/x' });
    assert.equal(r.body.toString(), 'no push');
    assert.deepEqual(seen.canPush, [false]);
    assert.deepEqual(seen.errors, [], 'a client without push is no error');
    assert.deepEqual(seen.refusedPushes, [null]);
    assert.equal(promised, 0);
  } finally {
    await closeSession(session);
    await server.close();
  }
});
