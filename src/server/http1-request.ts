/**
 * Http1RequestReader: node:http's parsed request heads, on one connection, as the HTTP/2 fields a
 * handler sees (what `requestFieldsOf` makes), in one pass over `rawHeaders`.
 *
 * The common request (an origin-form target, not CONNECT, at most one Host and one Cookie) is read
 * here directly: names lowercased, connection-specific fields dropped, and only what node:http's
 * strict parser (llhttp) has not already judged checked again, as `requestFieldsOf` with
 * `judgeFields` false does: the method, the target and the authority as HTTP/2 pseudo-headers.
 * Whatever this path does not take (or a request it would refuse) goes to `requestFieldsOf`, which
 * gives the same fields for what both accept and is the one place that words a refusal.
 */
import { isToken, isValidAuthority } from '../connection/index.js';
import { requestFieldsOf } from './http1.js';
import { pairsOf } from './http1-exchange.js';

/** What the reader needs of a node:http request (an IncomingMessage). */
export interface Http1RequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersion: string;
  readonly rawHeaders: string[];
}

export class Http1RequestReader {
  /** The last request read announced a body (a content-length, even 0, or a transfer-encoding). */
  hasBody = false;
  /**
   * The last request read was the common one: its fields start with :method, :scheme,
   * :authority and :path, and hold at most one cookie, so its attributes are those four values
   * and the list itself (setRequestAttributes would find just that).
   */
  simple = false;
  /** The last request `scan` found common has `te: trailers` (the one te field HTTP/2 keeps). */
  teTrailers = false;
  private readonly scheme: 'http' | 'https';
  private readonly defaultAuthority: () => string;
  /** An authority this connection's requests carried that passed isValidAuthority: clients repeat theirs. */
  private knownAuthority = '';
  /**
   * The field names of the last head read, by position: as sent, lowercased, and what they are to
   * this reader (a FieldKind). A client sends the same names in the same order on each request of
   * a connection, and comparing a name with the one before it costs a fraction of `toLowerCase()`
   * (a call out of JIT code, ~200 instructions even for a name already in lowercase) and of
   * telling its kind by comparing it with each name that has one. Filled with '' from the start:
   * a slot is always a string, so the compare is one of two strings (never with undefined).
   */
  private readonly sentNames: string[] = new Array<string>(MAX_REMEMBERED_NAMES).fill('');
  private readonly lowerNames: string[] = new Array<string>(MAX_REMEMBERED_NAMES).fill('');
  private readonly kinds: FieldKind[] = new Array<FieldKind>(MAX_REMEMBERED_NAMES).fill(FieldKind.Plain);
  /** A method this connection's requests carried that passed isToken: clients repeat theirs (node:http gives the same string for a known method). */
  private knownMethod = '';

  /** `defaultAuthority`: the authority of a request without Host (HTTP/1.0), asked for only when needed. */
  constructor(scheme: 'http' | 'https', defaultAuthority: () => string) {
    this.scheme = scheme;
    this.defaultAuthority = defaultAuthority;
  }

  /** The request's fields, pseudo-headers first. Throws Http1RequestError (from requestFieldsOf) for one HTTP/2 could not carry. */
  read(req: Http1RequestLike): Array<[string, string]> {
    const authority = this.scan(req);
    return authority !== null ? this.commonFields(req, authority, this.teTrailers) : this.readUncommon(req);
  }

  /** `read` for a request `scan` already judged not common (it returned null): requestFieldsOf reads it. */
  readUncommon(req: Http1RequestLike): Array<[string, string]> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const headers = pairsOf(req.rawHeaders);
    this.hasBody = hasBody(headers);
    // The fields themselves were judged by node:http's parser: only the request's control data is checked here.
    return requestFieldsOf({ method, target, version: `HTTP/${req.httpVersion}`, headers }, this.scheme, this.defaultAuthority(), false);
  }

  /**
   * Judges the request without making its fields: for the common one (see the file comment) sets
   * `simple`, `hasBody` and `teTrailers` and returns its :authority, whose fields `commonFields`
   * makes (when the handler asks for them: most never do); else null, for `read`.
   */
  scan(req: Http1RequestLike): string | null {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    this.simple = false;
    if (target.charCodeAt(0) !== 0x2f || method === 'CONNECT' || !isPlainPath(target)) return null;
    if (method !== this.knownMethod) {
      if (!isToken(method)) return null;
      this.knownMethod = method;
    }
    const raw = req.rawHeaders;
    let host: string | null = null;
    let body = false;
    let cookie = false;
    let trailers = false;
    const sentNames = this.sentNames;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const sent = raw[i]!;
      const k = i >> 1;
      let kind: FieldKind;
      if (sentNames[k] === sent) {
        kind = this.kinds[k]!;
      } else {
        const name = sent.toLowerCase();
        kind = fieldKindOf(name);
        if (k < MAX_REMEMBERED_NAMES) {
          sentNames[k] = sent;
          this.lowerNames[k] = name;
          this.kinds[k] = kind;
        }
      }
      switch (kind) {
        case FieldKind.Host:
          if (host !== null) return null; // more than one: refused there
          host = raw[i + 1]!;
          break;
        case FieldKind.TransferEncoding:
        case FieldKind.ContentLength:
          body = true;
          break;
        case FieldKind.Te:
          trailers ||= raw[i + 1]!.split(',').some((t) => t.trim().toLowerCase() === 'trailers');
          break;
        case FieldKind.Cookie:
          if (cookie) return null; // several are joined by setRequestAttributes
          cookie = true;
          break;
      }
    }
    const authority = host ?? this.defaultAuthority();
    if (authority !== this.knownAuthority) {
      if (!isValidAuthority(authority)) return null;
      this.knownAuthority = authority;
    }
    this.hasBody = body;
    this.teTrailers = trailers;
    this.simple = true;
    return authority;
  }

  /**
   * The fields of a request `scan` found common, with the :authority and `te: trailers` it found:
   * names lowercased, connection-specific fields dropped (and Host, which is the :authority), as
   * requestFieldsOf would make them. May be called later than `scan` (after other requests of the
   * connection were read): a name is taken from the cache only while its slot still holds it.
   */
  commonFields(req: Http1RequestLike, authority: string, teTrailers: boolean): Array<[string, string]> {
    const raw = req.rawHeaders;
    const fields: Array<[string, string]> = [[':method', req.method ?? 'GET'], [':scheme', this.scheme], [':authority', authority], [':path', req.url ?? '/']];
    const sentNames = this.sentNames;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const sent = raw[i]!;
      const k = i >> 1;
      let name: string;
      let kind: FieldKind;
      if (sentNames[k] === sent) {
        name = this.lowerNames[k]!;
        kind = this.kinds[k]!;
      } else {
        name = sent.toLowerCase();
        kind = fieldKindOf(name);
      }
      if (kind === FieldKind.Host || kind === FieldKind.TransferEncoding || kind === FieldKind.Dropped || kind === FieldKind.Te) continue;
      fields.push([name, raw[i + 1]!]);
    }
    if (teTrailers) fields.push(['te', 'trailers']);
    return fields;
  }
}

/** What a request field is to scan and commonFields. */
const enum FieldKind {
  /** Passed on as it is. */
  Plain,
  /** Becomes :authority. */
  Host,
  /** Dropped; the request has a body. */
  TransferEncoding,
  /** Connection-specific: dropped (RFC 9113 section 8.2.2). */
  Dropped,
  /** Dropped, but for `te: trailers`. */
  Te,
  /** Passed on; the request has a body. */
  ContentLength,
  /** Passed on; a second one sends the head to requestFieldsOf. */
  Cookie,
}

/** The kind of the field named `name` (lowercase). */
function fieldKindOf(name: string): FieldKind {
  switch (name) {
    case 'host':
      return FieldKind.Host;
    case 'transfer-encoding':
      return FieldKind.TransferEncoding;
    case 'connection':
    case 'upgrade':
    case 'http2-settings':
    case 'keep-alive':
    case 'proxy-connection':
    case 'expect':
      return FieldKind.Dropped;
    case 'te':
      return FieldKind.Te;
    case 'content-length':
      return FieldKind.ContentLength;
    case 'cookie':
      return FieldKind.Cookie;
    default:
      return FieldKind.Plain;
  }
}

/** How many field names of a head Http1RequestReader remembers (its `sentNames`); browsers send about 15. */
const MAX_REMEMBERED_NAMES = 32;

/**
 * Whether `target` is a :path requestFieldsOf takes as it is: free of controls, SP and DEL (its
 * isValidTargetOctets) and of '#' (which it refuses: no request-target has a fragment).
 */
function isPlainPath(target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c === 0x23 || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** Whether a request head announces a body: a content-length (even 0: node:http reads it as a body) or a transfer-encoding. */
function hasBody(headers: Array<[string, string]>): boolean {
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i]![0];
    if (name === 'content-length' || name === 'transfer-encoding') return true;
  }
  return false;
}
