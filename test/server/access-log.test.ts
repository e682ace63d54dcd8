import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLogger, formatAccessLogLine, type AccessLogEntry } from '../../src/server/access-log.js';

const entry: AccessLogEntry = {
  clientAddress: ['127.0.0.1', 50412],
  time: Date.UTC(2026, 10, 25, 15, 30, 0, 123),
  method: 'GET',
  path: '/style.css',
  status: 200,
  bytes: 15,
  streamId: 2,
  pushed: true,
  errorCode: 0,
  httpVersion: '2',
};

test('one line with client, time, method, path, status, size and push', () => {
  assert.equal(formatAccessLogLine(entry), '127.0.0.1:50412 [2026-11-25T15:30:00.123Z] "GET /style.css" 200 15 h2 stream=2 pushed');
  assert.equal(
    formatAccessLogLine({ ...entry, clientAddress: ['::1', 1], pushed: false, errorCode: 8 }),
    '[::1]:1 [2026-11-25T15:30:00.123Z] "GET /style.css" 200 15 h2 stream=2 reset=CANCEL',
  );
  assert.equal(
    formatAccessLogLine({ ...entry, pushed: false, streamId: 3, httpVersion: '1.1' }),
    '127.0.0.1:50412 [2026-11-25T15:30:00.123Z] "GET /style.css" 200 15 http/1.1 stream=3',
    'the protocol that carried the request',
  );
});

test('targets: off, a function, a writable', () => {
  assert.equal(accessLogger(undefined), null);
  assert.equal(accessLogger(false), null);
  const lines: string[] = [];
  accessLogger((line) => lines.push(line))!(entry);
  const written: string[] = [];
  accessLogger({ write: (s: string) => written.push(s) } as never)!(entry);
  assert.equal(lines.length, 1);
  assert.equal(written[0], lines[0] + '\n');
});
