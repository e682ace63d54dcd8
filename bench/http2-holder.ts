/**
 * Memory bench client (a child of `bench/http2.ts`): opens many HTTP/2 connections to a server
 * and holds them, so the parent can read the server's RSS per idle connection and per active
 * stream. Raw frames over `net` (no HTTP/2 library): the client itself stays small and its
 * behaviour is the same against every peer.
 *
 *   node dist/bench/http2-holder.js PORT CONNECTIONS
 *
 * Each connection sends the preface, an empty SETTINGS, one `GET /small` (so the server has
 * served a request on it, as an idle browser connection has), ACKs the server's SETTINGS and is
 * ready when that response has ended. Prints `ready N`. Then, on stdin:
 * - `hold K`: K more requests on every connection for `/hold` (which the server never answers),
 *   followed by a PING; prints `held N` once every connection's PING came back (the server has
 *   read those requests, frames being processed in order).
 */
import net from 'node:net';
import { createInterface } from 'node:readline';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const TYPE_DATA = 0;
const TYPE_HEADERS = 1;
const TYPE_SETTINGS = 4;
const TYPE_PING = 6;
const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
/** Connections being opened at once: enough to be quick, few enough for the servers' accept backlogs. */
const OPEN_BATCH = 100;

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId, 5);
  payload.copy(out, 9);
  return out;
}

/** A GET request block from the static table: :method GET, :scheme http, literal :path and :authority. */
function requestBlock(path: string): Buffer {
  const authority = '127.0.0.1';
  return Buffer.concat([
    Buffer.from([0x82, 0x86, 0x04, path.length]),
    Buffer.from(path, 'latin1'),
    Buffer.from([0x01, authority.length]),
    Buffer.from(authority, 'latin1'),
  ]);
}

const SMALL_REQUEST = requestBlock('/small');
const HOLD_REQUEST = requestBlock('/hold');
const SETTINGS_ACK = frame(TYPE_SETTINGS, FLAG_ACK, 0, Buffer.alloc(0));
const PING = frame(TYPE_PING, 0, 0, Buffer.alloc(8));

class HeldConnection {
  private buffered = Buffer.alloc(0);
  private nextStreamId = 3;
  private onResponseEnd: (() => void) | null = null;
  private onPingAck: (() => void) | null = null;
  readonly socket: net.Socket;

  constructor(port: number, ready: () => void, failed: (err: Error) => void) {
    this.onResponseEnd = ready;
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', failed);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.write(Buffer.concat([PREFACE, frame(TYPE_SETTINGS, 0, 0, Buffer.alloc(0)), frame(TYPE_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, 1, SMALL_REQUEST)]));
  }

  hold(streams: number, done: () => void): void {
    const frames: Buffer[] = [];
    for (let i = 0; i < streams; i++) {
      frames.push(frame(TYPE_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, this.nextStreamId, HOLD_REQUEST));
      this.nextStreamId += 2;
    }
    frames.push(PING);
    this.onPingAck = done;
    this.socket.write(Buffer.concat(frames));
  }

  private onData(chunk: Buffer): void {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (data.length >= 9) {
      const length = data.readUIntBE(0, 3);
      if (data.length < 9 + length) break;
      const type = data[3]!;
      const flags = data[4]!;
      const streamId = data.readUInt32BE(5) & 0x7fffffff;
      if (type === TYPE_SETTINGS && (flags & FLAG_ACK) === 0) this.socket.write(SETTINGS_ACK);
      if (type === TYPE_PING && (flags & FLAG_ACK) !== 0 && this.onPingAck !== null) {
        const done = this.onPingAck;
        this.onPingAck = null;
        done();
      }
      if (streamId === 1 && (type === TYPE_DATA || type === TYPE_HEADERS) && (flags & FLAG_END_STREAM) !== 0 && this.onResponseEnd !== null) {
        const done = this.onResponseEnd;
        this.onResponseEnd = null;
        done();
      }
      data = data.subarray(9 + length);
    }
    this.buffered = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
  }
}

async function openAll(port: number, count: number): Promise<HeldConnection[]> {
  const all: HeldConnection[] = [];
  while (all.length < count) {
    const batch = Math.min(OPEN_BATCH, count - all.length);
    await Promise.all(
      Array.from({ length: batch }, () => new Promise<void>((resolve, reject) => all.push(new HeldConnection(port, resolve, reject)))),
    );
  }
  return all;
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const count = Number(process.argv[3]);
  if (!Number.isInteger(port) || !Number.isInteger(count) || count < 1) {
    process.stderr.write('usage: http2-holder.js PORT CONNECTIONS\n');
    process.exit(2);
  }
  const connections = await openAll(port, count);
  process.stdout.write(`ready ${connections.length}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const match = /^hold (\d+)$/.exec(line.trim());
    if (match === null) return;
    const streams = Number(match[1]);
    void Promise.all(connections.map((c) => new Promise<void>((resolve) => c.hold(streams, resolve)))).then(() =>
      process.stdout.write(`held ${connections.length * streams}\n`),
    );
  });
  lines.on('close', () => process.exit(0));
}

await main();
