/**
 * The promise faces of the client, built on the handler API (one code path for all three):
 * CollectingHandler gathers a whole response into one Buffer; StreamingHandler resolves at
 * the response head and hands the body out as a Readable whose consumer sets the pace
 * (onData returns a promise while the Readable is full, which holds back the server).
 */
import { Readable } from 'node:stream';
import type { HeaderList } from '../connection/index.js';
import { ErrorCode, type H2Error } from '../errors.js';
import { fieldValue } from '../io/header-input.js';
import { StreamResetError } from './errors.js';
import { BaseResponseHandler, type PushPromise } from './response-handler.js';

/** Decides on a push promise for `request()`/`stream()`: return false to refuse it (RST_STREAM CANCEL). */
export type PushCallback = (push: PushPromise) => boolean | void;

/** A whole response. */
export interface ClientResponse {
  streamId: number;
  status: number;
  /** Response header fields in order (`:status` removed). */
  headers: HeaderList;
  /** The value of a response header field (`name` in any case; several joined with ", "), or undefined. */
  getHeader(name: string): string | undefined;
  body: Buffer;
  /** Trailer fields, or null when the response had none. */
  trailers: HeaderList | null;
  /** Pushes accepted while this request was in flight, each with its own response. */
  pushes: PushedResponse[];
}

/** An accepted push: the promise the server made, and the pushed response. */
export interface PushedResponse extends PushPromise {
  response: Promise<ClientResponse>;
}

/** A response whose body is still arriving. */
export interface StreamingResponse {
  streamId: number;
  status: number;
  headers: HeaderList;
  /** The value of a response header field (`name` in any case; several joined with ", "), or undefined. */
  getHeader(name: string): string | undefined;
  /** The body: read it (or iterate it with `for await`); unread data holds back the server. */
  body: Readable;
  /** Resolves with the trailers (or null) once the body has ended; rejects if the stream fails. */
  trailers: Promise<HeaderList | null>;
  pushes: PushedResponse[];
}

/** Both response kinds: their fields, and `getHeader` as a prototype method (no closure per response). */
class Response<B, T> {
  constructor(
    readonly streamId: number,
    readonly status: number,
    readonly headers: HeaderList,
    readonly body: B,
    readonly trailers: T,
    readonly pushes: PushedResponse[],
  ) {}

  getHeader(name: string): string | undefined {
    return fieldValue(this.headers, name);
  }
}

function failureOf(handler: BaseResponseHandler, errorCode: number): H2Error {
  return handler.error ?? new StreamResetError(handler.streamId, errorCode === ErrorCode.NO_ERROR ? ErrorCode.CANCEL : errorCode, true);
}

function acceptPush(onPush: PushCallback | null, push: PushPromise, pushes: PushedResponse[]): BaseResponseHandler | null {
  if (onPush === null || onPush(push) === false) return null;
  const handler = new CollectingHandler(onPush);
  // Nobody may ever look at a pushed response: its failure must not be an unhandled rejection.
  handler.response.catch(() => {});
  pushes.push({ ...push, response: handler.response });
  return handler;
}

/** Collects a response into one Buffer; `response` settles when the stream closes. */
export class CollectingHandler extends BaseResponseHandler {
  readonly response: Promise<ClientResponse>;
  private resolve!: (r: ClientResponse) => void;
  private reject!: (err: unknown) => void;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private complete = false;
  private readonly onPush: PushCallback | null;
  private readonly pushes: PushedResponse[] = [];

  constructor(onPush: PushCallback | null = null) {
    super();
    this.onPush = onPush;
    this.response = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  override onData(data: Buffer): void {
    this.chunks.push(data);
    this.size += data.length;
  }

  override onResponseDone(): void {
    this.complete = true;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks.length = 0;
    this.resolve(new Response(this.streamId, this.status, this.headers, body, this.trailers, this.pushes));
  }

  override onClose(errorCode: number): void {
    if (!this.complete) this.reject(failureOf(this, errorCode));
  }

  override onPushPromise(push: PushPromise): BaseResponseHandler | null {
    return acceptPush(this.onPush, push, this.pushes);
  }
}

/** Resolves `response` at the head; the body flows through a Readable at the reader's pace. */
export class StreamingHandler extends BaseResponseHandler {
  readonly response: Promise<StreamingResponse>;
  private resolve!: (r: StreamingResponse) => void;
  private reject!: (err: unknown) => void;
  private readonly trailersPromise: Promise<HeaderList | null>;
  private resolveTrailers!: (t: HeaderList | null) => void;
  private rejectTrailers!: (err: unknown) => void;
  private readonly body: Readable;
  private waiter: (() => void) | null = null;
  private headed = false;
  private complete = false;
  private readonly onPush: PushCallback | null;
  private readonly pushes: PushedResponse[] = [];

  constructor(onPush: PushCallback | null = null) {
    super();
    this.onPush = onPush;
    this.response = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.trailersPromise = new Promise((resolve, reject) => {
      this.resolveTrailers = resolve;
      this.rejectTrailers = reject;
    });
    this.trailersPromise.catch(() => {});
    this.body = new Readable({
      read: () => {
        const waiter = this.waiter;
        this.waiter = null;
        waiter?.();
      },
    });
    // A reader that gives up (destroy(), a broken pipeline) cancels the stream instead of stalling it.
    this.body.once('close', () => {
      const waiter = this.waiter;
      this.waiter = null;
      waiter?.();
      if (!this.complete) this.cancel();
    });
  }

  override onHeaders(): void {
    this.headed = true;
    this.resolve(new Response(this.streamId, this.status, this.headers, this.body, this.trailersPromise, this.pushes));
  }

  override onData(data: Buffer): void | Promise<void> {
    // The reader is gone (its cancel is on the way): nothing to hold back for.
    if (this.body.destroyed) return;
    if (this.body.push(data)) return;
    // The reader is behind: hold this chunk's flow-control credit until it reads on.
    return new Promise((resolve) => (this.waiter = resolve));
  }

  override onResponseDone(): void {
    this.complete = true;
    this.body.push(null);
    this.resolveTrailers(this.trailers);
  }

  override onClose(errorCode: number): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
    if (this.complete) return;
    const error = failureOf(this, errorCode);
    this.rejectTrailers(error);
    if (this.headed) this.body.destroy(error);
    else this.reject(error);
  }

  override onPushPromise(push: PushPromise): BaseResponseHandler | null {
    return acceptPush(this.onPush, push, this.pushes);
  }
}
