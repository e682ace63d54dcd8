import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendHeaders } from '../../src/io/header-input.js';
import { UsageError } from '../../src/errors.js';

test('pairs, iterables and objects become lowercase [name, value] strings in order', () => {
  const out: Array<[string, string]> = [];
  appendHeaders(out, [['Content-Type', 'text/plain'], ['x-n', 42], [Buffer.from('X-Bytes'), new TextEncoder().encode('ü')]], 'h');
  appendHeaders(out, new Map<string, string>([['x-map', 'm']]), 'h');
  appendHeaders(out, { 'Set-Cookie': ['a=1', 'b=2'], 'x-obj': 'o' }, 'h');
  appendHeaders(out, null, 'h');
  assert.deepEqual(out, [
    ['content-type', 'text/plain'],
    ['x-n', '42'],
    ['x-bytes', 'ü'],
    ['x-map', 'm'],
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
    ['x-obj', 'o'],
  ]);
});

test('pseudo-header fields, empty names and malformed pairs are UsageErrors', () => {
  const bad = (input: unknown, token: string): void =>
    assert.throws(() => appendHeaders([], input as never, 'response headers'), (e: unknown) => e instanceof UsageError && e.token === token);
  bad([[':status', '500']], 'header_pseudo_by_user');
  bad({ ':path': '/' }, 'header_pseudo_by_user');
  bad([['', 'x']], 'header_pseudo_by_user');
  bad([['only-name']], 'header_bad_pair');
  bad(['not a pair'], 'header_bad_pair');
  bad([['x', { no: 1 }]], 'header_bad_type');
});
