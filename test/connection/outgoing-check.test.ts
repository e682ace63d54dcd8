/**
 * OutgoingCheck (src/connection/outgoing-check.ts): a list equal to the last one that passed is
 * not scanned again; everything else is judged by checkSendable, and a refusal is never remembered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutgoingCheck } from '../../src/connection/outgoing-check.js';
import { UsageError } from '../../src/errors.js';

const good: Array<[string, string]> = [
  [':status', '200'],
  ['content-type', 'text/html'],
];

test('a good list passes again; the same names with a bad value are refused, every time', () => {
  const check = new OutgoingCheck();
  check.check(good, Infinity);
  check.check(good.map(([n, v]) => [n, v]), Infinity);
  const bad: Array<[string, string]> = [
    [':status', '200'],
    ['content-type', 'text/html\r\nx: y'],
  ];
  assert.throws(() => check.check(bad, Infinity), UsageError);
  assert.throws(() => check.check(bad, Infinity), UsageError);
  check.check(good, Infinity);
  assert.throws(() => check.check([['content-type', 'a'], [':status', '200']], Infinity), UsageError);
  assert.throws(() => check.check([['connection', 'close']], Infinity), UsageError);
});

test('a list that passed under no limit is judged again under a peer limit', () => {
  const check = new OutgoingCheck();
  check.check(good, Infinity);
  assert.throws(() => check.check(good, 10), UsageError);
  check.check(good, 4096);
  check.check(good, 4096);
});
