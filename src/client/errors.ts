/**
 * Errors of the client layer: subclasses of the shared typed errors, each with a stable token
 * and a `retryable` flag. `retryable` is true exactly when the server provably did not process
 * the request (RFC 9113 section 8.7: a stream above a GOAWAY's last stream id, a stream refused
 * with REFUSED_STREAM, or a request that never left this client), so the caller may send it
 * again, on a new connection, even when it is not idempotent.
 */
import { ConnectionError, ErrorCode, errorCodeName, H2Error, isProtocolError, StreamError } from '../errors.js';

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
 * error, GOAWAY with an error code), or the client could not connect at all.
 */
export class ClientConnectionError extends ConnectionError {
  readonly retryable: boolean;
  override readonly cause: unknown;

  constructor(message: string, code: number, token: string, retryable = false, cause?: unknown) {
    super(message, code, token);
    this.retryable = retryable;
    this.cause = cause;
  }

  /** A protocol error only when the connection ended by GOAWAY or by a connection error (its `cause`); a lost socket or a local close is not one. */
  override get protocolError(): boolean {
    return this.token === 'goaway_error' || isProtocolError(this.cause);
  }
}

/**
 * Connecting failed: TCP, the TLS handshake, or the server did not agree on `h2` by ALPN. Nothing
 * was sent, so no HTTP/2 error happened: not a protocol error, match it by class or `token`
 * (`connect_failed`, `connect_timeout`, ...). (Its `code` is CANCEL, what the requests it fails
 * are closed with; CONNECT_ERROR is the RFC 9113 code of a reset CONNECT tunnel, not of this.)
 */
export class ConnectError extends ClientConnectionError {
  constructor(message: string, token: string, cause?: unknown) {
    super(message, ErrorCode.CANCEL, token, true, cause);
  }

  override get protocolError(): boolean {
    return false;
  }
}

/** A request (or the connect) did not complete in time; the stream was reset with CANCEL. */
export class RequestTimeoutError extends H2Error {
  readonly retryable = false;
  readonly streamId: number;

  constructor(streamId: number, message: string, token: string) {
    super(message, ErrorCode.CANCEL, token);
    this.streamId = streamId;
  }
}

/** A response handler callback threw or rejected; its stream was reset with CANCEL. */
export class ResponseHandlerError extends H2Error {
  readonly retryable = false;
  readonly streamId: number;
  override readonly cause: unknown;

  constructor(streamId: number, message: string, cause: unknown) {
    super(message, ErrorCode.CANCEL, 'response_handler_failed');
    this.streamId = streamId;
    this.cause = cause;
  }
}

/** True when `err` says the request was not processed and may be sent again. */
export function isRetryable(err: unknown): boolean {
  return err instanceof H2Error && (err as { retryable?: unknown }).retryable === true;
}
