/**
 * Wire constants of the HTTP/2 framing layer (RFC 9113 sections 3.4, 4, 6 and 11).
 */

/** Frame type codes (RFC 9113 section 6). */
export const FrameType = Object.freeze({
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const);
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/**
 * The `type` of a decoded frame whose wire type code is not one of the ten above. A value no
 * wire type byte can take, so TypeScript can tell it apart from the known types in a `switch`
 * (the wire code itself is in `UnknownFrame.frameType`).
 */
export const UNKNOWN_FRAME = -1;
export type UNKNOWN_FRAME = typeof UNKNOWN_FRAME;

/** Frame flags (RFC 9113 section 6). Several share a bit; which one applies depends on the type. */
export const FrameFlags = Object.freeze({
  /** DATA, HEADERS */
  END_STREAM: 0x1,
  /** SETTINGS, PING */
  ACK: 0x1,
  /** HEADERS, PUSH_PROMISE, CONTINUATION */
  END_HEADERS: 0x4,
  /** DATA, HEADERS, PUSH_PROMISE */
  PADDED: 0x8,
  /** HEADERS */
  PRIORITY: 0x20,
} as const);

/** SETTINGS parameter identifiers (RFC 9113 section 6.5.2, RFC 8441 for ENABLE_CONNECT_PROTOCOL). */
export const SettingId = Object.freeze({
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
} as const);
export type SettingId = (typeof SettingId)[keyof typeof SettingId];

/**
 * The client connection preface (RFC 9113 section 3.4): `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
 * Shared by every connection and a Buffer (which cannot be frozen): read it, write it to a
 * socket, never write into it.
 */
export const CONNECTION_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Every frame starts with a 9-octet header (RFC 9113 section 4.1). */
export const FRAME_HEADER_SIZE = 9;

/** Initial SETTINGS_MAX_FRAME_SIZE, and the smallest value it may take (RFC 9113 section 6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
/** The largest SETTINGS_MAX_FRAME_SIZE allowed: 2^24-1 (the Length field is 24 bits). */
export const MAX_ALLOWED_FRAME_SIZE = 16777215;
/** Initial flow-control window of streams and of the connection (RFC 9113 section 6.9.2). */
export const DEFAULT_INITIAL_WINDOW_SIZE = 65535;
/** The largest flow-control window: 2^31-1 (RFC 9113 section 6.9.1). */
export const MAX_WINDOW_SIZE = 2147483647;
/** Stream identifiers are 31 bits; the high bit is reserved. */
export const STREAM_ID_MASK = 0x7fffffff;
