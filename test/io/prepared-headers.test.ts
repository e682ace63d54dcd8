/**
 * PreparedHeaders (issue 17): fields checked and lowercased once, then frozen. Every refusal is
 * the UsageError the same fields get when given plainly (appendHeaders, then the connection's
 * outgoing check), thrown at preparation instead of at each response.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareHeaders, PreparedHeaders } from '../../src/io/prepared-headers.js';
import { appendHeaders } from '../../src/io/header-input.js';
import { checkSendable } from '../../src/connection/field-validation.js';
import { OutgoingCheck } from '../../src/connection/outgoing-check.js';
import { UsageError } from '../../src/errors.js';
import * as h2kit from '../../src/index.js';

test('exported from h2kit; lowercased pairs in order, the flat form, content-length and date noted', () => {
  assert.equal(h2kit.prepareHeaders, prepareHeaders);
  assert.equal(h2kit.PreparedHeaders, PreparedHeaders);
  const p = prepareHeaders([['Content-Type', 'text/html'], ['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-N', 7], [Buffer.from('X-Bytes'), Buffer.from('ü')]]);
  const pairs = [
    ['content-type', 'text/html'],
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
    ['x-n', '7'],
    ['x-bytes', 'ü'],
  ];
  assert.deepEqual([...p], pairs);
  assert.equal(p.length, 5);
  assert.deepEqual(p.flatCopy(), pairs.flat());
  assert.equal(p.contentLength, -1);
  assert.equal(p.hasDate, false);
  const q = new PreparedHeaders({ 'Content-Length': '12', Date: 'Sun, 06 Nov 1994 08:49:37 GMT' });
  assert.equal(q.contentLength, 12);
  assert.equal(q.hasDate, true);
  assert.equal(prepareHeaders(q), q, 'a prepared list is not prepared again');
  assert.deepEqual([...new PreparedHeaders(q)], [...q], 'and can be read as plain pairs');
});

test('each refusal is the UsageError the plain form gets at sendResponse, thrown at preparation', () => {
  /** Today's path for plain fields: read and lowercase them, then the connection's check behind a :status. */
  const plainError = (input: unknown): UsageError => {
    try {
      const list: Array<[string, string]> = [[':status', '200']];
      appendHeaders(list, input as never, 'response headers');
      checkSendable(list, Infinity);
    } catch (err) {
      return err as UsageError;
    }
    throw new Error(`the plain form accepted ${JSON.stringify(input)}`);
  };
  const cases: Array<[unknown, string]> = [
    [[[':status', '500']], 'header_pseudo_by_user'],
    [{ ':path': '/' }, 'header_pseudo_by_user'],
    [[['', 'x']], 'header_pseudo_by_user'],
    [[['only-name']], 'header_bad_pair'],
    [[['x', { no: 1 }]], 'header_bad_type'],
    [[['bad name', 'x']], 'field_name_invalid'],
    [[['x-é', 'x']], 'field_name_invalid'],
    [[['x-split', 'a\r\nb: c']], 'field_value_invalid'],
    [[['x-nul', 'a\0']], 'field_value_invalid'],
    [[['x-space', ' a']], 'field_value_invalid'],
    [{ Connection: 'close' }, 'connection_specific_field'],
    [{ 'transfer-encoding': 'chunked' }, 'connection_specific_field'],
    [{ te: 'gzip' }, 'te_not_trailers'],
  ];
  for (const [input, token] of cases) {
    const plain = plainError(input);
    assert.equal(plain.token, token, `the plain form's token for ${JSON.stringify(input)}`);
    assert.throws(
      () => prepareHeaders(input as never),
      (e: unknown) => e instanceof UsageError && e.token === plain.token && e.message === plain.message,
      `prepareHeaders(${JSON.stringify(input)}) throws as the plain form does: ${plain.message}`,
    );
  }
  // content-length is refused by the response plan today (response-head.ts), with this token and words.
  for (const bad of [{ 'content-length': 'abc' }, { 'content-length': '-1' }, [['content-length', '1'], ['content-length', '1']]]) {
    assert.throws(() => prepareHeaders(bad as never), (e: unknown) => e instanceof UsageError && e.token === 'response_bad_content_length', JSON.stringify(bad));
  }
  assert.deepEqual([...prepareHeaders({ te: 'trailers' })], [['te', 'trailers']], 'te: trailers is allowed');
});

test('immutable: the object and its flat list are frozen, its pairs out of reach, and later changes to the input do not reach it', () => {
  const input: Array<[string, string]> = [['x-a', '1']];
  const p = prepareHeaders(input);
  input[0]![1] = 'changed';
  input.push(['x-b', '2']);
  assert.deepEqual([...p], [['x-a', '1']]);
  assert.ok(Object.isFrozen(p));
  for (const pair of p) (pair as unknown as string[])[1] = 'a\r\nb'; // the iterator hands out copies
  const sent: Array<[string, string]> = [];
  p.appendTo(sent);
  assert.deepEqual(sent, [['x-a', '1']]);
  assert.deepEqual([...p], [['x-a', '1']]);
  p.flatCopy()[0] = 'Bad Name';
  assert.deepEqual(p.flatCopy(), ['x-a', '1'], 'the flat form handed out is a copy');
  assert.throws(() => Object.assign(p, { contentLength: 5 }), TypeError);
  // A subclass cannot slip other fields in: the base constructor froze the instance.
  class Sneaky extends PreparedHeaders {
    extra = 1;
  }
  assert.throws(() => new Sneaky({ 'x-a': '1' }), TypeError);
});

test('OutgoingCheck: a list its sender vouches for is not scanned when no size limit applies; a size limit still checks it', () => {
  const outgoing = new OutgoingCheck();
  const bad: Array<[string, string]> = [[':status', '200'], ['bad name', 'x']];
  assert.throws(() => outgoing.check(bad, Infinity), (e: unknown) => e instanceof UsageError && e.token === 'field_name_invalid');
  outgoing.check(bad, Infinity, true); // vouched for: the check is skipped (what a prepared response saves)
  assert.throws(() => outgoing.check(bad, 10, true), (e: unknown) => e instanceof UsageError, 'a client holds even a vouched list to the server limit');
});
