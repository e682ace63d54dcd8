import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, errorCodeName, H2Error, HpackDecodingError, StreamError } from '../src/errors.js';

test('error classes carry the RFC code, a token and their own name', () => {
  const e = new HpackDecodingError('index 0 is not allowed', 'hpack_index_zero');
  assert.ok(e instanceof H2Error);
  assert.equal(e.code, ErrorCode.COMPRESSION_ERROR);
  assert.equal(e.token, 'hpack_index_zero');
  assert.equal(e.name, 'HpackDecodingError');
  const s = new StreamError(3, 'bad', ErrorCode.PROTOCOL_ERROR, 'x');
  assert.equal(s.streamId, 3);
});

test('errorCodeName names registered codes and marks unknown ones', () => {
  assert.equal(errorCodeName(0xb), 'ENHANCE_YOUR_CALM');
  assert.equal(errorCodeName(0x42), 'UNKNOWN_ERROR_0x42');
});
