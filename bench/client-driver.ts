/**
 * Bench child of `bench/client.ts`: one HTTP/2 client on ONE connection sends GETs with a fixed
 * number in flight, and reports its own throughput and CPU time.
 *
 *   node dist/bench/client-driver.js PEER URL REQUESTS IN_FLIGHT WARM_UP
 *
 * PEER: `h2kit` (HTTP2Client, `send()` with a BaseResponseHandler), `h2kit-request` (HTTP2Client,
 * the promise face `request()`), `node:http2` (`http2.connect` + `session.request()`, the core
 * stream API) or `undici` (`H2CClient`: a `Client` with `allowH2` and `useH2c`; `request()` + `body.arrayBuffer()`).
 *
 * The connection is opened and warmed up (WARM_UP requests, the same in flight, so the JIT has
 * seen the path) before the measured span: REQUESTS requests, timed with the monotonic clock,
 * the process's CPU time (user + system) read with process.cpuUsage() at both ends. Every
 * response must be 200 with the expected body length, or the run fails. Prints one line:
 * `result {"requests":...,"seconds":...,"userUs":...,"systemUs":...}`.
 */
import http2 from 'node:http2';
import { BaseResponseHandler, HTTP2Client } from '../src/client/index.js';

type Peer = 'h2kit' | 'h2kit-request' | 'node:http2' | 'undici';

/** Sends one request; calls `done(error, bodyLength)` once. What each peer must provide. */
type SendOne = (done: (error: Error | null, status: number, bodyLength: number) => void) => void;

interface Driver {
  send: SendOne;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- h2kit

/** The handler face: no promise per request, the body's chunks only counted. */
class CountingHandler extends BaseResponseHandler {
  private length = 0;
  private readonly done: (error: Error | null, status: number, bodyLength: number) => void;

  constructor(done: (error: Error | null, status: number, bodyLength: number) => void) {
    super();
    this.done = done;
  }

  override onData(data: Buffer): void {
    this.length += data.length;
  }

  override onClose(errorCode: number): void {
    if (this.error !== null || errorCode !== 0) this.done(this.error ?? new Error(`stream closed with ${errorCode}`), this.status, this.length);
    else this.done(null, this.status, this.length);
  }
}

async function h2kitDriver(url: string, path: string, face: 'send' | 'request'): Promise<Driver> {
  const client = new HTTP2Client(url);
  await client.connect();
  const options = { path };
  const send: SendOne =
    face === 'send'
      ? (done) => {
          client.send(options, new CountingHandler(done));
        }
      : (done) => {
          client.request(options).then(
            (r) => done(null, r.status, r.body.length),
            (err: Error) => done(err, 0, 0),
          );
        };
  return { send, close: () => client.close() };
}

// ---------------------------------------------------------------- node:http2

async function nodeDriver(url: string, path: string): Promise<Driver> {
  const session = http2.connect(url);
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  session.on('error', (err) => {
    throw err;
  });
  const headers = { ':path': path };
  const send: SendOne = (done) => {
    const req = session.request(headers);
    let status = 0;
    let length = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => done(null, status, length));
    req.on('error', (err) => done(err, status, length));
  };
  return { send, close: () => new Promise<void>((resolve) => session.close(() => resolve())) };
}

// ---------------------------------------------------------------- undici

async function undiciDriver(url: string, path: string, inFlight: number): Promise<Driver> {
  const { H2CClient } = await import('undici');
  // `allowH2` alone negotiates h2 through TLS ALPN only: on plain TCP undici speaks h2 (prior
  // knowledge) when `useH2c` is set too, which is what H2CClient is (a Client with both set).
  // `pipelining` bounds the requests undici dispatches at once, for h2 as well (default 1).
  const client = new H2CClient(url, { pipelining: inFlight, maxConcurrentStreams: 100 });
  const options = { path, method: 'GET' as const };
  const send: SendOne = (done) => {
    client.request(options).then(
      async (r) => {
        const body = await r.body.arrayBuffer();
        done(null, r.statusCode, body.byteLength);
      },
      (err: Error) => done(err, 0, 0),
    );
  };
  return { send, close: () => client.close() };
}

// ---------------------------------------------------------------- the run

/** Sends `count` requests keeping `inFlight` outstanding; resolves when all are answered. */
function burst(send: SendOne, count: number, inFlight: number, expectedLength: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let finished = 0;
    let failed = false;
    const onDone = (error: Error | null, status: number, bodyLength: number): void => {
      if (failed) return;
      if (error !== null || status !== 200 || bodyLength !== expectedLength) {
        failed = true;
        reject(error ?? new Error(`status ${status}, body ${bodyLength} bytes (expected 200, ${expectedLength} bytes)`));
        return;
      }
      finished++;
      if (finished === count) resolve();
      else if (started < count) {
        started++;
        send(onDone);
      }
    };
    const first = Math.min(inFlight, count);
    for (; started < first; ) {
      started++;
      send(onDone);
    }
  });
}

async function main(argv: string[]): Promise<void> {
  const [peer, url, requestsText, inFlightText, warmUpText, lengthText] = argv as [Peer, string, string, string, string, string | undefined];
  const requests = Number(requestsText);
  const inFlight = Number(inFlightText);
  const warmUp = Number(warmUpText);
  const expectedLength = Number(lengthText ?? 18);
  const target = new URL(url);
  const origin = target.origin;
  const path = target.pathname;
  let driver: Driver;
  if (peer === 'h2kit') driver = await h2kitDriver(origin, path, 'send');
  else if (peer === 'h2kit-request') driver = await h2kitDriver(origin, path, 'request');
  else if (peer === 'node:http2') driver = await nodeDriver(origin, path);
  else if (peer === 'undici') driver = await undiciDriver(origin, path, inFlight);
  else throw new Error(`unknown peer ${JSON.stringify(peer)}`);
  await burst(driver.send, warmUp, inFlight, expectedLength);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await burst(driver.send, requests, inFlight, expectedLength);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await driver.close();
  process.stdout.write(`result ${JSON.stringify({ requests, seconds, userUs: cpu.user, systemUs: cpu.system })}\n`);
}

await main(process.argv.slice(2));
