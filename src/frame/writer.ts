/**
 * Frames to bytes, gathered: every frame a burst of work produces goes into one growing
 * buffer, and `take()` hands it all out for one `writev`. Large DATA payloads are referenced,
 * not copied (their header goes in the buffer, the payload follows as its own Buffer).
 *
 * The buffer is `FRAME_ARENA` of src/buffer-pool.ts, shared by every writer in the process (a
 * server has one writer per connection, and a private block each was most of what an idle
 * connection cost); its contract is in that file. Each frame is one run: `reserve` acquires,
 * the frame is written, `commit` commits. Committed bytes are never written again (the socket
 * may still hold them). A burst is written synchronously, so a writer's pending bytes normally
 * sit at the arena's end and grow there (a frame's run keeps them: `acquire(n, keep)`); if
 * another writer wrote in between, the pending bytes leave as a piece of their own. Between
 * takes a writer holds no buffer.
 */
// The global `Buffer` is an accessor on globalThis (a getter call at each use); the import is a plain binding.
import { Buffer } from 'node:buffer';
import { UsageError } from '../errors.js';
import {
  FRAME_HEADER_SIZE,
  FrameFlags,
  FrameType,
  MAX_ALLOWED_FRAME_SIZE,
  STREAM_ID_MASK,
  UNKNOWN_FRAME,
} from './constants.js';
import { writeFrameHeader } from './header.js';
import { type BufferArena, createArena, EMPTY_BUFFER, FRAME_ARENA } from '../buffer-pool.js';
import type { Frame, PrioritySpec } from './types.js';

/** DATA payloads at least this long are referenced rather than copied. */
const REFERENCE_THRESHOLD = 1024;
const EMPTY = EMPTY_BUFFER;

export class FrameWriter {
  private readonly arena: BufferArena;
  /** The slab our pending bytes are in (EMPTY between takes). */
  private block: Buffer = EMPTY;
  /** Start of the bytes of `block` not yet handed out. */
  private start = 0;
  /** End of the bytes written into `block`. */
  private end = 0;
  /** Finished pieces of output, in order (slices of old blocks and referenced payloads). */
  private pieces: Buffer[] = [];
  private piecesLength = 0;

  /**
   * `arena`: where frames are written, the process-wide FRAME_ARENA by default. Tests pass a small
   * one to cross slabs often (shared by several writers), or a slab size for a private arena.
   */
  constructor(arena: BufferArena | number = FRAME_ARENA) {
    this.arena = typeof arena === 'number' ? createArena('frames (private)', arena) : arena;
  }

  /** Bytes gathered and not yet taken. */
  pending(): number {
    return this.piecesLength + (this.end - this.start);
  }

  /** Everything gathered since the last call, in order (an empty array when nothing). */
  take(): Buffer[] {
    this.flushBlock();
    // Hold no arena between bursts: an idle connection pins no buffer.
    this.block = EMPTY;
    this.start = 0;
    this.end = 0;
    if (this.pieces.length === 0) return [];
    // Hand the array itself over and start a new one: no copy, and no `length = 0` (a call into V8's runtime).
    const out = this.pieces;
    this.pieces = [];
    this.piecesLength = 0;
    return out;
  }

  /** DATA. `padLength` (0..255), when given, sets PADDED; the caller keeps payload + padding within the peer's max frame size. */
  data(streamId: number, payload: Uint8Array, endStream: boolean, padLength?: number): void {
    const padded = padLength !== undefined;
    const pad = padded ? checkPad(padLength) : 0;
    const length = payload.length + (padded ? 1 + pad : 0);
    checkLength(length);
    const flags = (endStream ? FrameFlags.END_STREAM : 0) | (padded ? FrameFlags.PADDED : 0);
    if (payload.length < REFERENCE_THRESHOLD) {
      let at = this.reserve(FRAME_HEADER_SIZE + length);
      at = writeFrameHeader(this.block, at, length, FrameType.DATA, flags, streamId);
      if (padded) this.block[at++] = pad;
      this.block.set(payload, at);
      at += payload.length;
      if (pad > 0) this.block.fill(0, at, at + pad);
      this.commit(at + pad);
      return;
    }
    let at = this.reserve(FRAME_HEADER_SIZE + 1);
    at = writeFrameHeader(this.block, at, length, FrameType.DATA, flags, streamId);
    if (padded) this.block[at++] = pad;
    this.commit(at);
    this.flushBlock();
    const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    this.pieces.push(buf);
    this.piecesLength += buf.length;
    if (pad > 0) {
      at = this.reserve(pad);
      this.block.fill(0, at, at + pad);
      this.commit(at + pad);
    }
  }

  /**
   * A field block as HEADERS followed by as many CONTINUATION frames as `maxFrameSize` (the
   * peer's SETTINGS_MAX_FRAME_SIZE) requires; END_HEADERS on the last.
   */
  headers(
    streamId: number,
    block: Uint8Array,
    endStream: boolean,
    maxFrameSize: number,
    priority?: PrioritySpec | null,
    padLength?: number,
  ): void {
    const padded = padLength !== undefined;
    const pad = padded ? checkPad(padLength) : 0;
    const overhead = (priority ? 5 : 0) + (padded ? 1 + pad : 0);
    if (overhead >= maxFrameSize) throw new UsageError(`padding ${pad} does not fit a frame of ${maxFrameSize}`, 'frame_pad_too_large');
    const first = Math.min(block.length, maxFrameSize - overhead);
    const endHeaders = first === block.length;
    const flags =
      (endStream ? FrameFlags.END_STREAM : 0) |
      (endHeaders ? FrameFlags.END_HEADERS : 0) |
      (padded ? FrameFlags.PADDED : 0) |
      (priority ? FrameFlags.PRIORITY : 0);
    const length = first + overhead;
    let at = this.reserve(FRAME_HEADER_SIZE + length);
    at = writeFrameHeader(this.block, at, length, FrameType.HEADERS, flags, streamId);
    if (padded) this.block[at++] = pad;
    if (priority) at = writePriority(this.block, at, priority);
    this.block.set(first === block.length ? block : block.subarray(0, first), at);
    at += first;
    if (pad > 0) this.block.fill(0, at, at + pad);
    this.commit(at + pad);
    this.continuations(streamId, block, first, maxFrameSize);
  }

  /** PUSH_PROMISE (+ CONTINUATION) on `streamId` promising `promisedStreamId`. */
  pushPromise(streamId: number, promisedStreamId: number, block: Uint8Array, maxFrameSize: number, padLength?: number): void {
    const padded = padLength !== undefined;
    const pad = padded ? checkPad(padLength) : 0;
    const overhead = 4 + (padded ? 1 + pad : 0);
    if (overhead >= maxFrameSize) throw new UsageError(`padding ${pad} does not fit a frame of ${maxFrameSize}`, 'frame_pad_too_large');
    const first = Math.min(block.length, maxFrameSize - overhead);
    const endHeaders = first === block.length;
    const flags = (endHeaders ? FrameFlags.END_HEADERS : 0) | (padded ? FrameFlags.PADDED : 0);
    const length = first + overhead;
    let at = this.reserve(FRAME_HEADER_SIZE + length);
    at = writeFrameHeader(this.block, at, length, FrameType.PUSH_PROMISE, flags, streamId);
    if (padded) this.block[at++] = pad;
    this.block.writeUInt32BE((promisedStreamId & STREAM_ID_MASK) >>> 0, at);
    at += 4;
    this.block.set(first === block.length ? block : block.subarray(0, first), at);
    at += first;
    if (pad > 0) this.block.fill(0, at, at + pad);
    this.commit(at + pad);
    this.continuations(streamId, block, first, maxFrameSize);
  }

  /** A single CONTINUATION frame (the connection normally gets these from `headers`; tests send them alone). */
  continuation(streamId: number, fragment: Uint8Array, endHeaders: boolean): void {
    this.simple(FrameType.CONTINUATION, endHeaders ? FrameFlags.END_HEADERS : 0, streamId, fragment);
  }

  priority(streamId: number, priority: PrioritySpec): void {
    let at = this.reserve(FRAME_HEADER_SIZE + 5);
    at = writeFrameHeader(this.block, at, 5, FrameType.PRIORITY, 0, streamId);
    this.commit(writePriority(this.block, at, priority));
  }

  rstStream(streamId: number, errorCode: number): void {
    this.u32Frame(FrameType.RST_STREAM, streamId, errorCode >>> 0);
  }

  /** SETTINGS with `[id, value]` pairs, in order. */
  settings(pairs: Iterable<readonly [number, number]>): void {
    const list = Array.isArray(pairs) ? (pairs as ReadonlyArray<readonly [number, number]>) : Array.from(pairs);
    const length = list.length * 6;
    checkLength(length);
    let at = this.reserve(FRAME_HEADER_SIZE + length);
    at = writeFrameHeader(this.block, at, length, FrameType.SETTINGS, 0, 0);
    for (const [id, value] of list) {
      this.block.writeUInt16BE(id & 0xffff, at);
      this.block.writeUInt32BE(value >>> 0, at + 2);
      at += 6;
    }
    this.commit(at);
  }

  settingsAck(): void {
    const at = this.reserve(FRAME_HEADER_SIZE);
    this.commit(writeFrameHeader(this.block, at, 0, FrameType.SETTINGS, FrameFlags.ACK, 0));
  }

  /** PING with 8 octets of opaque data (shorter data is zero-filled, longer is a UsageError). */
  ping(data: Uint8Array, ack: boolean): void {
    if (data.length > 8) throw new UsageError(`PING data is ${data.length} octets, at most 8`, 'frame_ping_data_too_long');
    let at = this.reserve(FRAME_HEADER_SIZE + 8);
    at = writeFrameHeader(this.block, at, 8, FrameType.PING, ack ? FrameFlags.ACK : 0, 0);
    this.block.set(data, at);
    this.block.fill(0, at + data.length, at + 8);
    this.commit(at + 8);
  }

  goaway(lastStreamId: number, errorCode: number, debugData?: Uint8Array): void {
    const debugLength = debugData ? debugData.length : 0;
    const length = 8 + debugLength;
    checkLength(length);
    let at = this.reserve(FRAME_HEADER_SIZE + length);
    at = writeFrameHeader(this.block, at, length, FrameType.GOAWAY, 0, 0);
    this.block.writeUInt32BE((lastStreamId & STREAM_ID_MASK) >>> 0, at);
    this.block.writeUInt32BE(errorCode >>> 0, at + 4);
    if (debugData) this.block.set(debugData, at + 8);
    this.commit(at + length);
  }

  windowUpdate(streamId: number, increment: number): void {
    this.u32Frame(FrameType.WINDOW_UPDATE, streamId, (increment & STREAM_ID_MASK) >>> 0);
  }

  /** Any frame, verbatim: unknown types, extension frames, and deliberately malformed frames in tests. */
  raw(type: number, flags: number, streamId: number, payload: Uint8Array = EMPTY): void {
    this.simple(type, flags, streamId, payload);
  }

  /** Encodes a decoded frame back (round trips, proxies, test clients). Padding is not reproduced. */
  frame(frame: Frame, maxFrameSize = MAX_ALLOWED_FRAME_SIZE): void {
    switch (frame.type) {
      case FrameType.DATA:
        this.data(frame.streamId, frame.data, frame.endStream);
        break;
      case FrameType.HEADERS:
        if (frame.endHeaders) {
          this.headers(frame.streamId, frame.fragment, frame.endStream, maxFrameSize, frame.priority);
        } else {
          // A fragment of a block that goes on in CONTINUATIONs: keep END_HEADERS clear.
          const flags =
            (frame.endStream ? FrameFlags.END_STREAM : 0) | (frame.priority ? FrameFlags.PRIORITY : 0);
          const prefix = frame.priority ? Buffer.allocUnsafe(5) : EMPTY;
          if (frame.priority) writePriority(prefix, 0, frame.priority);
          this.simple(FrameType.HEADERS, flags, frame.streamId, Buffer.concat([prefix, frame.fragment]));
        }
        break;
      case FrameType.PRIORITY:
        this.priority(frame.streamId, frame.priority);
        break;
      case FrameType.RST_STREAM:
        this.rstStream(frame.streamId, frame.errorCode);
        break;
      case FrameType.SETTINGS:
        if (frame.ack) this.settingsAck();
        else this.settings(frame.settings);
        break;
      case FrameType.PUSH_PROMISE:
        if (frame.endHeaders) {
          this.pushPromise(frame.streamId, frame.promisedStreamId, frame.fragment, maxFrameSize);
        } else {
          const payload = Buffer.allocUnsafe(4 + frame.fragment.length);
          payload.writeUInt32BE(frame.promisedStreamId >>> 0, 0);
          payload.set(frame.fragment, 4);
          this.simple(FrameType.PUSH_PROMISE, 0, frame.streamId, payload);
        }
        break;
      case FrameType.PING:
        this.ping(frame.data, frame.ack);
        break;
      case FrameType.GOAWAY:
        this.goaway(frame.lastStreamId, frame.errorCode, frame.debugData);
        break;
      case FrameType.WINDOW_UPDATE:
        this.windowUpdate(frame.streamId, frame.increment);
        break;
      case FrameType.CONTINUATION:
        this.continuation(frame.streamId, frame.fragment, frame.endHeaders);
        break;
      case UNKNOWN_FRAME:
        this.raw(frame.frameType, frame.flags, frame.streamId, frame.payload);
        break;
    }
  }

  private continuations(streamId: number, block: Uint8Array, from: number, maxFrameSize: number): void {
    let offset = from;
    while (offset < block.length) {
      const size = Math.min(block.length - offset, maxFrameSize);
      const last = offset + size === block.length;
      this.simple(FrameType.CONTINUATION, last ? FrameFlags.END_HEADERS : 0, streamId, block.subarray(offset, offset + size));
      offset += size;
    }
  }

  private simple(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    checkLength(payload.length);
    let at = this.reserve(FRAME_HEADER_SIZE + payload.length);
    at = writeFrameHeader(this.block, at, payload.length, type, flags, streamId);
    this.block.set(payload, at);
    this.commit(at + payload.length);
  }

  private u32Frame(type: number, streamId: number, value: number): void {
    let at = this.reserve(FRAME_HEADER_SIZE + 4);
    at = writeFrameHeader(this.block, at, 4, type, 0, streamId);
    this.block.writeUInt32BE(value, at);
    this.commit(at + 4);
  }

  /** Opens a run of `n` bytes at `end` (which is the arena's end) and returns `end`. */
  private reserve(n: number): number {
    const arena = this.arena;
    let keep = 0;
    if (this.block === arena.buffer && this.end === arena.end) {
      // Our pending bytes end at the arena's end: the frame extends them. If the slab is full, a
      // small burst moves along to the new one (still one piece); a big one is cut here instead.
      keep = this.end - this.start;
      if (keep !== 0 && arena.room < n && keep + n > arena.slabSize >>> 1) {
        this.flushBlock();
        keep = 0;
      }
    } else {
      // Another writer wrote after our pending bytes (or the arena moved on): they leave as a
      // piece of their own, and we continue at the arena's end.
      this.flushBlock();
    }
    const at = arena.acquire(n, keep);
    this.block = arena.buffer;
    this.start = at - keep;
    this.end = at;
    return at;
  }

  /** The frame written by the caller ends at `at`: it is ours and the arena's new end. */
  private commit(at: number): void {
    this.end = at;
    this.arena.commit(at);
  }

  /** Moves the written, not yet handed out part of the block to `pieces` (a slice, no copy). */
  private flushBlock(): void {
    if (this.end > this.start) {
      this.pieces.push(this.block.subarray(this.start, this.end));
      this.piecesLength += this.end - this.start;
      this.start = this.end;
    }
  }
}


function writePriority(target: Buffer, at: number, priority: PrioritySpec): number {
  const word = (priority.dependency & STREAM_ID_MASK) | (priority.exclusive ? 0x80000000 : 0);
  target.writeUInt32BE(word >>> 0, at);
  target[at + 4] = priority.weight & 0xff;
  return at + 5;
}

function checkPad(padLength: number): number {
  if (!Number.isInteger(padLength) || padLength < 0 || padLength > 255) {
    throw new UsageError(`pad length ${padLength} out of range 0..255`, 'frame_bad_pad_length');
  }
  return padLength;
}

function checkLength(length: number): void {
  if (length > MAX_ALLOWED_FRAME_SIZE) {
    throw new UsageError(`frame payload of ${length} octets exceeds 2^24-1`, 'frame_too_large_to_encode');
  }
}
