/**
 * The request deadline and the data-rate floors as pure rules (src/server/data-rate.ts): which
 * time counts against the client, the grace period, the average.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latenessOf, RateMeter, StreamTiming, type TimedStream } from '../../src/server/data-rate.js';

const FLOOR = { bytesPerSecond: 240, graceMs: 5000 };
const LIMITS = { requestTimeout: 300000, responseTimeout: 0, minRequestDataRate: FLOOR, minResponseDataRate: FLOOR };

function stream(fields: Partial<TimedStream>): TimedStream {
  return { id: 1, requestEnded: false, bytesReceived: 0, calls: { busy: false, queue: null }, responded: false, body: null, bytesSent: 0, ...fields };
}

const windowOpen = { queuedBytes: () => 0, sendWindow: () => 65535 };
const windowShut = { queuedBytes: () => 100, sendWindow: () => 0 };

test('RateMeter: only peer-bound time counts, the floor holds after the grace period, on average', () => {
  const m = new RateMeter(0, 0);
  m.sample(0, 0, true);
  m.sample(4000, 0, true); // 4 s, nothing: still within the grace period
  assert.equal(m.tooSlow(FLOOR), false);
  m.sample(6000, 0, false); // 6 s peer-bound at 0 B/s: too slow
  assert.equal(m.tooSlow(FLOOR), true);
  const fast = new RateMeter(0, 0);
  fast.sample(0, 0, true);
  fast.sample(6000, 6000 * 0.3, true); // 300 B/s
  assert.equal(fast.tooSlow(FLOOR), false);
  assert.equal(fast.average, 300);
  // Time the application held things up does not count, however long.
  const app = new RateMeter(0, 0);
  app.sample(0, 0, false);
  app.sample(60000, 0, false);
  assert.equal(app.tooSlow(FLOOR), false);
});

test('latenessOf: a silent request body is too slow after the grace period, but not while a callback holds the credit', () => {
  const timing = new StreamTiming(0);
  const s = stream({});
  for (let now = 0; now <= 5000; now += 1000) assert.equal(latenessOf(s, timing, windowOpen, LIMITS, now), null);
  assert.equal(latenessOf(s, timing, windowOpen, LIMITS, 6000), 'request_too_slow');
  const held = stream({ calls: { busy: true, queue: null } });
  const heldTiming = new StreamTiming(0);
  for (let now = 0; now <= 60000; now += 1000) assert.equal(latenessOf(held, heldTiming, windowOpen, LIMITS, now), null);
  // ...until the whole-request deadline, which counts every millisecond.
  assert.equal(latenessOf(held, heldTiming, windowOpen, LIMITS, 300000), 'request_timeout');
});

test('latenessOf: a response is too slow only while data waits on the client', () => {
  const waiting = stream({ requestEnded: true, responded: true, body: { waitingForDrain: false }, bytesSent: 100 });
  const t1 = new StreamTiming(0);
  for (let now = 0; now <= 5000; now += 1000) assert.equal(latenessOf(waiting, t1, windowShut, LIMITS, now), null);
  assert.equal(latenessOf(waiting, t1, windowShut, LIMITS, 6000), 'response_too_slow');
  // The window is open and nothing is queued: the application is slow to produce; not the client's doing.
  const t2 = new StreamTiming(0);
  for (let now = 0; now <= 60000; now += 1000) assert.equal(latenessOf(waiting, t2, windowOpen, LIMITS, now), null);
  // No floor configured: never.
  const t3 = new StreamTiming(0);
  assert.equal(latenessOf(waiting, t3, windowShut, { ...LIMITS, minResponseDataRate: null }, 60000), null);
});

test('latenessOf: no response started within responseTimeout of the request is a response_timeout', () => {
  const limits = { ...LIMITS, responseTimeout: 10000 };
  const waiting = stream({ requestEnded: true });
  const t = new StreamTiming(0);
  assert.equal(latenessOf(waiting, t, windowOpen, limits, 9000), null);
  assert.equal(latenessOf(waiting, t, windowOpen, limits, 10000), 'response_timeout');
  // A response under way is not held to it, however long it takes.
  assert.equal(latenessOf(stream({ requestEnded: true, responded: true }), new StreamTiming(0), windowOpen, limits, 60000), null);
  // 0: no limit.
  assert.equal(latenessOf(waiting, new StreamTiming(0), windowOpen, LIMITS, 600000), null);
});
