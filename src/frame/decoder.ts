/**
 * Bytes to frames, incrementally, over arbitrary TCP chunking.
 *
 * `push()` queues chunks; `next()` returns one validated frame or null when more bytes are
 * needed. A payload that lies within one chunk is returned as a slice of it (no copy); only a
 * payload that spans chunks is assembled, once, into its own buffer (allocated when its header
 * is read, filled as the chunks arrive: no repeated concatenation).
 *
 * Validation follows RFC 9113 sections 4 and 6: stream-id, length and padding rules of each
 * type. Connection errors are thrown as soon as they are known (often from the header alone,
 * before a too-large payload is buffered) and are sticky: the connection is over. The one
 * stream error of this layer (PRIORITY of length other than 5) is thrown after the frame is
 * consumed, so the caller can reset that stream and keep calling `next()`.
 *
 * Not the decoder's call: CONTINUATION sequencing (HeaderBlockJoiner, beside it); and, left to
 * the connection, the preface, WINDOW_UPDATE increment 0, SETTINGS values, stream states.
 */
// The global `Buffer` is an accessor on globalThis (a getter call at each use); the import is a plain binding.
import { Buffer } from 'node:buffer';
import { ConnectionError, ErrorCode, StreamError } from '../errors.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_SIZE,
  FrameFlags,
  FrameType,
  STREAM_ID_MASK,
  UNKNOWN_FRAME,
} from './constants.js';
import { readFrameLength, readStreamId } from './header.js';
import { EMPTY_BUFFER } from '../buffer-pool.js';
import type { Frame, PrioritySpec } from './types.js';

export interface FrameDecoderOptions {
  /** Our SETTINGS_MAX_FRAME_SIZE: longer frames are a FRAME_SIZE_ERROR. Default 16384. */
  maxFrameSize?: number;
  /**
   * Most entries a SETTINGS frame may hold; more is ENHANCE_YOUR_CALM (CVE-2020-11080: a 16 KiB
   * frame of 2730 entries), refused from the frame header, before the payload is buffered.
   * Default: no limit (the connection sets one).
   */
  maxSettingsEntries?: number;
}

/**
 * The payload of every zero-length frame (SETTINGS ACK, an empty DATA with END_STREAM...),
 * shared by every decoder and handed to callers: safe because it has no octets to change (see
 * EMPTY_BUFFER in src/buffer-pool.ts for why it is not frozen).
 */
const EMPTY = EMPTY_BUFFER;

function connectionError(code: number, token: string, message: string): ConnectionError {
  return new ConnectionError(message, code, token);
}

export class FrameDecoder {
  /** Our advertised SETTINGS_MAX_FRAME_SIZE (16384..2^24-1); the connection updates it once the peer ACKs. */
  maxFrameSize: number;
  readonly maxSettingsEntries: number;

  /** Chunks not yet fully consumed; the first is read from `offset`. */
  private readonly chunks: Buffer[] = [];
  private offset = 0;
  /** Bytes available across `chunks` (minus `offset`). */
  private available = 0;

  /** Header of the frame being read (valid when `haveHeader`). */
  private haveHeader = false;
  private length = 0;
  private type = 0;
  private flags = 0;
  private streamId = 0;
  /** A header split across chunks is gathered here. */
  private readonly headerScratch = Buffer.alloc(FRAME_HEADER_SIZE);

  /** The connection error already thrown; the decoder is dead after it. */
  private failure: ConnectionError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.maxSettingsEntries = options.maxSettingsEntries ?? Infinity;
  }

  /** Queues bytes received from the peer. The decoder keeps references to `chunk`: do not reuse it. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** Bytes queued but not yet returned as frames (a partial frame). */
  get buffered(): number {
    return this.available + (this.haveHeader ? FRAME_HEADER_SIZE : 0);
  }

  /**
   * The next complete frame, or null if more bytes are needed. Throws ConnectionError (sticky)
   * or StreamError (the frame was consumed; calling again continues with the next frame).
   */
  next(): Frame | null {
    if (this.failure !== null) throw this.failure;
    if (!this.haveHeader) {
      if (this.available < FRAME_HEADER_SIZE) return null;
      this.readHeader();
      try {
        this.checkHeader();
      } catch (error) {
        this.failure = error as ConnectionError;
        throw error;
      }
    }
    if (this.available < this.length) return null;
    const payload = this.readBytes(this.length);
    this.haveHeader = false;
    try {
      return this.parse(payload);
    } catch (error) {
      if (error instanceof ConnectionError) this.failure = error;
      throw error;
    }
  }

  private readHeader(): void {
    const first = this.chunks[0]!;
    let source: Buffer;
    let at: number;
    if (first.length - this.offset >= FRAME_HEADER_SIZE) {
      source = first;
      at = this.offset;
      this.advance(FRAME_HEADER_SIZE);
    } else {
      source = this.headerScratch;
      at = 0;
      this.copyInto(source, FRAME_HEADER_SIZE);
    }
    this.length = readFrameLength(source, at);
    this.type = source[at + 3];
    this.flags = source[at + 4];
    this.streamId = readStreamId(source, at);
    this.haveHeader = true;
  }

  /** Rules decidable from the header alone: all connection errors, thrown before the payload is buffered. */
  private checkHeader(): void {
    const { length, type, streamId } = this;
    if (length > this.maxFrameSize) {
      throw connectionError(
        ErrorCode.FRAME_SIZE_ERROR,
        'frame_too_large',
        `frame of type ${type} has length ${length}, larger than SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`,
      );
    }
    switch (type) {
      case FrameType.DATA:
      case FrameType.HEADERS:
      case FrameType.PRIORITY:
      case FrameType.RST_STREAM:
      case FrameType.PUSH_PROMISE:
      case FrameType.CONTINUATION:
        if (streamId === 0) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, `frame_${typeToken(type)}_zero_stream`, `${frameTypeName(type)} frame on stream 0`);
        }
        break;
      case FrameType.SETTINGS:
      case FrameType.PING:
      case FrameType.GOAWAY:
        if (streamId !== 0) {
          throw connectionError(
            ErrorCode.PROTOCOL_ERROR,
            `frame_${typeToken(type)}_nonzero_stream`,
            `${frameTypeName(type)} frame on stream ${streamId}, must be stream 0`,
          );
        }
        break;
    }
    switch (type) {
      case FrameType.RST_STREAM:
        if (length !== 4) throw badLength(type, length, 'be 4');
        break;
      case FrameType.WINDOW_UPDATE:
        if (length !== 4) throw badLength(type, length, 'be 4');
        break;
      case FrameType.PING:
        if (length !== 8) throw badLength(type, length, 'be 8');
        break;
      case FrameType.SETTINGS:
        if ((this.flags & FrameFlags.ACK) !== 0) {
          if (length !== 0) throw badLength(type, length, 'be 0 with ACK', 'frame_settings_ack_with_payload');
        } else if (length % 6 !== 0) {
          throw badLength(type, length, 'be a multiple of 6');
        } else if (length / 6 > this.maxSettingsEntries) {
          throw connectionError(
            ErrorCode.ENHANCE_YOUR_CALM,
            'settings_too_many_entries',
            `SETTINGS frame of ${length / 6} entries, more than ${this.maxSettingsEntries}`,
          );
        }
        break;
      case FrameType.GOAWAY:
        if (length < 8) throw badLength(type, length, 'be at least 8');
        break;
      case FrameType.PUSH_PROMISE: {
        const min = 4 + ((this.flags & FrameFlags.PADDED) !== 0 ? 1 : 0);
        if (length < min) throw badLength(type, length, `be at least ${min}`);
        break;
      }
      case FrameType.HEADERS: {
        const min =
          ((this.flags & FrameFlags.PADDED) !== 0 ? 1 : 0) + ((this.flags & FrameFlags.PRIORITY) !== 0 ? 5 : 0);
        if (length < min) throw badLength(type, length, `be at least ${min}`);
        break;
      }
      case FrameType.DATA:
        if ((this.flags & FrameFlags.PADDED) !== 0 && length < 1) throw badLength(type, length, 'be at least 1');
        break;
    }
  }

  /** Builds the frame from its (complete) payload; the header fields are in `this`. */
  private parse(payload: Buffer): Frame {
    const { type, flags, streamId, length } = this;
    switch (type) {
      case FrameType.DATA: {
        let data = payload;
        if ((flags & FrameFlags.PADDED) !== 0) data = unpad(payload, type, 1);
        return {
          type: FrameType.DATA,
          streamId,
          flags,
          endStream: (flags & FrameFlags.END_STREAM) !== 0,
          data,
          flowLength: length,
        };
      }
      case FrameType.HEADERS: {
        const padded = (flags & FrameFlags.PADDED) !== 0;
        let start = padded ? 1 : 0;
        let priority: PrioritySpec | null = null;
        if ((flags & FrameFlags.PRIORITY) !== 0) {
          priority = readPriority(payload, start);
          start += 5;
        }
        const fragment = padded ? unpad(payload, type, start) : payload.subarray(start);
        return {
          type: FrameType.HEADERS,
          streamId,
          flags,
          endStream: (flags & FrameFlags.END_STREAM) !== 0,
          endHeaders: (flags & FrameFlags.END_HEADERS) !== 0,
          priority,
          fragment,
        };
      }
      case FrameType.PRIORITY:
        if (length !== 5) {
          // The one stream error of this layer: the frame is consumed, the connection goes on.
          throw new StreamError(
            streamId,
            `PRIORITY frame length ${length} on stream ${streamId}, must be 5`,
            ErrorCode.FRAME_SIZE_ERROR,
            'frame_priority_bad_length',
          );
        }
        return { type: FrameType.PRIORITY, streamId, priority: readPriority(payload, 0) };
      case FrameType.RST_STREAM:
        return { type: FrameType.RST_STREAM, streamId, errorCode: payload.readUInt32BE(0) };
      case FrameType.SETTINGS: {
        const settings: Array<[number, number]> = [];
        for (let at = 0; at < length; at += 6) {
          settings.push([payload.readUInt16BE(at), payload.readUInt32BE(at + 2)]);
        }
        return { type: FrameType.SETTINGS, streamId, ack: (flags & FrameFlags.ACK) !== 0, settings };
      }
      case FrameType.PUSH_PROMISE: {
        const padded = (flags & FrameFlags.PADDED) !== 0;
        const at = padded ? 1 : 0;
        const promisedStreamId = payload.readUInt32BE(at) & STREAM_ID_MASK;
        const fragment = padded ? unpad(payload, type, at + 4) : payload.subarray(at + 4);
        return {
          type: FrameType.PUSH_PROMISE,
          streamId,
          endHeaders: (flags & FrameFlags.END_HEADERS) !== 0,
          promisedStreamId,
          fragment,
        };
      }
      case FrameType.PING:
        return { type: FrameType.PING, streamId, ack: (flags & FrameFlags.ACK) !== 0, data: payload };
      case FrameType.GOAWAY:
        return {
          type: FrameType.GOAWAY,
          streamId,
          lastStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
          errorCode: payload.readUInt32BE(4),
          debugData: payload.subarray(8),
        };
      case FrameType.WINDOW_UPDATE:
        return { type: FrameType.WINDOW_UPDATE, streamId, increment: payload.readUInt32BE(0) & STREAM_ID_MASK };
      case FrameType.CONTINUATION:
        return {
          type: FrameType.CONTINUATION,
          streamId,
          endHeaders: (flags & FrameFlags.END_HEADERS) !== 0,
          fragment: payload,
        };
      default:
        return { type: UNKNOWN_FRAME, frameType: type, streamId, flags, payload };
    }
  }

  /** `n` bytes (n <= available) as a slice when they lie in one chunk, else assembled into a new buffer. */
  private readBytes(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) {
      const slice = first.subarray(this.offset, this.offset + n);
      this.advance(n);
      return slice;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyInto(out, n);
    return out;
  }

  /** Copies `n` bytes (n <= available) into `target` from the chunk queue, consuming them. */
  private copyInto(target: Buffer, n: number): void {
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const take = Math.min(n - filled, chunk.length - this.offset);
      chunk.copy(target, filled, this.offset, this.offset + take);
      filled += take;
      this.advance(take);
    }
  }

  /** Consumes `n` bytes from the first chunk (n <= what it has left). */
  private advance(n: number): void {
    this.offset += n;
    this.available -= n;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

/** The content of a padded payload: from `start` up to the padding, whose length is payload[0]. */
function unpad(payload: Buffer, type: number, start: number): Buffer {
  const padLength = payload[0];
  // RFC 9113 6.1/6.2/6.6: padding as long as the payload or longer is a PROTOCOL_ERROR; the
  // Pad Length octet and any priority / promised-id fields must fit beside it.
  if (padLength > payload.length - start) {
    throw connectionError(
      ErrorCode.PROTOCOL_ERROR,
      `frame_${typeToken(type)}_pad_too_long`,
      `${frameTypeName(type)} frame Pad Length ${padLength} leaves no room in a payload of ${payload.length} octets`,
    );
  }
  return payload.subarray(start, payload.length - padLength);
}

function readPriority(payload: Buffer, at: number): PrioritySpec {
  const word = payload.readUInt32BE(at);
  return { dependency: word & STREAM_ID_MASK, weight: payload[at + 4], exclusive: word > STREAM_ID_MASK };
}

function badLength(type: number, length: number, rule: string, token?: string): ConnectionError {
  return connectionError(
    ErrorCode.FRAME_SIZE_ERROR,
    token ?? `frame_${typeToken(type)}_bad_length`,
    `${frameTypeName(type)} frame length ${length}, must ${rule}`,
  );
}

const TYPE_NAMES = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
];

/** The RFC name of a frame type code (`UNKNOWN_0x..` otherwise). */
export function frameTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `UNKNOWN_0x${type.toString(16)}`;
}

function typeToken(type: number): string {
  return frameTypeName(type).toLowerCase().replace('_', '');
}
