/**
 * Http1ExchangeList: the open exchanges of an HTTP/1.1 connection by handler streamId, kept in an
 * array indexed by id. Checked against a Map (what it replaced) over adds in id order, ids that
 * got no exchange, and deletes in and out of order; and each open exchange found by its response.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Http1Exchange } from '../../src/server/http1-exchange.js';
import { Http1ExchangeList } from '../../src/server/http1-exchange-list.js';

function exchange(id: number): Http1Exchange {
  // Its response: any object of its own, as withResponse compares identity.
  return { id, res: { id } } as unknown as Http1Exchange;
}

test('Http1ExchangeList finds, lists and forgets exchanges as a Map would', () => {
  const list = new Http1ExchangeList();
  const map = new Map<number, Http1Exchange>();
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let nextId = 1;
  for (let step = 0; step < 5000; step++) {
    if (random(3) !== 0 || map.size === 0) {
      // Pipelining puts up to ~10 in flight; now and then an id goes to a refused request (no exchange).
      if (random(5) === 0) nextId += 2;
      const ex = exchange(nextId);
      nextId += 2;
      list.add(ex);
      map.set(ex.id, ex);
    } else {
      // Mostly the oldest ends first (node:http answers in turn), sometimes another (a reset, a failed body).
      const ids = [...map.keys()];
      const id = random(4) === 0 ? ids[random(ids.length)]! : ids[0]!;
      list.delete(id);
      map.delete(id);
    }
    assert.equal(list.size, map.size);
    assert.deepEqual([...list.values()].map((e) => e.id), [...map.keys()]);
    for (const id of [...map.keys(), nextId, nextId - 1, 0, -1, 1.5]) assert.equal(list.get(id), map.get(id), `get(${id}) at step ${step}`);
    for (const ex of map.values()) assert.equal(list.withResponse(ex.res), ex, `withResponse(${ex.id}) at step ${step}`);
    assert.equal(list.withResponse(exchange(nextId).res), undefined);
  }
});

test('Http1ExchangeList: deleting an id twice, or one never added, changes nothing', () => {
  const list = new Http1ExchangeList();
  list.add(exchange(1));
  list.add(exchange(5));
  list.delete(3);
  list.delete(7);
  assert.equal(list.size, 2);
  list.delete(1);
  list.delete(1);
  assert.equal(list.size, 1);
  assert.equal(list.get(5)?.id, 5);
  list.delete(5);
  assert.equal(list.size, 0);
  assert.deepEqual([...list.values()], []);
  // Empty again: the next id starts a new run.
  list.add(exchange(41));
  assert.equal(list.get(41)?.id, 41);
  assert.equal(list.get(1), undefined);
});
