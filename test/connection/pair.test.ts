/**
 * A client Connection and a server Connection wired to each other in memory: whole exchanges
 * end to end, both roles of the same state machine checking each other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, UsageError } from '../../src/errors.js';
import type { ConnectionEvent, HeaderList } from '../../src/connection/index.js';
import { eventsOf, GET, Pair, post } from './helpers/peer.js';
import { FrameDecoder, FrameType } from '../../src/frame/index.js';

function bodyOf(events: ConnectionEvent[], streamId: number): Buffer {
  return Buffer.concat(eventsOf(events, 'data').filter((e) => e.streamId === streamId).map((e) => e.data));
}

/** A pair whose both ends consume DATA as it arrives (the application keeps up). */
function consumingPair(...args: ConstructorParameters<typeof Pair>): Pair {
  const pair = new Pair(...args);
  pair.onClient = (e) => {
    if (e.type === 'data') pair.client.consume(e.streamId, e.data.length);
  };
  pair.onServer = (e) => {
    if (e.type === 'data') pair.server.consume(e.streamId, e.data.length);
  };
  return pair;
}

test('request and response with bodies both ways, larger than every window', () => {
  const pair = consumingPair();
  pair.pump();
  const upload = Buffer.alloc(3 * 1024 * 1024 + 17, 0x75);
  const download = Buffer.alloc(2 * 1024 * 1024 + 5, 0x64);
  const id = pair.client.request(post(), false);
  let sent = 0;
  const pushUpload = (): void => {
    while (sent < upload.length) {
      const end = Math.min(upload.length, sent + 65536);
      const more = pair.client.sendData(id, upload.subarray(sent, end), end === upload.length);
      sent = end;
      if (!more) return;
    }
  };
  let responded = false;
  pair.onClient = (e) => {
    if (e.type === 'data') pair.client.consume(e.streamId, e.data.length);
    if (e.type === 'writable' && e.streamId === id) pushUpload();
  };
  pair.onServer = (e) => {
    if (e.type === 'data') {
      pair.server.consume(e.streamId, e.data.length);
      if (e.endStream && !responded) {
        responded = true;
        pair.server.sendHeaders(id, [[':status', '200']], false);
        pair.server.sendData(id, download, true);
      }
    }
  };
  pushUpload();
  pair.pump();
  assert.equal(sent, upload.length);
  assert.ok(bodyOf(pair.serverEvents, id).equals(upload));
  assert.ok(bodyOf(pair.clientEvents, id).equals(download));
  const response = eventsOf(pair.clientEvents, 'headers');
  assert.deepEqual(response.map((e) => [e.kind, e.headers]), [['response', [[':status', '200']]]]);
  assert.deepEqual(eventsOf(pair.clientEvents, 'streamClosed'), [{ type: 'streamClosed', streamId: id, errorCode: 0 }]);
  assert.deepEqual(eventsOf(pair.serverEvents, 'streamClosed'), [{ type: 'streamClosed', streamId: id, errorCode: 0 }]);
  assert.equal(pair.client.activeStreams + pair.server.activeStreams, 0);
});

test('an application that does not consume stalls the sender at the window, then resumes', () => {
  const pair = new Pair();
  pair.pump();
  const id = pair.client.request(GET, true);
  pair.pump();
  pair.server.sendHeaders(id, [[':status', '200']], false);
  pair.server.sendData(id, Buffer.alloc(200000), true);
  pair.pump();
  assert.equal(bodyOf(pair.clientEvents, id).length, 65535);
  assert.equal(pair.server.queuedBytes(id), 200000 - 65535);
  pair.client.consume(id, 65535);
  pair.pump();
  assert.equal(bodyOf(pair.clientEvents, id).length, 131070);
});

test('informational responses, response and trailers both ways', () => {
  const pair = consumingPair();
  pair.pump();
  const id = pair.client.request(post('/', [['te', 'trailers']]), false);
  pair.client.sendData(id, Buffer.from('abc'), false);
  pair.client.sendHeaders(id, [['x-request-sum', '1']], true);
  pair.pump();
  assert.deepEqual(eventsOf(pair.serverEvents, 'headers').map((e) => [e.kind, e.endStream]), [['request', false], ['trailers', true]]);
  pair.server.sendHeaders(id, [[':status', '100']], false);
  pair.server.sendHeaders(id, [[':status', '200'], ['content-length', '3']], false);
  pair.server.sendData(id, Buffer.from('xyz'), false);
  pair.server.sendHeaders(id, [['grpc-status', '0']], true);
  pair.pump();
  const h = eventsOf(pair.clientEvents, 'headers');
  assert.deepEqual(h.map((e) => e.kind), ['informational', 'response', 'trailers']);
  assert.deepEqual(h[2]!.headers, [['grpc-status', '0']]);
  assert.equal(bodyOf(pair.clientEvents, id).toString(), 'xyz');
});

test('trailers queued behind DATA that waits for window go out after it', () => {
  const pair = consumingPair();
  pair.pump();
  const id = pair.client.request(GET, true);
  pair.pump();
  pair.server.sendHeaders(id, [[':status', '200']], false);
  pair.server.sendData(id, Buffer.alloc(150000, 1), false);
  pair.server.sendHeaders(id, [['x-done', 'yes']], true);
  pair.pump();
  assert.equal(bodyOf(pair.clientEvents, id).length, 150000);
  const last = eventsOf(pair.clientEvents, 'headers').at(-1)!;
  assert.deepEqual([last.kind, last.headers, last.endStream], ['trailers', [['x-done', 'yes']], true]);
});

test('a client reset reaches the server; the server may reset too', () => {
  const pair = new Pair();
  pair.pump();
  const a = pair.client.request(post(), false);
  const b = pair.client.request(post(), false);
  pair.pump();
  pair.client.resetStream(a, ErrorCode.CANCEL);
  pair.server.resetStream(b, ErrorCode.REFUSED_STREAM);
  pair.pump();
  assert.deepEqual(eventsOf(pair.serverEvents, 'streamReset'), [{ type: 'streamReset', streamId: a, errorCode: ErrorCode.CANCEL, byPeer: true }]);
  assert.deepEqual(eventsOf(pair.clientEvents, 'streamReset'), [{ type: 'streamReset', streamId: b, errorCode: ErrorCode.REFUSED_STREAM, byPeer: true }]);
  // Sending on a stream the peer reset is harmless.
  assert.equal(pair.server.sendData(a, Buffer.from('x'), true), true);
  assert.equal(pair.client.activeStreams + pair.server.activeStreams, 0);
});

test('server push: PUSH_PROMISE, then the pushed response on the promised stream', () => {
  const pair = consumingPair();
  pair.pump();
  const id = pair.client.request(GET, true);
  pair.pump();
  assert.equal(pair.server.canPush, true);
  const promised: HeaderList = [[':method', 'GET'], [':scheme', 'https'], [':path', '/style.css'], [':authority', 'example.com']];
  const pushId = pair.server.pushPromise(id, promised);
  assert.equal(pushId, 2);
  pair.server.sendHeaders(id, [[':status', '200']], false);
  pair.server.sendData(id, Buffer.from('<html>'), true);
  pair.server.sendHeaders(pushId, [[':status', '200'], ['content-type', 'text/css']], false);
  pair.server.sendData(pushId, Buffer.from('body{}'), true);
  pair.pump();
  assert.deepEqual(eventsOf(pair.clientEvents, 'pushPromise'), [{ type: 'pushPromise', streamId: id, promisedStreamId: 2, headers: promised }]);
  assert.equal(bodyOf(pair.clientEvents, pushId).toString(), 'body{}');
  assert.equal(bodyOf(pair.clientEvents, id).toString(), '<html>');
  assert.deepEqual(eventsOf(pair.clientEvents, 'streamClosed').map((e) => e.streamId).sort(), [1, 2]);
});

test('push is refused by API when the client disabled it', () => {
  const pair = new Pair({ settings: { enablePush: false } });
  pair.pump();
  const id = pair.client.request(GET, true);
  pair.pump();
  assert.equal(pair.server.canPush, false);
  assert.throws(() => pair.server.pushPromise(id, GET), { name: 'UsageError', token: 'push_disabled' });
});

test('graceful GOAWAY from the server: in-flight stream finishes, no new requests, both close', () => {
  const pair = consumingPair();
  pair.pump();
  const id = pair.client.request(GET, true);
  pair.pump();
  pair.server.goaway();
  pair.pump();
  assert.deepEqual(eventsOf(pair.clientEvents, 'goaway').map((e) => [e.lastStreamId, e.errorCode]), [[1, 0]]);
  assert.throws(() => pair.client.request(GET, true), { name: 'UsageError' });
  pair.server.sendHeaders(id, [[':status', '200']], true);
  pair.pump();
  assert.equal(pair.server.isClosed, true);
  assert.equal(pair.client.isClosed, true);
});

test('shutdown() (server, RFC 9113 section 6.8): GOAWAY 2^31-1 and a PING; a request crossing it is served; the PING ack brings the final GOAWAY; both close', () => {
  const pair = consumingPair();
  pair.pump();
  const a = pair.client.request(GET, true);
  pair.pump();
  pair.server.shutdown();
  assert.equal(pair.server.isDraining, true);
  assert.equal(pair.server.isGoingAway, true);
  // Sent before the client read the GOAWAY: on the wire while the server drains.
  const b = pair.client.request(GET, true);
  pair.pump();
  assert.deepEqual(eventsOf(pair.clientEvents, 'goaway').map((e) => [e.lastStreamId, e.errorCode]), [[0x7fffffff, 0], [b, 0]]);
  assert.deepEqual(eventsOf(pair.serverEvents, 'headers').map((e) => e.streamId), [a, b], 'the crossing request reached the server');
  assert.equal(pair.server.isDraining, false, 'the PING came back: the final GOAWAY is out');
  assert.deepEqual(eventsOf(pair.clientEvents, 'streamClosed'), [], 'nothing refused');
  assert.throws(() => pair.client.request(GET, true), { name: 'UsageError' });
  pair.server.sendHeaders(a, [[':status', '200']], true);
  pair.server.sendHeaders(b, [[':status', '200']], true);
  pair.pump();
  assert.equal(pair.server.isClosed, true);
  assert.equal(pair.client.isClosed, true);
});

test('shutdown(): a PING that never comes back; tick() at nextDeadline() sends the final GOAWAY; an idle connection then closes', () => {
  const pair = consumingPair();
  pair.pump();
  pair.server.shutdown(250);
  const deadline = pair.server.nextDeadline();
  assert.ok(Number.isFinite(deadline), 'the drain is a deadline');
  assert.equal(pair.server.isClosed, false, 'not closed while a request may still be on its way');
  pair.server.tick(deadline);
  assert.equal(pair.server.isDraining, false);
  assert.equal(pair.server.isClosed, true, 'no stream: closed with the final GOAWAY');
  const decoder = new FrameDecoder();
  for (const chunk of pair.server.takeOutput()) decoder.push(chunk);
  const goaways: number[] = [];
  for (let f = decoder.next(); f !== null; f = decoder.next()) if (f.type === FrameType.GOAWAY) goaways.push(f.lastStreamId);
  assert.deepEqual(goaways, [0x7fffffff, 0], 'the notice, then the final GOAWAY naming the last stream processed (none)');
});

test('shutdown() on a client connection is one GOAWAY; goaway(code) during a drain ends it at once', () => {
  const pair = consumingPair();
  pair.pump();
  pair.client.shutdown();
  assert.equal(pair.client.isDraining, false);
  pair.pump();
  assert.deepEqual(eventsOf(pair.serverEvents, 'goaway').map((e) => e.lastStreamId), [0]);
  const other = consumingPair();
  other.pump();
  other.server.shutdown();
  other.server.goaway(ErrorCode.INTERNAL_ERROR);
  assert.equal(other.server.isDraining, false);
  assert.equal(other.server.isClosed, true);
});

test('GOAWAY received: streams above its last id are reported closed with REFUSED_STREAM', () => {
  const pair = new Pair();
  pair.pump();
  const a = pair.client.request(GET, true);
  pair.pump();
  // The server sends GOAWAY(last = a); meanwhile the client opens b (crossing on the wire).
  pair.server.goaway();
  const b = pair.client.request(GET, true);
  pair.pump();
  const closed = eventsOf(pair.clientEvents, 'streamClosed');
  assert.deepEqual(closed, [{ type: 'streamClosed', streamId: b, errorCode: ErrorCode.REFUSED_STREAM }]);
  // The server never saw b.
  assert.deepEqual(eventsOf(pair.serverEvents, 'headers').map((e) => e.streamId), [a]);
});

test('HEAD: content-length in the response is not matched against (absent) DATA', () => {
  const pair = new Pair();
  pair.pump();
  const id = pair.client.request([[':method', 'HEAD'], [':scheme', 'https'], [':path', '/'], [':authority', 'a']], true);
  pair.pump();
  pair.server.sendHeaders(id, [[':status', '200'], ['content-length', '1234']], true);
  pair.pump();
  assert.deepEqual(eventsOf(pair.clientEvents, 'streamReset'), []);
  assert.deepEqual(eventsOf(pair.clientEvents, 'headers')[0]!.endStream, true);
});

test('the client refuses a malformed response with RST_STREAM PROTOCOL_ERROR', () => {
  const pair = new Pair();
  pair.pump();
  const id = pair.client.request(GET, true);
  pair.pump();
  pair.server.sendHeaders(id, [[':status', '20x']], false);
  pair.pump();
  assert.deepEqual(eventsOf(pair.clientEvents, 'streamReset'), [{ type: 'streamReset', streamId: id, errorCode: ErrorCode.PROTOCOL_ERROR, byPeer: false }]);
  assert.deepEqual(eventsOf(pair.serverEvents, 'streamReset'), [{ type: 'streamReset', streamId: id, errorCode: ErrorCode.PROTOCOL_ERROR, byPeer: true }]);
});

test('PING both ways', () => {
  const pair = new Pair();
  pair.pump();
  pair.client.ping(Buffer.from('abcdefgh'));
  pair.pump();
  assert.deepEqual(eventsOf(pair.serverEvents, 'ping').map((e) => [e.data.toString(), e.ack]), [['abcdefgh', false]]);
  assert.deepEqual(eventsOf(pair.clientEvents, 'ping').map((e) => [e.data.toString(), e.ack]), [['abcdefgh', true]]);
});

test('h2c upgrade: stream 1 is the upgraded request, half-closed (remote), answered over HTTP/2', () => {
  const pair = new Pair();
  const settingsPayload = Buffer.from([0, 4, 0, 0, 0x10, 0]); // INITIAL_WINDOW_SIZE 4096
  pair.server.acceptUpgrade(settingsPayload, GET);
  const ev = pair.server.takeEvents();
  assert.deepEqual(ev, [{ type: 'headers', streamId: 1, headers: GET, endStream: true, kind: 'request' }]);
  assert.equal(pair.server.peerSettings.initialWindowSize, 4096);
  assert.equal(pair.server.sendWindow(1), 4096);
  // Stream 1 of the client is used up: its next request is 3 (the client layer skips 1 itself).
  pair.pump();
  pair.server.sendHeaders(1, [[':status', '200']], true);
  assert.deepEqual(pair.server.takeEvents(), [{ type: 'streamClosed', streamId: 1, errorCode: 0 }]);
});

test('header lists we send are checked: invalid ones throw UsageError and nothing is sent', () => {
  const pair = new Pair();
  pair.pump();
  for (const [headers, token] of [
    [[...GET, ['connection', 'close']], 'connection_specific_field'],
    [[...GET, ['X-Upper', '1']], 'field_name_invalid'],
    [[...GET, ['x-injected', 'a\r\nb: c']], 'field_value_invalid'],
    [[...GET, ['te', 'gzip']], 'te_not_trailers'],
    [[['x', '1'], ...GET], 'pseudo_header_after_regular'],
  ] as Array<[HeaderList, string]>) {
    assert.throws(() => pair.client.request(headers, true), { name: 'UsageError', token });
  }
  assert.equal(pair.client.takeOutput().length, 0);
  const id = pair.client.request(GET, true);
  pair.pump();
  assert.throws(() => pair.server.sendHeaders(id, [[':status', '200'], ['transfer-encoding', 'chunked']], true), { name: 'UsageError' });
  pair.server.sendHeaders(id, [[':status', '200']], true);
  pair.pump();
  assert.deepEqual(eventsOf(pair.clientEvents, 'headers').map((e) => e.headers), [[[':status', '200']]]);
});

test('API misuse throws UsageError with a stable token; moot commands are ignored', () => {
  const pair = new Pair({}, { maxConcurrentPushes: 1 });
  pair.pump();
  assert.throws(() => pair.server.request(GET, true), { name: 'UsageError', token: 'request_on_server' });
  assert.throws(() => pair.client.pushPromise(1, GET), { name: 'UsageError', token: 'push_from_client' });
  assert.throws(() => pair.client.sendData(99, Buffer.from('x'), true), { name: 'UsageError', token: 'stream_not_open' });
  assert.throws(() => pair.client.ping(Buffer.alloc(3)), { name: 'UsageError', token: 'ping_data_length' });
  assert.throws(() => pair.client.acceptUpgrade(Buffer.alloc(0), GET), { name: 'UsageError', token: 'upgrade_misuse' });
  const id = pair.client.request(post(), false);
  pair.client.sendData(id, Buffer.from('x'), true);
  assert.throws(() => pair.client.sendData(id, Buffer.from('y'), false), { name: 'UsageError', token: 'send_after_end_stream' });
  pair.pump();
  // One push allowed by maxConcurrentPushes; the second is refused until the first ends.
  pair.server.pushPromise(id, [[':method', 'GET'], [':scheme', 'https'], [':path', '/a'], [':authority', 'example.com']]);
  assert.equal(pair.server.canPush, false);
  assert.throws(() => pair.server.pushPromise(id, GET), { name: 'UsageError', token: 'push_limit' });
  // Resetting twice, consuming on a closed stream: harmless.
  pair.server.resetStream(id, ErrorCode.CANCEL);
  pair.server.resetStream(id, ErrorCode.CANCEL);
  pair.server.consume(id, 10);
  pair.pump();
  assert.equal(eventsOf(pair.serverEvents, 'connectionError').length + eventsOf(pair.clientEvents, 'connectionError').length, 0);
});

test('ping() without data sends 8 octets and the answer comes back as a ping ack event', () => {
  const pair = new Pair();
  pair.pump();
  pair.client.ping();
  pair.pump();
  const acks = eventsOf(pair.clientEvents, 'ping').filter((e) => e.ack);
  assert.equal(acks.length, 1);
  assert.equal(acks[0]!.data.length, 8);
});

test('goaway(code) with an error ends the connection at once: streams closed with the code, then closed', () => {
  const pair = new Pair();
  pair.pump();
  const id = pair.client.request(post(), false);
  pair.pump();
  pair.server.goaway(ErrorCode.INTERNAL_ERROR, 'shutting down');
  assert.deepEqual(pair.server.takeEvents(), [
    { type: 'streamClosed', streamId: id, errorCode: ErrorCode.INTERNAL_ERROR },
    { type: 'closed' },
  ]);
  pair.pump();
  const g = eventsOf(pair.clientEvents, 'goaway');
  assert.deepEqual(g.map((e) => [e.lastStreamId, e.errorCode, e.debugData.toString()]), [[id, ErrorCode.INTERNAL_ERROR, 'shutting down']]);
});

test("a client's request over the server's SETTINGS_MAX_HEADER_LIST_SIZE is refused before anything is sent; a smaller one then goes", () => {
  // The server accepts at most 200 octets of header list (name + value + 32 per field).
  const pair = new Pair({}, { settings: { maxHeaderListSize: 200 } });
  pair.pump();
  // 157 UTF-16 units of fields, under the limit, but more as UTF-8 (what is sent).
  const big: HeaderList = [...GET, ['x-big', 'é'.repeat(80)]];
  assert.throws(
    () => pair.client.request(big, true),
    (err: unknown) => err instanceof UsageError && err.token === 'header_list_over_peer_limit' && /exceeds the peer's SETTINGS_MAX_HEADER_LIST_SIZE of 200/.test(err.message),
  );
  const id = pair.client.request(GET, true);
  pair.pump();
  assert.equal(eventsOf(pair.serverEvents, 'headers').filter((e) => e.streamId === id).length, 1, 'only the request that fits reached the server');
});

test("a server answers whatever SETTINGS_MAX_HEADER_LIST_SIZE the client announced: the setting is advisory (RFC 9113 section 6.5.2)", () => {
  // A client announcing 1 octet must not make every response a reset of ours (nghttpd and node:http2 answer too).
  const pair = new Pair({ settings: { maxHeaderListSize: 1 } });
  pair.pump();
  const id = pair.client.request(GET, true);
  pair.pump();
  pair.server.sendHeaders(id, [[':status', '200'], ['content-type', 'text/plain']], true);
  const out = pair.server.takeOutput();
  assert.ok(out.length > 0, 'the response was written');
});
