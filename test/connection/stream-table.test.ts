// StreamTable against a Map: the same answers for any sequence of operations, in growth and in
// the backward-shift deletions that keep probe runs unbroken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamTable } from '../../src/connection/stream-table.js';

interface Item {
  readonly id: number;
  readonly tag: number;
}

type Op = { kind: 'set'; id: number; tag: number } | { kind: 'delete'; id: number } | { kind: 'clear' };

// Small id ranges collide often (long runs, wrap-around at the table's end); large ones reach 2^31 - 1.
const idArb = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 0x7fffffff }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), id: idArb, tag: fc.integer() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: idArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

function check(table: StreamTable<Item>, model: Map<number, Item>, probes: number[]): void {
  assert.equal(table.size, model.size);
  for (const id of [...model.keys(), ...probes]) {
    assert.equal(table.get(id), model.get(id), `get(${id})`);
    assert.equal(table.has(id), model.has(id), `has(${id})`);
  }
  assert.deepEqual(table.values(), [...model.values()].sort((a, b) => a.id - b.id));
}

test('StreamTable answers like a Map for any sequence of set, delete and clear', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), fc.array(idArb, { maxLength: 20 }), (ops, probes) => {
      const table = new StreamTable<Item>();
      const model = new Map<number, Item>();
      for (const op of ops) {
        if (op.kind === 'set') {
          const item = { id: op.id, tag: op.tag };
          table.set(op.id, item);
          model.set(op.id, item);
        } else if (op.kind === 'delete') {
          assert.equal(table.delete(op.id), model.delete(op.id));
        } else {
          table.clear();
          model.clear();
        }
      }
      check(table, model, probes);
    }),
    { numRuns: 500 },
  );
});

test('StreamTable: a server connection\'s pattern (ids rising by 2, one to a hundred open) keeps every entry reachable', () => {
  const table = new StreamTable<Item>();
  const model = new Map<number, Item>();
  let next = 1;
  for (let round = 0; round < 2000; round++) {
    const open = 1 + (round % 100);
    while (model.size < open) {
      const item = { id: next, tag: round };
      table.set(next, item);
      model.set(next, item);
      next += 2;
    }
    // Close the oldest half, as responses finish.
    const ids = [...model.keys()].sort((a, b) => a - b).slice(0, Math.ceil(model.size / 2));
    for (const id of ids) assert.equal(table.delete(id), model.delete(id));
    check(table, model, [next, next + 2, 1]);
  }
});

test('StreamTable refuses what is not a stream id', () => {
  const table = new StreamTable<Item>();
  for (const id of [0, -1, 1.5, 2 ** 31, NaN]) assert.throws(() => table.set(id, { id, tag: 0 }), RangeError);
});
