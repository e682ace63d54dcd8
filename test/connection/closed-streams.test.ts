/** The bounded memory of closed streams. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClosedStreams } from '../../src/connection/closed-streams.js';

test('remembers recent ids with their cause; unknown ids answer -1', () => {
  const c = new ClosedStreams(1024);
  c.set(1, 2);
  c.set(3, 0);
  assert.equal(c.get(1), 2);
  assert.equal(c.get(3), 0);
  assert.equal(c.get(5), -1);
  assert.equal(c.get(0), -1);
});

test('grows with the ids up to its limit, keeping what it knew; then forgets the oldest ids', () => {
  const c = new ClosedStreams(64);
  assert.equal(c.capacity, 16);
  for (let id = 1; id < 100; id += 2) c.set(id, 1);
  assert.equal(c.capacity, 128);
  for (let id = 1; id < 100; id += 2) assert.equal(c.get(id), 1, `id ${id}`);
  for (let id = 101; id < 1000; id += 2) c.set(id, 2);
  assert.equal(c.capacity, 128);
  // The last 64 odd ids are remembered, older ones are forgotten.
  for (let id = 999; id > 999 - 128; id -= 2) assert.equal(c.get(id), 2, `id ${id}`);
  assert.equal(c.get(1), -1);
  assert.equal(c.get(101), -1);
});

test('an idle connection costs a small table', () => {
  const c = new ClosedStreams(100000);
  assert.equal(c.capacity, 16);
  c.set(7, 1);
  assert.equal(c.capacity, 16);
});
