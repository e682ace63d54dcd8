/**
 * Errors of the client layer: subclasses of the shared typed errors, each with a stable token
 * and a `retryable` flag. `retryable` is true exactly when the server provably did not process
 * the request (RFC 9113 section 8.7: a stream above a GOAWAY's last stream id, a stream refused
 * with REFUSED_STREAM, or a request that never left this client), so the caller may send it
 * again, on a new connection, even when it is not idempotent.
 */
import { ErrorCode, errorCodeName, H2Error, StreamError } from '../errors.js';

/** The server did not process the request (REFUSED_STREAM, above GOAWAY's last stream id, or never sent): safe to retry. */
export class RequestRefusedError extends StreamError {
  readonly retryable = true;

  constructor(streamId: number, message: string, token: string) {
    super(streamId, message, ErrorCode.REFUSED_STREAM, token);
  }
}

/** The stream was reset: by the server (RST_STREAM), or by us because its response broke a rule. */
export class StreamResetError extends StreamError {
  readonly retryable = false;
  /** True when the server sent the RST_STREAM. */
  readonly byPeer: boolean;

  constructor(streamId: number, code: number, byPeer: boolean) {
    super(
      streamId,
      `stream ${streamId} was reset ${byPeer ? 'by the server' : 'by the client'} with ${errorCodeName(code)} (0x${code.toString(16)})`,
      code,
      byPeer ? 'stream_reset_by_peer' : 'stream_reset_locally',
    );
    this.byPeer = byPeer;
  }
}

/**
 * The connection failed or ended while the request was in flight (socket closed, protocol
 * error, GOAWAY with an error code), or the client could not connect at all. A protocol error
 * only when the connection ended by the server's GOAWAY with an error code or by a connection
 * error (then in `cause`): `code` is that GOAWAY's code. A lost socket, a local close or
 * destroy, a failed connect have no wire code (`code` undefined): match them by `token`.
 * (Not a `ConnectionError`: that class is the protocol error itself, always with a code.)
 */
export class ClientConnectionError extends H2Error {
  readonly retryable: boolean;
  override readonly cause: unknown;

  /** `code`: the GOAWAY code when the connection ended by a protocol error, else undefined. */
  constructor(message: string, code: number | undefined, token: string, retryable = false, cause?: unknown) {
    super(message, code, token);
    this.retryable = retryable;
    this.cause = cause;
  }
}

/**
 * Connecting failed: TCP, the TLS handshake, or the server did not agree on `h2` by ALPN. Nothing
 * was sent, so no HTTP/2 error happened: not a protocol error (no `code`), match it by class or
 * `token` (`connect_failed`, `connect_timeout`, ...). (The RFC's CONNECT_ERROR is the code of a
 * reset CONNECT tunnel, not of this.)
 */
export class ConnectError extends ClientConnectionError {
  declare readonly code: undefined;

  constructor(message: string, token: string, cause?: unknown) {
    super(message, undefined, token, true, cause);
  }
}

/** A request (or the connect) did not complete in time; the stream was reset with CANCEL. Not a protocol error (no `code`). */
export class RequestTimeoutError extends H2Error {
  declare readonly code: undefined;
  readonly retryable = false;
  readonly streamId: number;

  constructor(streamId: number, message: string, token: string) {
    super(message, undefined, token);
    this.streamId = streamId;
  }
}

/** A response handler callback threw or rejected; its stream was reset with CANCEL. Not a protocol error (no `code`). */
export class ResponseHandlerError extends H2Error {
  declare readonly code: undefined;
  readonly retryable = false;
  readonly streamId: number;
  override readonly cause: unknown;

  constructor(streamId: number, message: string, cause: unknown) {
    super(message, undefined, 'response_handler_failed');
    this.streamId = streamId;
    this.cause = cause;
  }
}

/** True when `err` says the request was not processed and may be sent again. */
export function isRetryable(err: unknown): boolean {
  return err instanceof H2Error && (err as { retryable?: unknown }).retryable === true;
}
