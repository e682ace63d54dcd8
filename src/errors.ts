/**
 * Typed errors for every layer of h2kit.
 *
 * Every error h2kit throws is an `H2Error` with a stable `token` (e.g. `hpack_index_out_of_range`,
 * `request_timeout`, `cli_usage`): the name of the exact case, kept from one version to the next,
 * the thing to switch on in code, logs and metrics (the part undici's `code` strings play). The
 * same token goes in GOAWAY debug data.
 *
 * Only protocol errors have an HTTP/2 error code. RFC 9113 section 5.4 has two kinds: a
 * connection error ends the whole connection with GOAWAY (`ConnectionError`, and
 * `HpackDecodingError`, always one), a stream error ends one stream with RST_STREAM
 * (`StreamError`). Their `code` is the code of that frame, sent or received; the connection core
 * turns them into frames in one place. Everything else — the API used wrongly (`UsageError`), a
 * connect that failed, a timeout, an application callback that threw, a bad command line — is
 * not an HTTP/2 error and has no wire code (its `code` is `undefined`): match it by class or
 * `token`. `isProtocolError(err)` tells the two kinds apart. Where such an error ends a stream,
 * the code the stream closes with (`onClose(errorCode)`, RST_STREAM) is chosen by whoever closes
 * it, not read from the error.
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
  /**
   * The RFC 9113 error code of the GOAWAY or RST_STREAM this error sends or came with, on a
   * protocol error only; `undefined` on every other error (the API used wrongly, a failed
   * connect, a timeout, an application callback that threw, a bad command line), which has no
   * wire code: match those by class or `token`. `isProtocolError(err)` is `code !== undefined`.
   */
  readonly code: number | undefined;
  /** A stable, machine-readable name for this particular case: what to match on. */
  readonly token: string;

  /** `code`: the wire code of a protocol error, `undefined` for any other error. */
  constructor(message: string, code: number | undefined, token: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.token = token;
  }

  /** True when this error has an HTTP/2 wire code: a connection or stream error (see `isProtocolError`). */
  get protocolError(): boolean {
    return this.code !== undefined;
  }
}

/** A malformed or hostile HPACK header block (RFC 7541); always a connection error (COMPRESSION_ERROR): a protocol error. */
export class HpackDecodingError extends H2Error {
  declare readonly code: number;

  constructor(message: string, token: string) {
    super(message, ErrorCode.COMPRESSION_ERROR, token);
  }
}

/** Something that cannot be encoded (e.g. a header list larger than the caller allows): not a protocol error, no wire code. */
export class HpackEncodingError extends H2Error {
  declare readonly code: undefined;

  constructor(message: string, token: string) {
    super(message, undefined, token);
  }
}

/** A protocol error that ends the whole connection with GOAWAY(code). */
export class ConnectionError extends H2Error {
  declare readonly code: number;

  constructor(message: string, code: number, token: string) {
    super(message, code, token);
  }
}

/** A connection error about flow control (FLOW_CONTROL_ERROR). */
export class FlowControlError extends ConnectionError {
  constructor(message: string, token: string) {
    super(message, ErrorCode.FLOW_CONTROL_ERROR, token);
  }
}

/** A protocol error that ends one stream with RST_STREAM(code); the connection goes on. */
export class StreamError extends H2Error {
  declare readonly code: number;
  readonly streamId: number;

  constructor(streamId: number, message: string, code: number, token: string) {
    super(message, code, token);
    this.streamId = streamId;
  }
}

/** The API was used in a way it does not allow (e.g. a second sendResponse, push when disabled): not a protocol error, no wire code. */
export class UsageError extends H2Error {
  declare readonly code: undefined;

  constructor(message: string, token: string) {
    super(message, undefined, token);
  }
}

/** An error with an HTTP/2 wire code: what `isProtocolError` narrows to. */
export type ProtocolError = H2Error & { readonly code: number };

/**
 * True for the errors that have an HTTP/2 error code: connection errors (GOAWAY) and stream
 * errors (RST_STREAM), sent or received (`ConnectionError`, `StreamError`, `HpackDecodingError`
 * and their subclasses; the client's `ClientConnectionError` when the connection ended by
 * GOAWAY or a connection error). Their `code` is that frame's code; other errors have none.
 */
export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof H2Error && err.code !== undefined;
}
