/**
 * A raw-frame HTTP/2 test client for the conformance suite: it connects over a real loopback
 * socket, sends exactly the bytes a test asks for (valid or not), and reads back frames with a
 * timeout, so each test can assert the server's exact reaction.
 *
 *   const c = await TestClient.connect(server.port);
 *   await c.handshake();                          // preface + SETTINGS, exchange of ACKs
 *   c.request(1, { path: '/' });                  // HEADERS (END_STREAM, END_HEADERS)
 *   const res = await c.expectResponse(1);        // { status, headers, body }
 *   c.raw(FrameType.PING, 0, 0, Buffer.alloc(7));
 *   await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);   // GOAWAY(code), then close
 *
 * Every header block received goes through one HPACK decoder in wire order (as the RFC
 * requires), whichever frames a test waits for.
 */
import net from 'node:net';
import assert from 'node:assert/strict';
import { errorCodeName } from '../../../src/errors.js';
import { CONNECTION_PREFACE, FrameDecoder, FrameFlags, FrameType, FrameWriter, HeaderBlockJoiner, frameTypeName } from '../../../src/frame/index.js';
import type { Frame, PrioritySpec } from '../../../src/frame/index.js';
import { HDDeflater, HDInflater } from '../../../src/hpack/index.js';

export type HeaderList = Array<[string, string]>;

/** A frame as received, with the decoded header list when it completed a header block. */
export interface Received {
  frame: Frame;
  /** Set on the frame that completed a HEADERS / PUSH_PROMISE block (the HEADERS or its last CONTINUATION). */
  headers?: HeaderList;
  /** Stream the completed block belongs to, and whether its HEADERS had END_STREAM. */
  blockEndStream?: boolean;
}

export interface Response {
  status: string;
  headers: HeaderList;
  body: Buffer;
  trailers: HeaderList | null;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  scheme?: string;
  authority?: string;
  /** Extra fields after the pseudo-headers. */
  headers?: HeaderList;
  endStream?: boolean;
}

/** How a waiting expectation sees each frame: take it, ignore it, or fail the test. */
type Verdict = 'take' | 'skip' | string;

const DEFAULT_TIMEOUT = 3000;

/**
 * Encodes header fields as HPACK literals without indexing, names and values verbatim (no
 * Huffman, no table): lets a test send fields an encoder would refuse or normalise (uppercase
 * names, pseudo-headers in odd places), without touching the dynamic table.
 */
export function literalBlock(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: number[] = [];
  const writeString = (s: string): void => {
    const bytes = Buffer.from(s, 'latin1');
    writeInt(parts, 0x00, 7, bytes.length);
    for (const b of bytes) parts.push(b);
  };
  for (const [name, value] of headers) {
    parts.push(0x00);
    writeString(name);
    writeString(value);
  }
  return Buffer.from(parts);
}

function writeInt(out: number[], flags: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

export class TestClient {
  readonly socket: net.Socket;
  readonly writer = new FrameWriter();
  readonly decoder = new FrameDecoder({ maxFrameSize: 16777215 });
  readonly deflater = new HDDeflater();
  readonly inflater = new HDInflater();
  /** Every frame received, in order (for failure messages). */
  readonly log: Received[] = [];
  /** Frames not yet consumed by an expectation. */
  private readonly queue: Received[] = [];
  private wake: (() => void) | null = null;
  closed = false;
  /** The server's bytes did not parse as frames / its header block did not decode: a server bug. */
  readError: unknown = null;
  /**
   * Joins HEADERS/PUSH_PROMISE + CONTINUATION: a server that interleaves another frame with a
   * header block, or sends a stray CONTINUATION, shows up as `readError`.
   */
  private readonly joiner = new HeaderBlockJoiner();
  private blockEndStream = false;
  private pingCounter = 0;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<TestClient> {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  // ---- sending -------------------------------------------------------------------------

  /** Writes whatever frames were gathered in `writer` (tests may use the writer directly, then call flush). */
  flush(): this {
    const out = this.writer.take();
    if (out.length > 0 && !this.socket.destroyed) this.socket.write(Buffer.concat(out));
    return this;
  }

  /** Raw bytes, as is. */
  bytes(data: Buffer): this {
    this.flush();
    if (!this.socket.destroyed) this.socket.write(data);
    return this;
  }

  preface(): this {
    return this.bytes(CONNECTION_PREFACE);
  }

  settings(pairs: Array<[number, number]> = []): this {
    this.writer.settings(pairs);
    return this.flush();
  }

  settingsAck(): this {
    this.writer.settingsAck();
    return this.flush();
  }

  /**
   * The connection start of RFC 9113 section 3.4: preface and our SETTINGS; waits for the
   * server's SETTINGS (ACKs it) and the ACK of ours. Frames other than SETTINGS and
   * WINDOW_UPDATE on stream 0 that arrive meanwhile are a failure.
   */
  async handshake(settings: Array<[number, number]> = []): Promise<void> {
    this.preface();
    this.settings(settings);
    let gotSettings = false;
    let gotAck = false;
    while (!gotSettings || !gotAck) {
      const r = await this.waitFor('the server SETTINGS and SETTINGS ACK', (f) => {
        if (f.type === FrameType.SETTINGS) return 'take';
        if (f.type === FrameType.WINDOW_UPDATE && f.streamId === 0) return 'skip';
        return 'unexpected during the handshake';
      });
      const f = r.frame;
      assert.ok(f.type === FrameType.SETTINGS);
      if (f.ack) gotAck = true;
      else {
        assert.equal(gotSettings, false, 'the server SETTINGS come once at the start');
        gotSettings = true;
        this.settingsAck();
      }
    }
  }

  /** HPACK-encodes `headers` with our (stateful) encoder. */
  encode(headers: HeaderList): Buffer {
    return this.deflater.deflate(headers);
  }

  /** A HEADERS frame. `block` is a header list (HPACK-encoded here) or a ready field block. */
  headers(
    streamId: number,
    block: HeaderList | Buffer,
    options: { endStream?: boolean; endHeaders?: boolean; priority?: PrioritySpec; padLength?: number } = {},
  ): this {
    const fragment = Buffer.isBuffer(block) ? block : this.encode(block);
    const endHeaders = options.endHeaders ?? true;
    if (endHeaders) {
      this.writer.headers(streamId, fragment, options.endStream ?? false, 16777215, options.priority ?? null, options.padLength);
    } else {
      let flags = options.endStream ? FrameFlags.END_STREAM : 0;
      const parts: Buffer[] = [];
      if (options.padLength !== undefined) {
        flags |= FrameFlags.PADDED;
        parts.push(Buffer.from([options.padLength]));
      }
      if (options.priority) {
        flags |= FrameFlags.PRIORITY;
        const p = Buffer.alloc(5);
        p.writeUInt32BE(((options.priority.dependency & 0x7fffffff) | (options.priority.exclusive ? 0x80000000 : 0)) >>> 0);
        p[4] = options.priority.weight;
        parts.push(p);
      }
      parts.push(fragment);
      if (options.padLength !== undefined) parts.push(Buffer.alloc(options.padLength));
      this.writer.raw(FrameType.HEADERS, flags, streamId, Buffer.concat(parts));
    }
    return this.flush();
  }

  /** The header list of a request: pseudo-headers (method, scheme, authority, path), then `extra`. */
  static requestHeaders(options: RequestOptions = {}): HeaderList {
    return [
      [':method', options.method ?? 'GET'],
      [':scheme', options.scheme ?? 'http'],
      [':authority', options.authority ?? 'localhost'],
      [':path', options.path ?? '/'],
      ...(options.headers ?? []),
    ];
  }

  /** A complete request header block on `streamId` (END_STREAM unless `endStream: false`). */
  request(streamId: number, options: RequestOptions = {}): this {
    return this.headers(streamId, TestClient.requestHeaders(options), { endStream: options.endStream ?? true });
  }

  continuation(streamId: number, block: HeaderList | Buffer, endHeaders = true): this {
    this.writer.continuation(streamId, Buffer.isBuffer(block) ? block : this.encode(block), endHeaders);
    return this.flush();
  }

  data(streamId: number, payload: Buffer | string, endStream = false, padLength?: number): this {
    this.writer.data(streamId, typeof payload === 'string' ? Buffer.from(payload) : payload, endStream, padLength);
    return this.flush();
  }

  priority(streamId: number, priority: PrioritySpec = { dependency: 0, weight: 15, exclusive: false }): this {
    this.writer.priority(streamId, priority);
    return this.flush();
  }

  rstStream(streamId: number, code: number): this {
    this.writer.rstStream(streamId, code);
    return this.flush();
  }

  ping(data: Buffer = Buffer.alloc(8), ack = false): this {
    this.writer.ping(data, ack);
    return this.flush();
  }

  goaway(lastStreamId: number, code: number, debug?: Buffer): this {
    this.writer.goaway(lastStreamId, code, debug);
    return this.flush();
  }

  windowUpdate(streamId: number, increment: number): this {
    this.writer.windowUpdate(streamId, increment);
    return this.flush();
  }

  /** Any frame, verbatim (malformed ones included). */
  raw(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): this {
    this.writer.raw(type, flags, streamId, payload);
    return this.flush();
  }

  close(): void {
    this.socket.destroy();
  }

  // ---- receiving -----------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.readError !== null) return;
    try {
      this.decoder.push(chunk);
      for (let frame = this.decoder.next(); frame !== null; frame = this.decoder.next()) this.onFrame(frame);
    } catch (error) {
      this.readError = error;
    }
    this.notify();
  }

  private onFrame(frame: Frame): void {
    const received: Received = { frame };
    if (frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE) {
      this.blockEndStream = frame.type === FrameType.HEADERS && frame.endStream;
    }
    const block = this.joiner.push(frame);
    if (block !== null) this.finishBlock(received, block);
    this.log.push(received);
    this.queue.push(received);
  }

  private finishBlock(received: Received, block: Buffer): void {
    const headers: HeaderList = [];
    this.inflater.decodeTo(block, (name, value) => {
      headers.push([name, value]);
    });
    received.headers = headers;
    received.blockEndStream = this.blockEndStream;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
  }

  /** What was received so far, one line per frame (for failure messages). */
  describeLog(): string {
    if (this.log.length === 0) return '  (no frames received)';
    return this.log.map((r) => '  ' + describe(r)).join('\n');
  }

  /**
   * Waits for the first queued frame `judge` takes; skips the ones it skips; fails (with the
   * whole log) on a verdict string, on timeout, or if the connection closes first.
   */
  async waitFor(what: string, judge: (frame: Frame, received: Received) => Verdict, timeout = DEFAULT_TIMEOUT): Promise<Received> {
    const deadline = Date.now() + timeout;
    for (;;) {
      while (this.queue.length > 0) {
        const received = this.queue.shift()!;
        const verdict = judge(received.frame, received);
        if (verdict === 'take') return received;
        if (verdict !== 'skip') {
          assert.fail(`waiting for ${what}: ${verdict}: got ${describe(received)}\nreceived:\n${this.describeLog()}`);
        }
      }
      if (this.readError !== null) {
        assert.fail(`waiting for ${what}: the server's bytes did not decode: ${String(this.readError)}\nreceived:\n${this.describeLog()}`);
      }
      if (this.closed) assert.fail(`waiting for ${what}: the connection closed\nreceived:\n${this.describeLog()}`);
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`waiting for ${what}: timed out after ${timeout} ms\nreceived:\n${this.describeLog()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next frame of `type` (on `streamId` if given); GOAWAY and RST_STREAM met on the way fail, other frames are skipped. */
  async expectFrame(type: number, streamId?: number, timeout?: number): Promise<Received> {
    const what = `${frameTypeName(type)}${streamId === undefined ? '' : ` on stream ${streamId}`}`;
    return this.waitFor(
      what,
      (f) => {
        if (f.type === type && (streamId === undefined || f.streamId === streamId)) return 'take';
        if (f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM) return 'unexpected error frame';
        return 'skip';
      },
      timeout,
    );
  }

  /** A GOAWAY with `code` (a connection error). A RST_STREAM before it fails: that is a stream error instead. */
  async expectGoaway(code: number, lastStreamId?: number): Promise<Received> {
    const r = await this.waitFor(`GOAWAY(${errorCodeName(code)})`, (f) => {
      if (f.type === FrameType.GOAWAY) return 'take';
      if (f.type === FrameType.RST_STREAM) return 'a stream error where a connection error was due';
      return 'skip';
    });
    const f = r.frame;
    assert.ok(f.type === FrameType.GOAWAY);
    assert.equal(errorCodeName(f.errorCode), errorCodeName(code), `GOAWAY error code (debug: ${f.debugData.toString()})`);
    if (lastStreamId !== undefined) assert.equal(f.lastStreamId, lastStreamId, 'GOAWAY last stream id');
    return r;
  }

  /** The server ends the connection: the socket closes (frames before it are ignored). */
  async expectClosed(timeout = DEFAULT_TIMEOUT): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.closed) {
      this.queue.length = 0;
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`the server did not close the connection within ${timeout} ms\nreceived:\n${this.describeLog()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** A connection error (RFC 9113 section 5.4.1): GOAWAY with `code`, then the server closes the TCP connection. */
  async expectConnectionError(code: number): Promise<void> {
    await this.expectGoaway(code);
    await this.expectClosed();
  }

  /** A stream error (section 5.4.2): RST_STREAM(code) on `streamId`. A GOAWAY, or a response on that stream, before it fails. */
  async expectRstStream(streamId: number, code: number): Promise<Received> {
    const r = await this.waitFor(`RST_STREAM(${errorCodeName(code)}) on stream ${streamId}`, (f) => {
      if (f.type === FrameType.RST_STREAM && f.streamId === streamId) return 'take';
      if (f.type === FrameType.GOAWAY) return 'a connection error where a stream error was due';
      if ((f.type === FrameType.HEADERS || f.type === FrameType.DATA) && f.streamId === streamId) return 'the stream was answered instead of reset';
      return 'skip';
    });
    assert.ok(r.frame.type === FrameType.RST_STREAM);
    assert.equal(errorCodeName(r.frame.errorCode), errorCodeName(code), 'RST_STREAM error code');
    return r;
  }

  /** The complete response on `streamId`: HEADERS (+ DATA) until END_STREAM, trailers included. */
  async expectResponse(streamId: number, timeout?: number): Promise<Response> {
    let response: Response | null = null;
    const body: Buffer[] = [];
    for (;;) {
      const r = await this.waitFor(
        `the response on stream ${streamId}`,
        (f) => {
          if (f.type === FrameType.GOAWAY) return 'connection error instead of a response';
          if (f.type === FrameType.RST_STREAM && f.streamId === streamId) return 'stream reset instead of a response';
          if (f.streamId !== streamId) return 'skip';
          if (f.type === FrameType.DATA) return response ? 'take' : 'DATA before HEADERS';
          if (f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION) return 'take';
          return 'skip';
        },
        timeout,
      );
      const f = r.frame;
      if (f.type === FrameType.DATA) {
        body.push(Buffer.from(f.data));
        // Keep the server's windows open so large responses can flow.
        if (f.flowLength > 0) {
          this.windowUpdate(0, f.flowLength);
          if (!f.endStream) this.windowUpdate(streamId, f.flowLength);
        }
        if (f.endStream) break;
        continue;
      }
      if (!r.headers) continue; // HEADERS without END_HEADERS: the block completes on a CONTINUATION
      if (!response) {
        const status = r.headers.find(([n]) => n === ':status')?.[1];
        assert.ok(status !== undefined, 'response has :status');
        if (status.startsWith('1')) continue; // informational
        response = { status, headers: r.headers, body: Buffer.alloc(0), trailers: null };
      } else {
        response.trailers = r.headers;
      }
      if (r.blockEndStream) break;
    }
    assert.ok(response);
    response.body = Buffer.concat(body);
    return response;
  }

  /** Waits until the stream ends (a DATA or HEADERS with END_STREAM on it), skipping other frames. */
  async expectEndStream(streamId: number): Promise<Received> {
    return this.waitFor(`END_STREAM on stream ${streamId}`, (f, r) => {
      if (f.type === FrameType.GOAWAY) return 'connection error instead';
      if (f.streamId !== streamId) return 'skip';
      if (f.type === FrameType.RST_STREAM) return 'stream reset instead';
      if (f.type === FrameType.DATA && f.endStream) return 'take';
      if (r.headers && r.blockEndStream) return 'take';
      return 'skip';
    });
  }

  /**
   * The connection is still usable: a PING is answered (with ACK and the same payload) and
   * nothing else alarming came first (no GOAWAY; no RST_STREAM or response on `silentStreams`).
   */
  async expectAlive(silentStreams: number[] = []): Promise<void> {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(0xa11ce000 + ++this.pingCounter, 4);
    this.ping(payload);
    await this.waitFor('the ACK of our PING (connection alive)', (f) => {
      if (f.type === FrameType.PING && f.ack && f.data.equals(payload)) return 'take';
      if (f.type === FrameType.GOAWAY) return 'the connection was ended';
      if (f.type === FrameType.RST_STREAM) return 'a stream was reset';
      if (silentStreams.includes(f.streamId)) return `unexpected frame on stream ${f.streamId}`;
      return 'skip';
    });
  }
}

/** One received frame, in words. */
export function describe(r: Received): string {
  const f = r.frame;
  let text = `${frameTypeName(f.type === -1 ? f.frameType : f.type)} stream=${f.streamId}`;
  switch (f.type) {
    case FrameType.GOAWAY:
      text += ` last=${f.lastStreamId} code=${errorCodeName(f.errorCode)} debug=${JSON.stringify(f.debugData.toString())}`;
      break;
    case FrameType.RST_STREAM:
      text += ` code=${errorCodeName(f.errorCode)}`;
      break;
    case FrameType.SETTINGS:
      text += f.ack ? ' ACK' : ` ${JSON.stringify(f.settings)}`;
      break;
    case FrameType.WINDOW_UPDATE:
      text += ` +${f.increment}`;
      break;
    case FrameType.DATA:
      text += ` len=${f.data.length}${f.endStream ? ' END_STREAM' : ''}`;
      break;
    case FrameType.HEADERS:
      text += `${f.endStream ? ' END_STREAM' : ''}${f.endHeaders ? ' END_HEADERS' : ''}`;
      break;
    case FrameType.PING:
      text += `${f.ack ? ' ACK' : ''} ${f.data.toString('hex')}`;
      break;
    default:
      break;
  }
  if (r.headers) text += ` ${JSON.stringify(r.headers)}`;
  return text;
}
