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

test('only protocol errors have an HTTP/2 wire code; every error has a stable token', async () => {
  const { ConnectionError, FlowControlError, HpackEncodingError, isProtocolError, UsageError } = await import('../src/errors.js');
  const client = await import('../src/client/errors.js');
  const server = await import('../src/server/errors.js');
  const { CliInputError, CliUsageError } = await import('../src/cli/command.js');
  // Protocol errors: their code is the GOAWAY / RST_STREAM code.
  const protocol = [
    new ConnectionError('bad frame', ErrorCode.FRAME_SIZE_ERROR, 'frame_too_large'),
    new FlowControlError('window overflow', 'window_overflow'),
    new StreamError(1, 'bad', ErrorCode.PROTOCOL_ERROR, 'x'),
    new HpackDecodingError('index 0', 'hpack_index_zero'),
    new client.StreamResetError(1, ErrorCode.ENHANCE_YOUR_CALM, true),
    new client.RequestRefusedError(3, 'refused', 'stream_refused'),
    new client.ClientConnectionError('GOAWAY', ErrorCode.ENHANCE_YOUR_CALM, 'goaway_error'),
    new client.ClientConnectionError('connection error', ErrorCode.PROTOCOL_ERROR, 'frame_bad', false, new ConnectionError('x', ErrorCode.PROTOCOL_ERROR, 'frame_bad')),
  ];
  for (const e of protocol) {
    assert.equal(isProtocolError(e), true, `${e.name} (${e.token}) is a protocol error`);
    assert.equal(e.protocolError, true);
    assert.equal(typeof e.code, 'number', `${e.name} (${e.token}) has a wire code`);
  }
  // Not HTTP/2 errors: no wire code to read; the token says what happened.
  const other: Array<[InstanceType<typeof H2Error>, string]> = [
    [new UsageError('second sendResponse', 'response_already_sent'), 'response_already_sent'],
    [new HpackEncodingError('too large', 'hpack_too_large'), 'hpack_too_large'],
    [new client.ConnectError('refused', 'connect_failed'), 'connect_failed'],
    [new client.RequestTimeoutError(1, 'slow', 'request_timeout'), 'request_timeout'],
    [new client.ResponseHandlerError(1, 'threw', new Error('x')), 'response_handler_failed'],
    [new client.ClientConnectionError('socket lost', undefined, 'connection_lost', false, new Error('ECONNRESET')), 'connection_lost'],
    [new server.HandlerError(1, 'threw', new Error('x')), 'handler_failed'],
    [new server.PushRefusedError('push disabled', 'push_disabled'), 'push_disabled'],
    [new server.Http1RequestError('head too large', 'http1_head_too_large', 431), 'http1_head_too_large'],
    [new (await import('../src/server/body-reader.js')).RequestBodyError('too large', 'request_body_too_large', 413), 'request_body_too_large'],
    [new CliUsageError('--bad'), 'cli_usage'],
    [new CliInputError('no such file'), 'cli_input'],
  ];
  for (const [e, token] of other) {
    assert.ok(e instanceof H2Error);
    assert.equal(isProtocolError(e), false, `${e.name} (${e.token}) is not a protocol error`);
    assert.equal(e.protocolError, false);
    assert.equal(e.code, undefined, `${e.name} (${e.token}) has no wire code`);
    assert.equal(e.token, token);
  }
  // A failed connect is not the RFC's CONNECT_ERROR (a reset CONNECT tunnel), nor any other code.
  assert.equal(new client.ConnectError('refused', 'connect_failed').code, undefined);
  // A client connection error is not the core's ConnectionError (always a protocol error with a code).
  assert.equal(new client.ClientConnectionError('socket lost', undefined, 'connection_lost') instanceof ConnectionError, false);
});
