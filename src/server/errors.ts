/** Errors of the server layer: subclasses of the shared typed errors, with stable tokens. */
import { H2Error, UsageError } from '../errors.js';

/**
 * `push()` could not promise a stream: the client disabled push (SETTINGS_ENABLE_PUSH = 0),
 * the peer's concurrent-stream limit for pushes is reached, or the connection is going away.
 * Check `handler.canPush` first to avoid it.
 */
export class PushRefusedError extends UsageError {}

/** A callback or body source of the application failed; its stream is reset with INTERNAL_ERROR. */
export class HandlerError extends H2Error {
  readonly streamId: number;
  override readonly cause: unknown;

  constructor(streamId: number, message: string, cause: unknown) {
    super(message, undefined, 'handler_failed');
    this.streamId = streamId;
    this.cause = cause;
  }
}

/** An HTTP/1.1 request head we cannot use (too large, malformed, or a bad HTTP2-Settings header). */
export class Http1RequestError extends H2Error {
  /** The HTTP/1.1 status we answer it with. */
  readonly status: number;

  constructor(message: string, token: string, status: number) {
    super(message, undefined, token);
    this.status = status;
  }
}
