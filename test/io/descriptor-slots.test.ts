/**
 * DescriptorSlots: the cap on descriptors held at once. Slots are taken up to the limit, then
 * holders queue (FIFO) and get a slot as one comes back; idle holders are closed for waiters
 * (oldest first, no more than needed) and after the linger; busy ones never. A model-based
 * property runs random sequences of holders wanting, idling, finishing and leaving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DescriptorSlots, type SlotHolder } from '../../src/io/descriptor-slots.js';
import { UsageError } from '../../src/errors.js';

/** A holder that records what the slots did to it; its close lands when the test says so. */
class Holder implements SlotHolder {
  granted = 0;
  evicted = 0;
  constructor(readonly name: string, readonly log: string[] = []) {}
  slotGranted(): void {
    this.granted++;
    this.log.push(`grant ${this.name}`);
  }
  evict(): void {
    this.evicted++;
    this.log.push(`evict ${this.name}`);
  }
}

/** Waits for `p` with the event loop held open: the linger timer is unref'd (it must not keep a server alive). */
async function held<T>(p: Promise<T>): Promise<T> {
  const keep = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(keep);
  }
}

test('slots are taken up to the limit, then holders queue and are served first come, first served', () => {
  const slots = new DescriptorSlots(2);
  const log: string[] = [];
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new Holder(n, log)) as [Holder, Holder, Holder, Holder];
  assert.equal(slots.acquire(a), true);
  assert.equal(slots.acquire(b), true);
  assert.equal(slots.acquire(c), false);
  assert.equal(slots.acquire(d), false);
  assert.deepEqual(slots.stats, { used: 2, peak: 2, waiting: 2, queued: 2, evictions: 0, lingerCloses: 0 });
  slots.release(b);
  assert.deepEqual(log, ['grant c'], 'the first waiter gets the slot');
  slots.release(a);
  assert.deepEqual(log, ['grant c', 'grant d']);
  assert.equal(slots.stats.used, 2);
  assert.equal(slots.stats.waiting, 0);
});

test('a free slot is not taken past a queued holder', () => {
  const slots = new DescriptorSlots(1);
  const [a, b, c] = [new Holder('a'), new Holder('b'), new Holder('c')];
  slots.acquire(a);
  slots.acquire(b);
  // A larger limit serves the queue first; a newcomer then finds the queue empty.
  slots.limit = 2;
  assert.equal(b.granted, 1);
  assert.equal(slots.acquire(c), false, 'full again: c queues');
});

test('a holder that leaves the queue is never granted', () => {
  const slots = new DescriptorSlots(1);
  const [a, b, c] = [new Holder('a'), new Holder('b'), new Holder('c')];
  slots.acquire(a);
  slots.acquire(b);
  slots.acquire(c);
  slots.cancel(b);
  slots.release(a);
  assert.equal(b.granted, 0);
  assert.equal(c.granted, 1);
});

test('waiters evict the longest-idle holders, one per waiter; busy holders are never evicted', () => {
  let now = 0;
  const slots = new DescriptorSlots(3, Infinity, () => now);
  const log: string[] = [];
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => new Holder(n, log)) as Holder[] as [Holder, Holder, Holder, Holder, Holder];
  slots.acquire(a);
  slots.acquire(b);
  slots.acquire(c);
  now = 1;
  slots.setIdle(b);
  now = 2;
  slots.setIdle(a);
  // c stays busy (a read in flight).
  slots.acquire(d);
  assert.deepEqual(log, ['evict b'], 'the longest idle goes first, and only one for one waiter');
  slots.acquire(e);
  assert.deepEqual(log, ['evict b', 'evict a']);
  // Their closes land: the slots go to the waiters in order.
  slots.release(b);
  slots.release(a);
  assert.deepEqual(log, ['evict b', 'evict a', 'grant d', 'grant e']);
  assert.equal(c.evicted, 0);
  assert.equal(slots.stats.evictions, 2);
});

test('a holder going idle while others wait is evicted at once', () => {
  const slots = new DescriptorSlots(1);
  const [a, b] = [new Holder('a'), new Holder('b')];
  slots.acquire(a);
  slots.acquire(b);
  assert.equal(a.evicted, 0, 'busy: kept');
  slots.setIdle(a);
  assert.equal(a.evicted, 1);
  slots.release(a);
  assert.equal(b.granted, 1);
});

test('an idle holder is closed after the linger even when nobody waits; a busy one is not', async () => {
  const slots = new DescriptorSlots(4, 30);
  const idle = new Holder('idle');
  const busy = new Holder('busy');
  slots.acquire(idle);
  slots.acquire(busy);
  const evicted = new Promise<void>((resolve) => (idle.evict = () => resolve()));
  const began = performance.now();
  slots.setIdle(idle);
  await held(evicted);
  const after = performance.now() - began;
  assert.ok(after >= 25, `closed after ${after.toFixed(0)} ms, not before the linger`);
  assert.equal(busy.evicted, 0);
  assert.equal(slots.stats.lingerCloses, 1);
  slots.release(idle);
  slots.release(busy);
  assert.equal(slots.stats.used, 0);
});

test('a holder used again before the linger runs out keeps its descriptor', async () => {
  const slots = new DescriptorSlots(4, 20);
  const a = new Holder('a');
  const b = new Holder('b');
  slots.acquire(a);
  slots.acquire(b);
  slots.setIdle(a);
  slots.setBusy(a);
  const bEvicted = new Promise<void>((resolve) => (b.evict = () => resolve()));
  slots.setIdle(b); // the timer that fires for b finds a busy
  await held(bEvicted);
  assert.equal(a.evicted, 0);
});

test('limits are checked', () => {
  assert.throws(() => new DescriptorSlots(0), (e: unknown) => e instanceof UsageError && e.token === 'file_limit_bad');
  assert.throws(() => new DescriptorSlots(1.5), UsageError);
  assert.throws(() => new DescriptorSlots(1, -1), (e: unknown) => e instanceof UsageError && e.token === 'file_linger_bad');
});

type Op =
  | { kind: 'want'; h: number }
  | { kind: 'idle'; h: number }
  | { kind: 'busy'; h: number }
  | { kind: 'done'; h: number }
  | { kind: 'cancel'; h: number }
  | { kind: 'closed'; h: number };

test('property: never more than the limit; FIFO grants; idle holders never hold a slot a waiter needs; every waiter is served in the end', () => {
  const op = (kind: Op['kind']) => fc.integer({ min: 0, max: 7 }).map((h) => ({ kind, h }) as Op);
  const ops = fc.array(fc.oneof(op('want'), op('idle'), op('busy'), op('done'), op('cancel'), op('closed')), { maxLength: 200 });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), ops, (limit, script) => {
      const slots = new DescriptorSlots(limit);
      type S = 'none' | 'waiting' | 'busy' | 'idle' | 'closing';
      const state: S[] = Array(8).fill('none');
      const queue: number[] = [];
      const holders = state.map((_, i) => {
        const h = new Holder(String(i));
        h.slotGranted = () => {
          assert.equal(state[i], 'waiting');
          assert.equal(queue.shift(), i, 'grants go in queue order');
          state[i] = 'busy';
        };
        h.evict = () => {
          assert.equal(state[i], 'idle', 'only idle holders are evicted');
          state[i] = 'closing';
        };
        return h;
      });
      const check = (): void => {
        const holding = state.filter((s) => s === 'busy' || s === 'idle' || s === 'closing').length;
        assert.equal(slots.stats.used, holding);
        assert.ok(holding <= limit, `${holding} slots held, limit ${limit}`);
        const waiting = state.filter((s) => s === 'waiting').length;
        const closing = state.filter((s) => s === 'closing').length;
        const idle = state.filter((s) => s === 'idle').length;
        assert.equal(slots.stats.waiting, waiting);
        if (waiting > 0) assert.ok(idle === 0 || waiting <= closing, `${waiting} waiting while ${idle} idle and ${closing} closing`);
      };
      const run = (o: Op): void => {
        const h = holders[o.h]!;
        const s = state[o.h];
        if (o.kind === 'want' && s === 'none') {
          state[o.h] = 'waiting';
          queue.push(o.h);
          if (slots.acquire(h)) {
            queue.pop();
            state[o.h] = 'busy';
          }
        } else if (o.kind === 'idle' && s === 'busy') {
          state[o.h] = 'idle';
          slots.setIdle(h);
        } else if (o.kind === 'busy' && s === 'idle') {
          state[o.h] = 'busy';
          slots.setBusy(h);
        } else if ((o.kind === 'done' && (s === 'busy' || s === 'idle')) || (o.kind === 'closed' && s === 'closing')) {
          state[o.h] = 'none';
          slots.release(h);
        } else if (o.kind === 'cancel' && s === 'waiting') {
          state[o.h] = 'none';
          queue.splice(queue.indexOf(o.h), 1);
          slots.cancel(h);
        }
        check();
      };
      for (const o of script) run(o);
      // Everyone holding finishes (or their close lands): every waiter must get its turn.
      for (let round = 0; round < 20 && state.includes('waiting'); round++) {
        for (let i = 0; i < 8; i++) if (state[i] !== 'waiting' && state[i] !== 'none') run({ kind: state[i] === 'closing' ? 'closed' : 'done', h: i });
      }
      assert.ok(!state.includes('waiting'), 'no waiter left behind');
    }),
    { numRuns: 500 },
  );
});
