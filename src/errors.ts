/**
 * Typed errors for every layer of h2kit.
 *
 * RFC 9113 section 5.4 has two kinds of protocol error: a connection error ends the whole
 * connection with GOAWAY, a stream error ends one stream with RST_STREAM. Every error we
 * throw carries the RFC error code it maps to (`code`) and a stable token (`token`, e.g.
 * `hpack_index_out_of_range`) that names the exact rejection: the same token can be used in
 * GOAWAY debug data, logs and metrics. The connection core turns these into frames in one
 * place; users can `instanceof`-check the class or switch on `code`/`token`.
 */

/** HTTP/2 error codes, RFC 9113 section 7. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([name, value]) => [value, name]));

/** The RFC name of an error code, or `UNKNOWN_ERROR_0x..` for codes outside the registry. */
export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? `UNKNOWN_ERROR_0x${code.toString(16)}`;
}

/** Base class of every error h2kit throws. */
export class H2Error extends Error {
  /** The RFC 9113 error code this error maps to on the wire. */
  readonly code: number;
  /** A stable, machine-readable name for this particular rejection. */
  readonly token: string;

  constructor(message: string, code: number, token: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.token = token;
  }
}

/** A malformed or hostile HPACK header block (RFC 7541); always a connection error (COMPRESSION_ERROR). */
export class HpackDecodingError extends H2Error {
  constructor(message: string, token: string) {
    super(message, ErrorCode.COMPRESSION_ERROR, token);
  }
}

/** Something that cannot be encoded (e.g. a header list larger than the caller allows). */
export class HpackEncodingError extends H2Error {
  constructor(message: string, token: string) {
    super(message, ErrorCode.INTERNAL_ERROR, token);
  }
}

/** An error that ends the whole connection with GOAWAY(code). */
export class ConnectionError extends H2Error {}

/** A connection error about flow control (FLOW_CONTROL_ERROR). */
export class FlowControlError extends ConnectionError {
  constructor(message: string, token: string) {
    super(message, ErrorCode.FLOW_CONTROL_ERROR, token);
  }
}

/** An error that ends one stream with RST_STREAM(code); the connection goes on. */
export class StreamError extends H2Error {
  readonly streamId: number;

  constructor(streamId: number, message: string, code: number, token: string) {
    super(message, code, token);
    this.streamId = streamId;
  }
}

/** The API was used in a way it does not allow (e.g. a second sendResponse, push when disabled). */
export class UsageError extends H2Error {
  constructor(message: string, token: string) {
    super(message, ErrorCode.INTERNAL_ERROR, token);
  }
}
