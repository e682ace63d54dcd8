/** The first-bytes classifier (src/server/first-bytes.ts): preface, HTTP/1.x request line, or garbage, judged as bytes arrive. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { startServer } from './support.js';
import { classifyFirstBytes, FIRST_BYTES_START, type FirstBytesScan, type FirstBytesVerdict } from '../../src/server/first-bytes.js';
import { CONNECTION_PREFACE } from '../../src/frame/index.js';

const verdict = (text: string | Buffer): FirstBytesVerdict => classifyFirstBytes(typeof text === 'string' ? Buffer.from(text, 'latin1') : text).verdict;

/** Feeds `bytes` one octet at a time, resuming each scan from the last: the verdict after each octet. */
function octetByOctet(bytes: Buffer): FirstBytesVerdict[] {
  const out: FirstBytesVerdict[] = [];
  let scan: FirstBytesScan = FIRST_BYTES_START;
  for (let i = 1; i <= bytes.length; i++) {
    scan = classifyFirstBytes(bytes.subarray(0, i), scan);
    out.push(scan.verdict);
  }
  return out;
}

test('the preface: need-more for each proper prefix, preface once complete (whatever follows)', () => {
  const steps = octetByOctet(CONNECTION_PREFACE);
  assert.deepEqual(steps.slice(0, -1), Array(23).fill('need-more'));
  assert.equal(steps.at(-1), 'preface');
  assert.equal(verdict(Buffer.concat([CONNECTION_PREFACE, Buffer.from([0, 0, 0, 4])])), 'preface');
});

test('an HTTP/1.x request line: need-more until its CRLF, then http1', () => {
  for (const line of ['GET / HTTP/1.1\r\n', 'OPTIONS * HTTP/1.0\r\n', 'CONNECT example.com:443 HTTP/1.1\r\n', 'GET http://a/b?c HTTP/1.1\r\n', 'PRI * HTTP/1.1\r\n', '\r\nGET / HTTP/1.1\r\n', '\r\n\r\nGET / HTTP/1.9\r\n']) {
    const steps = octetByOctet(Buffer.from(line, 'latin1'));
    assert.deepEqual(steps.slice(0, -1), Array(line.length - 1).fill('need-more'), JSON.stringify(line));
    assert.equal(steps.at(-1), 'http1', JSON.stringify(line));
  }
});

test('garbage at the first impossible octet: TLS, binary, another protocol, another HTTP version', () => {
  const cases: Array<[string | Buffer, number]> = [
    [Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 1], // a TLS handshake record
    [Buffer.from([0x00]), 1],
    ['INVALID CONNECTION PREFACE\r\n\r\n', 'INVALID CONNECTION P'.length], // the third word is no HTTP-version
    ['GET / HTTP/2.0\r\n', 'GET / HTTP/2'.length],
    ['GET / HTTP/1.1\n', 'GET / HTTP/1.1\n'.length], // a bare LF ends nothing
    ['GET  / HTTP/1.1\r\n', 'GET  '.length], // two SPs
    ['GET /a\x01 HTTP/1.1\r\n', 'GET /a\x01'.length],
    ['G(T / HTTP/1.1\r\n', 2],
    [' GET / HTTP/1.1\r\n', 1],
    ['\r\n\r\n\r\nGET / HTTP/1.1\r\n', 5], // a third empty line
    ['\rGET', 2],
    ['SSH-2.0-OpenSSH_9.6\r\n', 'SSH-2.0-OpenSSH_9.6\r'.length],
    // A preface prefix until its 19th octet; then judged as a request line, whose `HTTP/2` is no HTTP/1.x.
    ['PRI * HTTP/2.0\r\n\r\nXX', 'PRI * HTTP/2.0\r\n\r\nX'.length],
    ['A'.repeat(33) + ' / HTTP/1.1\r\n', 33], // a method longer than 32 octets
  ];
  for (const [bytes, at] of cases) {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    assert.equal(verdict(b), 'garbage', JSON.stringify(bytes));
    const steps = octetByOctet(b);
    assert.equal(steps.indexOf('garbage') + 1, at, `${JSON.stringify(bytes)}: garbage from octet ${at}`);
  }
});

test('a final verdict never changes, and a resumed scan agrees with a scan from the start', () => {
  const b = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
  const done = classifyFirstBytes(b.subarray(0, 16));
  assert.equal(done.verdict, 'http1');
  assert.equal(classifyFirstBytes(b, done), done);
  let scan: FirstBytesScan = FIRST_BYTES_START;
  for (const cut of [3, 7, 12, 16]) scan = classifyFirstBytes(b.subarray(0, cut), scan);
  assert.equal(scan.verdict, classifyFirstBytes(b.subarray(0, 16)).verdict);
});

test('an empty buffer needs more', () => {
  assert.equal(verdict(Buffer.alloc(0)), 'need-more');
});

class Hello extends BaseRequestHandler {
  override onHeaders(): void {
    this.sendResponse({ body: 'hello' });
  }
}

/** Writes `data` and resolves with what came back and how long until the server closed. */
function exchange(port: number, data: string): Promise<{ got: string; ms: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data));
    const began = performance.now();
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (got += c));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ got, ms: performance.now() - began }));
  });
}

test('server: a plausible request line still unfinished at maxHttp1HeadSize gets 431; garbage is closed unanswered', async () => {
  const { server } = await startServer(Hello, { maxHttp1HeadSize: 1024 });
  try {
    const long = await exchange(server.port, `GET /${'a'.repeat(2000)}`);
    assert.match(long.got, /^HTTP\/1\.1 431 /);
    const tls = await exchange(server.port, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03');
    assert.equal(tls.got, '');
    assert.ok(tls.ms < 1000, `closed after ${tls.ms.toFixed(0)} ms, not after handshakeTimeout`);
    assert.equal(server.stats.unexpectedErrors, 0);
  } finally {
    await server.close();
  }
});
