/**
 * `PreparedHeaders`: response header fields checked once and reused for every response that
 * carries them. A server that answers with the same fields each time (a static file's 200: etag,
 * last-modified, content-type...) otherwise pays per response for what cannot change: reading the
 * user's form, lowercasing each name, the RFC 9113 section 8.2 checks of every name and value,
 * parsing its content-length. Prepared, all of that is done here once; a response copies the
 * pairs behind its `:status` (and `date`, content-length), and the connection skips its own check.
 */
import { checkSendable } from '../connection/index.js';
import { appendHeaders, contentLengthOf, type HeaderInput, type HeadersInput } from './header-input.js';

/**
 * Header fields checked once, immutable, accepted wherever `headers` is (`sendResponse`, `push`,
 * over HTTP/2 and HTTP/1.1). Made by {@link prepareHeaders}. It is also an iterable of
 * `[name, value]` pairs, so it can stand anywhere a {@link HeadersInput} can (trailers, interim
 * responses, a push's request fields), where it is read as plain pairs.
 */
export class PreparedHeaders implements Iterable<HeaderInput> {
  /**
   * The fields as pairs, names lowercase. Private (a `#` field, not reachable from outside), so
   * nothing can change a pair after its check; not frozen, because these very pairs go into
   * every response's list, and a frozen array there (another elements kind beside the library's
   * own `:status` pair) would make each read of a field in that list polymorphic.
   */
  readonly #pairs: Array<[string, string]>;
  /** The same fields as node:http's `writeHead` takes them, `[name, value, name, value...]`; private as `#pairs` is. */
  readonly #flat: string[];
  /** @internal The value of the content-length field, -1 when there is none. */
  readonly contentLength: number;
  /** @internal Whether there is a `date` field (the library then adds none). */
  readonly hasDate: boolean;

  /**
   * Checks and lowercases `input` (see {@link prepareHeaders}, which is the same). Throws
   * UsageError. The checks run here, in the only constructor, so no instance holds unchecked fields.
   */
  constructor(input: HeadersInput) {
    const pairs: Array<[string, string]> = [];
    appendHeaders(pairs, input, 'response headers');
    const flat: string[] = [];
    let contentLength = -1;
    let hasDate = false;
    for (const [name, value] of pairs) {
      flat.push(name, value);
      if (name === 'date') hasDate = true;
      if (name === 'content-length') contentLength = contentLengthOf(value, contentLength);
    }
    // The connection's own check of a list to send (section 8.2), which a prepared response skips;
    // after content-length, in the order a plain response meets the two.
    checkSendable(pairs, Infinity);
    this.#pairs = pairs;
    this.#flat = flat;
    this.contentLength = contentLength;
    this.hasDate = hasDate;
    // Frozen: a response may be on its way with these very fields.
    Object.freeze(this);
  }

  /** How many fields there are. */
  get length(): number {
    return this.#pairs.length;
  }

  /** The fields as `[name, value]` pairs, in order, names lowercase (copies: changing one changes nothing here). */
  *[Symbol.iterator](): Iterator<HeaderInput> {
    for (const [name, value] of this.#pairs) yield [name, value];
  }

  /** @internal The fields as node:http's `writeHead` takes them, `[name, value, name, value...]`: a copy, the caller's to extend. */
  flatCopy(): string[] {
    return this.#flat.slice();
  }

  /** @internal Appends the pairs themselves to `out`, a response's list on its way to the connection (which keeps none of it). */
  appendTo(out: Array<[string, string]>): void {
    const pairs = this.#pairs;
    for (let i = 0; i < pairs.length; i++) out.push(pairs[i]!);
  }
}

/**
 * Checks and lowercases `input` once, for many responses: the same UsageError as `sendResponse`
 * would throw for these fields is thrown here (a pseudo-header field, a name or value HTTP/2 may
 * not carry, a connection-specific field, `te` other than `trailers`, a content-length that is not
 * one non-negative integer). A response given the result skips all of that; the library still
 * adds `:status`, `date` (unless one is here) and the content-length of a body whose length it
 * knows (unless one is here). The result cannot be changed.
 *
 * ```ts
 * const html = prepareHeaders({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
 * // then, per request:
 * this.sendResponse({ headers: html, body: page });
 * ```
 */
export function prepareHeaders(input: HeadersInput | PreparedHeaders): PreparedHeaders {
  return input instanceof PreparedHeaders ? input : new PreparedHeaders(input);
}
