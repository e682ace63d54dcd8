/** SETTINGS value ranges (RFC 9113 section 6.5.2): the error each out-of-range value maps to. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionError, ErrorCode, FlowControlError } from '../../src/errors.js';
import { SettingId, checkSettingValue } from '../../src/frame/index.js';

function codeOf(id: number, value: number): number | null {
  try {
    checkSettingValue(id, value);
    return null;
  } catch (error) {
    assert.ok(error instanceof ConnectionError);
    return error.code;
  }
}

test('ENABLE_PUSH: 0 and 1 only, else PROTOCOL_ERROR', () => {
  assert.equal(codeOf(SettingId.ENABLE_PUSH, 0), null);
  assert.equal(codeOf(SettingId.ENABLE_PUSH, 1), null);
  assert.equal(codeOf(SettingId.ENABLE_PUSH, 2), ErrorCode.PROTOCOL_ERROR);
  assert.equal(codeOf(SettingId.ENABLE_PUSH, 0xffffffff), ErrorCode.PROTOCOL_ERROR);
});

test('INITIAL_WINDOW_SIZE above 2^31-1 -> FLOW_CONTROL_ERROR', () => {
  assert.equal(codeOf(SettingId.INITIAL_WINDOW_SIZE, 0), null);
  assert.equal(codeOf(SettingId.INITIAL_WINDOW_SIZE, 0x7fffffff), null);
  assert.equal(codeOf(SettingId.INITIAL_WINDOW_SIZE, 0x80000000), ErrorCode.FLOW_CONTROL_ERROR);
  assert.throws(() => checkSettingValue(SettingId.INITIAL_WINDOW_SIZE, 0x80000000), FlowControlError);
});

test('MAX_FRAME_SIZE outside 16384..16777215 -> PROTOCOL_ERROR', () => {
  assert.equal(codeOf(SettingId.MAX_FRAME_SIZE, 16383), ErrorCode.PROTOCOL_ERROR);
  assert.equal(codeOf(SettingId.MAX_FRAME_SIZE, 16384), null);
  assert.equal(codeOf(SettingId.MAX_FRAME_SIZE, 16777215), null);
  assert.equal(codeOf(SettingId.MAX_FRAME_SIZE, 16777216), ErrorCode.PROTOCOL_ERROR);
});

test('ENABLE_CONNECT_PROTOCOL above 1 -> PROTOCOL_ERROR; other and unknown settings take any value', () => {
  assert.equal(codeOf(SettingId.ENABLE_CONNECT_PROTOCOL, 2), ErrorCode.PROTOCOL_ERROR);
  for (const id of [SettingId.HEADER_TABLE_SIZE, SettingId.MAX_CONCURRENT_STREAMS, SettingId.MAX_HEADER_LIST_SIZE, 0, 7, 0xffff]) {
    assert.equal(codeOf(id, 0xffffffff), null);
    assert.equal(codeOf(id, 0), null);
  }
});
