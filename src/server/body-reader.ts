/**
 * The request body as one value: `await this.readBody({ limit })`, `this.readText()`,
 * `this.readJson()` on a handler, for either protocol. (Not `body()`: handlers commonly have a field of that name.)
 *
 * A handler usually awaits it inside `onHeaders`, and a stream's callbacks run one at a time, so
 * the body's chunks cannot reach it through `onData` (they would wait behind the very callback
 * that awaits them). The reader therefore taps the stream's callback queue (`CallbackQueue.tap`):
 * it takes each chunk as it arrives, and the flow-control credit goes back at once, up to `limit`.
 * Past the limit the client gets `413 Content Too Large` (RFC 9110 section 15.5.14), the rest of
 * the body is refused (HTTP/2: RST_STREAM NO_ERROR once the 413 has left; HTTP/1.1: node:http
 * drops or cuts it) and the promise rejects with a `RequestBodyError` the server treats as
 * answered: no log line, no reset. A body that is not JSON gets a `400` the same way.
 */
import { ErrorCode, H2Error, UsageError } from '../errors.js';
import type { CallbackQueue, CallbackStream } from '../io/callback-queue.js';
import type { BaseRequestHandler } from './request-handler.js';

/** Options of `readBody()`, `readText()` and `readJson()`. */
export interface BodyOptions {
  /** Most octets accepted; more gets the client a 413. Default 1 MiB (Fastify's `bodyLimit` default). */
  limit?: number;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * The request body could not be read whole: too large (`status` 413, the client was answered),
 * not JSON (400, answered), or the stream ended first (`request_body_aborted`, status 0: no one
 * to answer). The server does not log a handler failure that is only this.
 */
export class RequestBodyError extends H2Error {
  /** The HTTP status the client was answered with, or 0 when the stream was already gone. */
  readonly status: number;

  constructor(message: string, token: string, status: number) {
    super(message, undefined, token);
    this.status = status;
  }
}

/** The items of a stream's queue the reader looks at (HTTP/2 and HTTP/1.1 alike). */
type BodyItem = { readonly type: string; readonly data?: Buffer };

/** What the protocol's session knows of the stream when `readBody()` is called. */
export interface BodyStreamState {
  /** Request body octets received so far (handed to the queue, whether delivered or still queued). */
  readonly bytesReceived: number;
  /** The request has ended: its requestDone item was handed to the queue. */
  readonly requestEnded: boolean;
}

/** Starts reading `stream`'s body for `handler`; one reader a stream. */
export function readRequestBody<S extends CallbackStream<I> & BodyStreamState, I extends BodyItem>(
  queue: CallbackQueue<S, I>,
  stream: S,
  handler: BaseRequestHandler,
  options: BodyOptions | undefined,
): Promise<Buffer> {
  if (stream.calls.tap !== null) throw new UsageError('readBody() (or readText(), readJson()) was already called for this request', 'body_already_read');
  const limit = options?.limit ?? DEFAULT_BODY_LIMIT;
  if (!(limit >= 0)) throw new UsageError(`readBody(): limit must be a number >= 0, not ${String(limit)}`, 'bad_body_limit');
  let queuedBytes = 0;
  for (const item of stream.calls.queue ?? []) if (item.data !== undefined) queuedBytes += item.data.length;
  if (stream.bytesReceived > queuedBytes) {
    throw new UsageError('readBody() must be called before onData() has received any of the body (call it from onHeaders)', 'body_partly_delivered');
  }
  const reader = new BodyReader(handler, limit);
  const declared = Number(handler.getHeader('content-length') ?? '0');
  // A declared length past the limit is refused before a byte of the body is read.
  if (declared > limit) reader.tooLarge();
  queue.tap(stream, reader.take);
  if (stream.requestEnded && !reader.ended) reader.end();
  return reader.promise;
}

class BodyReader {
  readonly promise: Promise<Buffer>;
  /** Settled, or past the limit: later chunks are dropped (their credit still goes back). */
  ended = false;
  private readonly handler: BaseRequestHandler;
  private readonly limit: number;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private resolve!: (body: Buffer) => void;
  private reject!: (err: RequestBodyError) => void;

  constructor(handler: BaseRequestHandler, limit: number) {
    this.handler = handler;
    this.limit = limit;
    this.promise = new Promise<Buffer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The queue's tap: takes every chunk of the body; sees, and leaves to their callbacks, its end and the close. */
  readonly take = (item: BodyItem): boolean => {
    if (item.data !== undefined) {
      if (this.ended) return true;
      this.size += item.data.length;
      if (this.size > this.limit) this.tooLarge();
      else this.chunks.push(item.data);
      return true;
    }
    if (item.type === 'requestDone') this.end();
    else if (item.type === 'close' && !this.ended) {
      this.ended = true;
      this.reject(new RequestBodyError('the request ended before its body did (the client cancelled it)', 'request_body_aborted', 0));
    }
    return false;
  };

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.resolve(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size));
    this.chunks.length = 0;
  }

  /** Past the limit: answer 413 (unless a response started), refuse the rest, reject. */
  tooLarge(): void {
    this.ended = true;
    this.chunks.length = 0;
    answer(this.handler, 413, `the request body is larger than ${this.limit} bytes`);
    this.reject(new RequestBodyError(`the request body is larger than the limit (${this.limit} bytes); answered 413`, 'request_body_too_large', 413));
  }
}

/** A short plain-text error answer, then the rest of the request refused (NO_ERROR after a response). */
export function answer(handler: BaseRequestHandler, status: number, text: string): void {
  // HTTP/1.1: the connection closes after the answer rather than read a body nobody wants.
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (handler.httpVersion !== '2') headers['connection'] = 'close';
  try {
    handler.sendResponse({ status, headers, body: `${status} ${text}\n` });
  } catch {
    // A response had started already: the rest of the body is refused all the same.
  }
  handler.reset(ErrorCode.NO_ERROR);
}

/** `readText()`: the body as UTF-8. */
export async function readText(handler: BaseRequestHandler, options?: BodyOptions): Promise<string> {
  return (await handler.readBody(options)).toString('utf8');
}

/** `readJson()`: the body parsed as JSON; not JSON gets the client a 400 and rejects with a RequestBodyError. */
export async function readJson(handler: BaseRequestHandler, options?: BodyOptions): Promise<unknown> {
  const text = await readText(handler, options);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    answer(handler, 400, 'the request body is not JSON');
    throw new RequestBodyError(`the request body is not JSON: ${err instanceof Error ? err.message : String(err)}; answered 400`, 'request_body_not_json', 400);
  }
}
