/**
 * Model-based test: a client and a server Connection driven by random sequences of legal API
 * calls (requests, bodies, responses, trailers, resets, consuming late), wired in memory. Two
 * correct endpoints must never see a protocol error, every byte sent on a stream that was not
 * reset arrives in order, and once everything is ended and consumed no stream is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode } from '../../src/errors.js';
import type { ConnectionEvent } from '../../src/connection/index.js';
import { Pair, post } from './helpers/peer.js';

type Op =
  | { kind: 'open'; end: boolean }
  | { kind: 'clientData'; pick: number; size: number; end: boolean }
  | { kind: 'respond'; pick: number; end: boolean }
  | { kind: 'serverData'; pick: number; size: number; end: boolean }
  | { kind: 'serverWait'; pick: number }
  | { kind: 'trailers'; pick: number; server: boolean }
  | { kind: 'reset'; pick: number; server: boolean }
  | { kind: 'consume' }
  | { kind: 'pump' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('open' as const), end: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('clientData' as const), pick: fc.nat(), size: fc.integer({ min: 0, max: 70000 }), end: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('respond' as const), pick: fc.nat(), end: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('serverData' as const), pick: fc.nat(), size: fc.integer({ min: 0, max: 70000 }), end: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('serverWait' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('trailers' as const), pick: fc.nat(), server: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reset' as const), pick: fc.nat(), server: fc.boolean() }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'consume' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'pump' as const }), weight: 3 },
);

interface Side {
  sent: Map<number, Buffer[]>;
  received: Map<number, Buffer[]>;
  ended: Set<number>;
  unconsumed: Array<[number, number]>;
}

function side(): Side {
  return { sent: new Map(), received: new Map(), ended: new Set(), unconsumed: [] };
}

test('random legal use of a client and a server never produces a protocol error and loses no data', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 20, maxLength: 80, size: 'max' }), fc.boolean(), fc.boolean(), (ops, eagerConsume, smallConnectionWindows) => {
      // Small connection windows (node:http2's 65535) make streams wait on the connection window, not only their own.
      const connectionWindowSize = smallConnectionWindows ? 65535 : 1 << 20;
      const pair = new Pair(
        { settings: { initialWindowSize: 30000 }, connectionWindowSize },
        { settings: { maxConcurrentStreams: 1000 }, connectionWindowSize },
      );
      const client = side();
      const server = side();
      const responded = new Set<number>();
      const requested = new Set<number>();
      const reset = new Set<number>();
      const record = (s: Side, conn: 'client' | 'server') => (e: ConnectionEvent) => {
        if (e.type === 'connectionError') assert.fail(`${conn}: ${e.error.message}`);
        if (e.type === 'streamReset') reset.add(e.streamId);
        if (e.type === 'headers' && e.kind === 'request') requested.add(e.streamId);
        if (e.type === 'data') {
          const list = s.received.get(e.streamId) ?? [];
          list.push(Buffer.from(e.data));
          s.received.set(e.streamId, list);
          if (eagerConsume) (conn === 'client' ? pair.client : pair.server).consume(e.streamId, e.data.length);
          else s.unconsumed.push([e.streamId, e.data.length]);
        }
      };
      pair.onClient = record(client, 'client');
      pair.onServer = record(server, 'server');
      pair.pump();
      const ids: number[] = [];
      let fill = 0;
      const body = (size: number): Buffer => Buffer.alloc(size, ++fill & 0xff);
      const live = (pick: number): number | undefined => (ids.length === 0 ? undefined : ids[pick % ids.length]);
      const send = (s: Side, id: number, data: Buffer): void => {
        const list = s.sent.get(id) ?? [];
        list.push(data);
        s.sent.set(id, list);
      };
      for (const op of ops) {
        switch (op.kind) {
          case 'open': {
            const id = pair.client.request(post(), op.end);
            ids.push(id);
            if (op.end) client.ended.add(id);
            break;
          }
          case 'clientData': {
            const id = live(op.pick);
            if (id === undefined || client.ended.has(id) || reset.has(id)) break;
            const data = body(op.size);
            pair.client.sendData(id, data, op.end);
            send(client, id, data);
            if (op.end) client.ended.add(id);
            break;
          }
          case 'respond': {
            pair.pump();
            const id = live(op.pick);
            if (id === undefined || !requested.has(id) || responded.has(id) || reset.has(id)) break;
            pair.server.sendHeaders(id, [[':status', '200']], op.end);
            responded.add(id);
            if (op.end) server.ended.add(id);
            break;
          }
          case 'serverData': {
            const id = live(op.pick);
            if (id === undefined || !responded.has(id) || server.ended.has(id) || reset.has(id)) break;
            const data = body(op.size);
            pair.server.sendData(id, data, op.end);
            send(server, id, data);
            if (op.end) server.ended.add(id);
            break;
          }
          case 'serverWait': {
            // A pull-style producer: an empty sendData registers for `writable` when the windows are shut.
            const id = live(op.pick);
            if (id === undefined || !responded.has(id) || server.ended.has(id) || reset.has(id)) break;
            pair.server.sendData(id, Buffer.alloc(0), false);
            break;
          }
          case 'trailers': {
            const id = live(op.pick);
            if (id === undefined || reset.has(id)) break;
            if (op.server) {
              if (!responded.has(id) || server.ended.has(id)) break;
              pair.server.sendHeaders(id, [['x-trailer', 's']], true);
              server.ended.add(id);
            } else {
              if (client.ended.has(id)) break;
              pair.client.sendHeaders(id, [['x-trailer', 'c']], true);
              client.ended.add(id);
            }
            break;
          }
          case 'reset': {
            const id = live(op.pick);
            if (id === undefined || reset.has(id)) break;
            if (op.server && !requested.has(id)) break;
            (op.server ? pair.server : pair.client).resetStream(id, ErrorCode.CANCEL);
            reset.add(id);
            break;
          }
          case 'consume':
            for (const [id, n] of client.unconsumed) pair.client.consume(id, n);
            for (const [id, n] of server.unconsumed) pair.server.consume(id, n);
            client.unconsumed.length = 0;
            server.unconsumed.length = 0;
            break;
          case 'pump':
            pair.pump();
            break;
        }
      }
      // Finish everything: end both sides of every live stream, consume everything.
      pair.pump();
      for (const id of ids) {
        if (reset.has(id)) continue;
        if (!client.ended.has(id)) {
          pair.client.sendData(id, Buffer.alloc(0), true);
          client.ended.add(id);
        }
      }
      pair.pump();
      for (const id of ids) {
        if (reset.has(id)) continue;
        if (!responded.has(id)) {
          pair.server.sendHeaders(id, [[':status', '204']], true);
          responded.add(id);
          server.ended.add(id);
        } else if (!server.ended.has(id)) {
          pair.server.sendData(id, Buffer.alloc(0), true);
          server.ended.add(id);
        }
      }
      for (let round = 0; round < 200; round++) {
        pair.pump();
        if (client.unconsumed.length + server.unconsumed.length === 0) break;
        for (const [id, n] of client.unconsumed) pair.client.consume(id, n);
        for (const [id, n] of server.unconsumed) pair.server.consume(id, n);
        client.unconsumed.length = 0;
        server.unconsumed.length = 0;
      }
      pair.pump();
      assert.equal(pair.client.activeStreams, 0, 'client streams left');
      assert.equal(pair.server.activeStreams, 0, 'server streams left');
      for (const id of ids) {
        if (reset.has(id)) continue;
        const up = Buffer.concat(client.sent.get(id) ?? []);
        const down = Buffer.concat(server.sent.get(id) ?? []);
        assert.ok(Buffer.concat(server.received.get(id) ?? []).equals(up), `upload of stream ${id}`);
        assert.ok(Buffer.concat(client.received.get(id) ?? []).equals(down), `download of stream ${id}`);
      }
    }),
    { numRuns: 150 },
  );
});

test('the shared empty send queue is never written to', async () => {
  const { NO_QUEUE } = await import('../../src/connection/stream.js');
  assert.equal(NO_QUEUE.length, 0);
});
