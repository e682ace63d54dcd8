/**
 * The 9-octet frame header (RFC 9113 section 4.1), read and written in this one place:
 *
 *   Length (24), Type (8), Flags (8), Reserved (1), Stream Identifier (31)
 *
 * The reserved bit is ignored on read and written as 0.
 */
import { FRAME_HEADER_SIZE, STREAM_ID_MASK } from './constants.js';

/** Writes a frame header at `offset` of `target`; returns the offset just past it. */
export function writeFrameHeader(
  target: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): number {
  target[offset] = (length >>> 16) & 0xff;
  target[offset + 1] = (length >>> 8) & 0xff;
  target[offset + 2] = length & 0xff;
  target[offset + 3] = type & 0xff;
  target[offset + 4] = flags & 0xff;
  target[offset + 5] = (streamId >>> 24) & 0x7f;
  target[offset + 6] = (streamId >>> 16) & 0xff;
  target[offset + 7] = (streamId >>> 8) & 0xff;
  target[offset + 8] = streamId & 0xff;
  return offset + FRAME_HEADER_SIZE;
}

/** The Length field of the header at `offset`. */
export function readFrameLength(source: Buffer, offset: number): number {
  return (source[offset] << 16) | (source[offset + 1] << 8) | source[offset + 2];
}

/** The Stream Identifier of the header at `offset`, reserved bit masked off. */
export function readStreamId(source: Buffer, offset: number): number {
  return source.readUInt32BE(offset + 5) & STREAM_ID_MASK;
}

/** A decoded frame header (used by tests and tools; the decoder keeps these fields inline). */
export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

/** Reads the header at `offset` (the caller made sure 9 octets are there). */
export function readFrameHeader(source: Buffer, offset = 0): FrameHeader {
  return {
    length: readFrameLength(source, offset),
    type: source[offset + 3],
    flags: source[offset + 4],
    streamId: readStreamId(source, offset),
  };
}
