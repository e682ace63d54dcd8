/**
 * The WHATWG `Request` a fetch handler sees, made from a stream's request attributes: the full
 * URL (`scheme://authority/path`), the method, the header fields (pseudo-headers left out,
 * repeated fields appended in order, `host` from the authority), a streaming body fed by the
 * handler's `onData`, and a signal the handler aborts when the client goes away.
 *
 * The body is a ReadableStream with a byte-counted queue: while the queue is full, `push()`
 * returns a promise that settles when the reader takes a chunk (or gives up), and `onData`
 * returns that promise, which holds the chunk's flow-control credit. A slow reader therefore
 * slows the client down instead of filling memory, as with any async `onData`.
 */
import type { BaseRequestHandler } from '../request-handler.js';

/** Request bodies are queued up to this many bytes before the client is held back. */
export const REQUEST_BODY_HIGH_WATER_MARK = 65536;

/** The size of a queued body chunk, for the queue's high-water mark. */
function chunkSize(chunk: Uint8Array): number {
  return chunk.byteLength;
}

function noop(): void {}

/**
 * The producing side of a request body: the handler pushes what `onData` receives, ends it at
 * `onRequestDone`, fails it when the exchange ends early; the application reads `stream`.
 */
export class RequestBody {
  /** What `request.body` reads. */
  readonly stream: ReadableStream<Uint8Array>;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** Settles the promise `push()` returned while the queue was full. */
  private wakeWriter: (() => void) | null = null;
  /** No more chunks go in: ended, failed, or the reader cancelled. */
  private done = false;

  constructor(highWaterMark = REQUEST_BODY_HIGH_WATER_MARK) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        // Called when the queue has room again (after a read): the held chunk's credit may go back.
        pull: () => this.wake(),
        cancel: () => {
          this.done = true;
          this.wake();
        },
      },
      { highWaterMark, size: chunkSize },
    );
  }

  /**
   * Queues a chunk. Returns a promise while the queue is at or above its high-water mark: it
   * settles when the reader makes room, cancels, or the body ends. Chunks after the end (or a
   * cancel) are dropped.
   */
  push(data: Buffer): Promise<void> | undefined {
    const controller = this.controller;
    if (this.done || controller === null) return undefined;
    controller.enqueue(data);
    if ((controller.desiredSize ?? 1) > 0) return undefined;
    return new Promise<void>((resolve) => {
      this.wakeWriter = resolve;
    });
  }

  /** The request is complete: the reader sees the end after the queued chunks. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.controller?.close();
    this.wake();
  }

  /** The exchange ended before the request did: a reader waiting for more gets `reason`. */
  fail(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.controller?.error(reason);
    this.wake();
  }

  /**
   * The application answered without taking the body (the stream is not locked): drop the rest,
   * so an unread upload neither holds flow-control credit nor keeps the stream open.
   */
  discardIfUnread(): void {
    if (this.done || this.stream.locked) return;
    this.stream.cancel().catch(noop);
  }

  private wake(): void {
    const wake = this.wakeWriter;
    if (wake === null) return;
    this.wakeWriter = null;
    wake();
  }
}

/** Methods whose requests have no body in the WHATWG Request (a body sent with them is dropped). */
export function methodHasBody(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/**
 * The request's URL: the connection's scheme, the authority (`:authority`, or `host` over
 * HTTP/1.1) and the path. An absolute-form HTTP/1.1 target (`GET http://host/path`) is taken as is.
 */
export function requestUrlOf(handler: BaseRequestHandler): string {
  const path = handler.path;
  if (path.length > 0 && path.charCodeAt(0) !== 0x2f /* '/' */ && path !== '*') return path;
  return `${handler.http2.scheme}://${handler.host}${path}`;
}

/**
 * The request's header fields without pseudo-headers, in order, repeated names kept, and a
 * `host` field first when the request had none: the authority, as an HTTP/2-to-HTTP/1.1 gateway
 * adds it (RFC 9113 section 8.3.1), so `headers.get('host')` answers over both protocols (h2kit
 * hands HTTP/1.1 requests to handlers with their Host as `:authority`).
 */
export function requestHeadersOf(fields: ReadonlyArray<readonly [string, string]>, authority: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let host = false;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const name = field[0];
    if (name.charCodeAt(0) === 0x3a /* ':' */) continue;
    if (name === 'host') host = true;
    out.push([name, field[1]]);
  }
  if (!host && authority.length > 0) out.unshift(['host', authority]);
  return out;
}

/**
 * The Request `fetch` is given: a WHATWG Request whose `signal` is made only when first read.
 * An undici Request given a signal follows it through its own AbortController, an abort
 * listener and a FinalizationRegistry entry: measured, that halved the requests served per
 * second, for a signal most handlers never look at. This one creates its AbortController on
 * first use, already aborted if the client went away before.
 *
 * A Request copied from it (`new Request(url, request)`, as proxies do) follows this signal:
 * the copy reads `signal` as a property. Only undici's own internals (`fetch(request)` itself,
 * `request.clone()`) see the inner signal, which never aborts: pass `{ signal: request.signal }`.
 */
export class ServedRequest extends Request {
  #controller: AbortController | null = null;
  #gone = false;
  #reason: unknown = undefined;

  /** The signal, made on first use. */
  static signalOf(request: ServedRequest): AbortSignal {
    let controller = request.#controller;
    if (controller === null) {
      controller = request.#controller = new AbortController();
      if (request.#gone) controller.abort(request.#reason);
    }
    return controller.signal;
  }

  /** The client went away: the signal (made now or later) is aborted with `reason`. */
  static abort(request: ServedRequest, reason: unknown): void {
    if (request.#gone) return;
    request.#gone = true;
    request.#reason = reason;
    request.#controller?.abort(reason);
  }
}

// An accessor over undici's (TypeScript declares `signal` a property, so it cannot be overridden in the class body).
Object.defineProperty(ServedRequest.prototype, 'signal', {
  get(this: ServedRequest): AbortSignal {
    return ServedRequest.signalOf(this);
  },
  enumerable: true,
  configurable: true,
});

/**
 * The WHATWG Request for a handler's request. `body` is null for GET and HEAD. Throws a
 * TypeError when undici refuses the URL (a bad authority) or the method (CONNECT, TRACE, TRACK).
 */
export function requestOf(handler: BaseRequestHandler, body: RequestBody | null): ServedRequest {
  const init: RequestInit = { method: handler.method, headers: requestHeadersOf(handler.headers, handler.host) };
  if (body !== null) {
    init.body = body.stream;
    init.duplex = 'half';
  }
  return new ServedRequest(requestUrlOf(handler), init);
}
