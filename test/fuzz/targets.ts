/**
 * Fuzz targets, as fast-check properties, shared by the short run in `npm test`
 * (`fuzz.test.ts`) and the long run (`npm run fuzz -- --runs 1000000`, `run.ts`):
 *
 * - `frameDecoder`: arbitrary bytes in arbitrary chunks into FrameDecoder;
 * - `hpack`: arbitrary bytes, and mutated valid blocks, into one HDInflater per input (state kept
 *   across blocks);
 * - `connectionBytes`: a server Connection fed arbitrary bytes (in arbitrary chunks) after a valid
 *   preface + SETTINGS;
 * - `connectionFrames`: a server Connection fed sequences of valid-but-random frames built with
 *   FrameWriter (requests, bodies, resets, windows, settings, pings, priorities, continuations,
 *   unknown types, on a few stream ids), with time moving on and `tick()` in between;
 * - `connectionMutated`: such a conversation with a few octets overwritten;
 * - `http1Head`, `h2cUpgrade`, `firstBytes`: what the server reads before HTTP/2 starts (the
 *   HTTP/1.1 head and HTTP2-Settings parsers, the first-bytes classifier; see ./http1-targets.ts);
 * - `liveServer`: such first bytes written to a live HTTP2Server over loopback (./live-server.ts).
 *
 * What must hold: only typed H2Error-derived errors surface from the decoders, nothing at all from
 * the Connection (it turns errors into RST_STREAM / GOAWAY), every input is bounded (size, frame
 * count, iterations), our own output always decodes as frames, the Connection's output stays within
 * a small multiple of its input (no amplification), and it never holds more streams than it allows.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Connection } from '../../src/connection/index.js';
import type { ConnectionEvent } from '../../src/connection/index.js';
import { H2Error, HpackDecodingError } from '../../src/errors.js';
import { CONNECTION_PREFACE, FrameDecoder, FrameType, FrameWriter } from '../../src/frame/index.js';
import { HDDeflater, HDInflater } from '../../src/hpack/index.js';
import { chunksAt, firstBytes, h2cUpgrade, http1Head } from './http1-targets.js';
import { closeLiveServer, liveServer } from './live-server.js';

export function assertTyped(err: unknown, where: string): void {
  if (!(err instanceof H2Error)) {
    throw new assert.AssertionError({ message: `${where} threw an untyped error: ${String(err)}\n${(err as Error)?.stack ?? ''}` });
  }
}

// ---- (a) the frame decoder --------------------------------------------------------------------

/** A valid frame header with a random type/flags/stream and an arbitrary payload: reaches deeper than pure noise. */
const frameLike = fc
  .record({
    type: fc.integer({ min: 0, max: 12 }),
    flags: fc.integer({ min: 0, max: 255 }),
    streamId: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constant(0x7fffffff), fc.constant(0x80000001)),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ type, flags, streamId, payload }) => {
    const b = Buffer.alloc(9 + payload.length);
    b.writeUIntBE(payload.length, 0, 3);
    b[3] = type;
    b[4] = flags;
    b.writeUInt32BE(streamId >>> 0, 5);
    b.set(payload, 9);
    return b;
  });

const decoderInput = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.array(frameLike, { maxLength: 12 }).map((frames) => new Uint8Array(Buffer.concat(frames))),
);

export const frameDecoder = fc.property(
  decoderInput,
  fc.array(fc.nat(), { maxLength: 8 }),
  fc.constantFrom(16384, 16385, 65535, 16777215),
  (data, cuts, maxFrameSize) => {
    const decoder = new FrameDecoder({ maxFrameSize });
    let frames = 0;
    for (const chunk of chunksAt(data, cuts)) {
      decoder.push(chunk);
      // Each frame is at least 9 octets: more than length/9 + 1 frames would mean a loop that does not advance.
      for (let guard = 0; guard <= data.length / 9 + 1; guard++) {
        let frame;
        try {
          frame = decoder.next();
        } catch (err) {
          assertTyped(err, 'FrameDecoder.next()');
          if (err instanceof H2Error && err.constructor.name !== 'StreamError') return; // a connection error ends the input
          continue; // a stream error consumed its frame: go on
        }
        if (frame === null) break;
        frames++;
      }
    }
    assert.ok(frames <= data.length / 9 + 1, 'no more frames than octets allow');
  },
);

// ---- (b) the HPACK decoder -------------------------------------------------------------------------

const fieldArb = fc.tuple(
  fc.oneof(fc.constantFrom(':path', ':method', 'cookie', 'content-type', 'x-a', 'authorization'), fc.string({ maxLength: 12 })),
  fc.string({ maxLength: 40 }),
);

/** Valid blocks from our encoder, then bytes flipped, cut or spliced in. */
const mutatedBlocks = fc
  .record({
    lists: fc.array(fc.array(fieldArb, { maxLength: 8 }), { minLength: 1, maxLength: 4 }),
    tableSize: fc.constantFrom(0, 64, 256, 4096),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    truncate: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ lists, tableSize, flips, truncate }) => {
    const deflater = new HDDeflater(tableSize);
    const blocks = lists.map((l) => Buffer.from(deflater.deflate(l)));
    for (const [at, value] of flips) {
      const b = blocks[at % blocks.length]!;
      if (b.length > 0) b[(at >>> 3) % b.length] = value;
    }
    if (truncate !== undefined) {
      const i = truncate % blocks.length;
      blocks[i] = blocks[i]!.subarray(0, truncate % (blocks[i]!.length + 1));
    }
    return blocks.map((b) => new Uint8Array(b));
  });

export const hpack = fc.property(
  fc.oneof(fc.array(fc.uint8Array({ maxLength: 256 }), { minLength: 1, maxLength: 4 }), mutatedBlocks),
  fc.constantFrom(64, 1024, 65536),
  fc.constantFrom(0, 256, 4096),
  (blocks, maxHeaderListSize, maxTableSize) => {
    const inflater = new HDInflater({ maxHeaderListSize, maxTableSize });
    let total = 0;
    for (const block of blocks) {
      try {
        inflater.decodeTo(block, (name, value) => {
          total += name.length + value.length + 32;
        });
      } catch (err) {
        assertTyped(err, 'HDInflater.decodeTo()');
        assert.ok(err instanceof HpackDecodingError, `an HPACK error is an HpackDecodingError, got ${(err as Error).constructor.name}`);
        return; // after a decoding error the connection is dead (COMPRESSION_ERROR): stop
      }
    }
    // Emitted fields are bounded by the limit (per block) — never a bomb.
    assert.ok(total <= blocks.length * (maxHeaderListSize + 32 + 2 * 65536), `decoded ${total} octets of fields`);
  },
);

// ---- (c) the Connection -------------------------------------------------------------------------------

const MAX_STREAMS = 8;

function newServer(): { conn: Connection; opening: Buffer } {
  const conn = new Connection({
    role: 'server',
    now: 0,
    settings: { maxConcurrentStreams: MAX_STREAMS, maxHeaderListSize: 4096 },
    controlFrameLimit: { burst: 200 },
    glitchLimit: { burst: 200 },
    resetLimit: { burst: 200 },
  });
  const w = new FrameWriter();
  w.settings([]);
  w.settingsAck();
  return { conn, opening: Buffer.concat([CONNECTION_PREFACE, ...w.take()]) };
}

/** Checks what one Connection did with `input` octets: events well-formed, output decodable and bounded. */
class ConnectionChecker {
  inputBytes = 0;
  outputBytes = 0;
  closed = false;
  private readonly out = new FrameDecoder({ maxFrameSize: 16777215 });

  events(events: readonly ConnectionEvent[], conn: Connection): void {
    for (const e of events) {
      if (e.type === 'closed') {
        assert.equal(this.closed, false, 'closed comes once');
        this.closed = true;
      } else {
        assert.equal(this.closed, false, `no ${e.type} event after closed (events of this call: ${events.map((x) => x.type).join(', ')}; input so far ${this.inputBytes} octets)`);
      }
      if (e.type === 'connectionError') assert.ok(e.error instanceof H2Error, 'connectionError carries an H2Error');
    }
    assert.ok(conn.activeStreams <= MAX_STREAMS + 1, `at most ${MAX_STREAMS} streams held (${conn.activeStreams})`);
  }

  output(conn: Connection): void {
    for (const b of conn.takeOutput()) {
      this.outputBytes += b.length;
      this.out.push(b);
    }
    // Our own output must be valid HTTP/2 framing.
    for (let f = this.out.next(); f !== null; f = this.out.next()) void f;
    // No amplification: a few frames of our own (SETTINGS, WINDOW_UPDATE, GOAWAY) plus at most ~2x the input.
    assert.ok(this.outputBytes <= 2 * this.inputBytes + 2048, `output ${this.outputBytes} octets for ${this.inputBytes} in`);
  }
}

function drive(conn: Connection, check: ConnectionChecker, chunk: Buffer, now: number): void {
  check.inputBytes += chunk.length;
  let events: readonly ConnectionEvent[];
  try {
    events = conn.receive(chunk, now);
  } catch (err) {
    throw new assert.AssertionError({ message: `Connection.receive() threw: ${String(err)}\n${(err as Error)?.stack ?? ''}` });
  }
  check.events(events, conn);
  check.output(conn);
}

export const connectionBytes = fc.property(
  fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.array(frameLike, { maxLength: 16 }).map((f) => new Uint8Array(Buffer.concat(f)))),
  fc.array(fc.nat(), { maxLength: 8 }),
  (data, cuts) => {
    const { conn, opening } = newServer();
    const check = new ConnectionChecker();
    drive(conn, check, opening, 0);
    let now = 0;
    for (const chunk of chunksAt(data, cuts)) drive(conn, check, chunk, (now += 3));
    check.events(conn.tick(now + 10000), conn);
    check.output(conn);
  },
);

/**
 * Stream ids are chosen relative to what the sequence opened so far, so most frames land on streams
 * that exist (deep states) and a few on stream 0, idle, even or out-of-range ids (error paths).
 */
class StreamPicker {
  nextId = 1;
  readonly opened: number[] = [];
  /** For HEADERS: mostly a new stream, sometimes one already used (trailers, or an error). */
  forHeaders(sel: number): number {
    if (sel < 28 || this.opened.length === 0) {
      const id = this.nextId;
      this.nextId += 2;
      this.opened.push(id);
      return id;
    }
    return this.other(sel);
  }
  /** For other frames: mostly an opened stream; sel 0..3 pick stream 0, an idle, an even or the largest id. */
  other(sel: number): number {
    switch (sel) {
      case 0:
        return 0;
      case 1:
        return this.nextId + 2;
      case 2:
        return 2;
      case 3:
        return 0x7fffffff;
      default:
        return this.opened.length === 0 ? 1 : this.opened[sel % this.opened.length]!;
    }
  }
}

const streamSel = fc.nat({ max: 39 });
const requestLists: Array<Array<[string, string]>> = [
  [[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', '/']],
  [[':method', 'POST'], [':scheme', 'https'], [':authority', 'a'], [':path', '/x'], ['content-length', '3']],
  [[':method', 'POST'], [':scheme', 'http'], [':authority', 'a'], [':path', '/up']],
  [[':method', 'CONNECT'], [':authority', 'a:443']],
  [[':method', 'GET'], [':path', '/']],
  [[':path', '/'], [':method', 'GET'], [':scheme', 'http'], ['te', 'trailers']],
  [['x-trailer', '1']],
  [[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', '/'], ['connection', 'close']],
  [[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', '/'], ['x-big', 'v'.repeat(5000)]],
];

type FrameOp = (w: FrameWriter, hpack: HDDeflater, ids: StreamPicker) => void;

const frameOp: fc.Arbitrary<FrameOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(streamSel, fc.nat({ max: requestLists.length - 1 }), fc.boolean(), fc.boolean())
      .map(([sel, which, endStream, split]): FrameOp => (w, h, ids) => {
        const id = ids.forHeaders(sel);
        const block = h.deflate(requestLists[which]!);
        if (split && block.length > 1) {
          w.raw(FrameType.HEADERS, endStream ? 1 : 0, id, block.subarray(0, 1));
          w.continuation(id, block.subarray(1), true);
        } else {
          w.headers(id, block, endStream, 16384);
        }
      }),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(streamSel, fc.uint8Array({ maxLength: 100 }), fc.boolean(), fc.option(fc.nat({ max: 20 }), { nil: undefined }))
      .map(([sel, data, end, pad]): FrameOp => (w, _h, ids) => w.data(ids.other(sel), data, end, pad)),
  },
  { weight: 2, arbitrary: fc.tuple(streamSel, fc.nat({ max: 13 })).map(([sel, code]): FrameOp => (w, _h, ids) => w.rstStream(ids.other(sel), code)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(streamSel, fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.constant(0x7fffffff)))
      .map(([sel, inc]): FrameOp => (w, _h, ids) => w.windowUpdate(ids.other(sel), inc)),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.oneof(fc.nat({ max: 70000 }), fc.constant(0), fc.constant(0x7fffffff), fc.constant(16777215))), { maxLength: 3 })
      .map((pairs): FrameOp => (w) => w.settings(pairs)),
  },
  { weight: 1, arbitrary: fc.constant<FrameOp>((w) => w.settingsAck()) },
  { weight: 1, arbitrary: fc.boolean().map((ack): FrameOp => (w) => w.ping(Buffer.alloc(8, 1), ack)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(streamSel, streamSel, fc.nat({ max: 255 }), fc.boolean())
      .map(([sel, dep, weight, exclusive]): FrameOp => (w, _h, ids) => w.priority(ids.other(sel), { dependency: ids.other(dep), weight, exclusive })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(streamSel, fc.boolean()).map(([sel, end]): FrameOp => (w, h, ids) => w.continuation(ids.other(sel), h.deflate([['x-c', 'c']]), end)),
  },
  { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 11 }), fc.nat({ max: 2 })).map(([last, code]): FrameOp => (w) => w.goaway(last, code)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 10, max: 255 }), fc.nat({ max: 255 }), streamSel, fc.uint8Array({ maxLength: 16 }))
      .map(([type, flags, sel, payload]): FrameOp => (w, _h, ids) => w.raw(type, flags, ids.other(sel), payload)),
  },
);

export const connectionFrames = fc.property(
  fc.array(fc.tuple(frameOp, fc.nat({ max: 2000 })), { maxLength: 40 }),
  fc.array(fc.nat(), { maxLength: 4 }),
  (ops, cuts) => {
    const { conn, opening } = newServer();
    const check = new ConnectionChecker();
    const hpack = new HDDeflater();
    const w = new FrameWriter();
    const ids = new StreamPicker();
    // Every sequence starts with an upload in progress on stream 1, so the frames after it meet a live stream.
    w.headers(ids.forHeaders(0), hpack.deflate(requestLists[2]!), false, 16384);
    drive(conn, check, Buffer.concat([opening, ...w.take()]), 0);
    let now = 0;
    for (const [op, dt] of ops) {
      op(w, hpack, ids);
      now += dt;
      const bytes = Buffer.concat(w.take());
      for (const chunk of chunksAt(bytes, cuts)) drive(conn, check, chunk, now);
      if (dt > 1500) {
        check.events(conn.tick(now), conn);
        check.output(conn);
      }
      if (check.closed) break;
    }
  },
);

/** A valid conversation (as connectionFrames builds it), then octets overwritten: realistic context, broken details. */
export const connectionMutated = fc.property(
  fc.array(frameOp, { minLength: 1, maxLength: 20 }),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
  fc.array(fc.nat(), { maxLength: 4 }),
  (ops, flips, cuts) => {
    const { conn, opening } = newServer();
    const check = new ConnectionChecker();
    const hpack = new HDDeflater();
    const w = new FrameWriter();
    const ids = new StreamPicker();
    w.headers(ids.forHeaders(0), hpack.deflate(requestLists[2]!), false, 16384);
    for (const op of ops) op(w, hpack, ids);
    const bytes = Buffer.concat(w.take());
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    drive(conn, check, opening, 0);
    let now = 0;
    for (const chunk of chunksAt(bytes, cuts)) drive(conn, check, chunk, (now += 7));
    check.events(conn.tick(now + 70000), conn);
    check.output(conn);
  },
);

export type TargetName =
  | 'frameDecoder'
  | 'hpack'
  | 'connectionBytes'
  | 'connectionFrames'
  | 'connectionMutated'
  | 'http1Head'
  | 'h2cUpgrade'
  | 'firstBytes'
  | 'liveServer';
/**
 * Every target by name. All are synchronous properties but `liveServer` (./live-server.ts), which
 * talks to a server over loopback: run them with `await fc.check(...)`, and call
 * `closeLiveServer()` afterwards so the process can exit.
 */
export const TARGETS = { frameDecoder, hpack, connectionBytes, connectionFrames, connectionMutated, http1Head, h2cUpgrade, firstBytes, liveServer } as unknown as Record<
  TargetName,
  fc.IRawProperty<unknown[], boolean>
>;
/** Inputs a target gets in `npm test` when FUZZ_RUNS does not say (the live server's inputs are sockets: fewer). */
export const SHORT_RUNS: Partial<Record<TargetName, number>> = { liveServer: 300 };
export { closeLiveServer };
