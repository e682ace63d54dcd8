/**
 * Decoded frames: a discriminated union on `type`. Payload fields (`data`, `fragment`,
 * `debugData`, `payload`, PING `data`) are Buffer slices of the bytes given to the decoder,
 * not copies, unless the frame arrived split over several chunks (then it was assembled once).
 * A slice stays valid as long as the caller does not overwrite the chunk it pushed.
 */
import type { FrameType, UNKNOWN_FRAME } from './constants.js';

/** Priority information of a HEADERS (PRIORITY flag) or PRIORITY frame (deprecated by RFC 9113 but still parsed). */
export interface PrioritySpec {
  /** The stream this one depends on (31 bits). */
  dependency: number;
  /** The wire weight, 0..255 (the RFC 7540 weight minus one). */
  weight: number;
  exclusive: boolean;
}

export interface DataFrame {
  type: typeof FrameType.DATA;
  streamId: number;
  flags: number;
  endStream: boolean;
  /** The application data, padding removed. */
  data: Buffer;
  /** The whole frame payload length, padding and Pad Length octet included: what flow control counts. */
  flowLength: number;
}

export interface HeadersFrame {
  type: typeof FrameType.HEADERS;
  streamId: number;
  flags: number;
  endStream: boolean;
  endHeaders: boolean;
  priority: PrioritySpec | null;
  /** The field block fragment, padding and priority fields removed. */
  fragment: Buffer;
}

export interface PriorityFrame {
  type: typeof FrameType.PRIORITY;
  streamId: number;
  priority: PrioritySpec;
}

export interface RstStreamFrame {
  type: typeof FrameType.RST_STREAM;
  streamId: number;
  /** Unsigned 32-bit; may be outside the ErrorCode registry (RFC 9113 section 7: treat unknown codes as INTERNAL_ERROR or ignore). */
  errorCode: number;
}

export interface SettingsFrame {
  type: typeof FrameType.SETTINGS;
  streamId: number;
  ack: boolean;
  /** `[identifier, value]` in wire order, unknown identifiers included (the receiver ignores them). Values unsigned 32-bit. */
  settings: Array<[number, number]>;
}

export interface PushPromiseFrame {
  type: typeof FrameType.PUSH_PROMISE;
  streamId: number;
  endHeaders: boolean;
  promisedStreamId: number;
  fragment: Buffer;
}

export interface PingFrame {
  type: typeof FrameType.PING;
  streamId: number;
  ack: boolean;
  /** Exactly 8 octets of opaque data. */
  data: Buffer;
}

export interface GoawayFrame {
  type: typeof FrameType.GOAWAY;
  streamId: number;
  lastStreamId: number;
  errorCode: number;
  debugData: Buffer;
}

export interface WindowUpdateFrame {
  type: typeof FrameType.WINDOW_UPDATE;
  streamId: number;
  /** 31-bit increment; 0 is returned as is (the connection decides between stream and connection error). */
  increment: number;
}

export interface ContinuationFrame {
  type: typeof FrameType.CONTINUATION;
  streamId: number;
  endHeaders: boolean;
  fragment: Buffer;
}

/** A frame of a type this implementation does not know; RFC 9113 section 4.1 says to ignore and discard it. */
export interface UnknownFrame {
  type: UNKNOWN_FRAME;
  /** The type code on the wire (0x0a..0xff). */
  frameType: number;
  streamId: number;
  flags: number;
  payload: Buffer;
}

export type Frame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoawayFrame
  | WindowUpdateFrame
  | ContinuationFrame
  | UnknownFrame;
