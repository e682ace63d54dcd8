/**
 * What an HTTP/2 server makes of an HTTP/1.1 request head once Node's own parser (`node:http`,
 * llhttp in strict mode) has read it: the request as HTTP/2 fields, held to the same checks as a
 * HEADERS frame (`requestFieldsOf`), and an `Upgrade: h2c` request's pieces (RFC 7540 section
 * 3.2, kept by RFC 9113 section 3.1 as optional: `h2cUpgradeOf`). The head itself (line ends,
 * obs-fold, field syntax, Content-Length / Transfer-Encoding) is llhttp's to judge: h2kit has no
 * HTTP/1.1 parser of its own. Each refusal here is a 400 with a token saying which rule.
 */
import { checkSettingValue } from '../frame/index.js';
import { checkRequestFields, DEFAULT_MAX_SETTINGS_ENTRIES } from '../connection/index.js';
import { Http1RequestError } from './errors.js';

/** A request head as node:http parsed it. */
export interface Http1RequestHead {
  method: string;
  /** The request-target as sent (node's `req.url`). */
  target: string;
  /** `HTTP/1.0` or `HTTP/1.1`. */
  version: string;
  /** Field names lowercased, values as node:http gives them (without surrounding whitespace), in order. */
  headers: Array<[string, string]>;
}

/** Longest method accepted (the longest registered one, UPDATEREDIRECTREF, has 17). The first-bytes classifier uses it too. */
export const MAX_METHOD_LENGTH = 32;
/** Empty lines (CRLF) ignored before the request line (RFC 9112 section 2.2: "at least one"). */
export const MAX_LEADING_EMPTY_LINES = 2;

/** absolute-form (RFC 9112 section 3.2.2) starts with a URI scheme and its colon. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

function refuse(message: string, token: string, status = 400): never {
  throw new Http1RequestError(message, token, status);
}

/** A short, printable excerpt of a line for an error message. */
function excerpt(text: string): string {
  return JSON.stringify(text.length > 100 ? text.slice(0, 100) + '...' : text);
}

/** All values of a field, comma-split into lowercase tokens. */
function tokens(headers: Array<[string, string]>, name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of headers) {
    if (n === name) for (const t of v.split(',')) out.push(t.trim().toLowerCase());
  }
  return out;
}

/** The one value of a field, or undefined; several values are an error (RFC 7540: exactly one HTTP2-Settings). */
function single(headers: Array<[string, string]>, name: string): string | undefined {
  let found: string | undefined;
  for (const [n, v] of headers) {
    if (n !== name) continue;
    if (found !== undefined) refuse(`more than one ${name} header field`, `http1_duplicate_${name.replace(/-/g, '_')}`);
    found = v;
  }
  return found;
}

export interface H2cUpgrade {
  /** The client's SETTINGS payload, base64url-decoded from HTTP2-Settings. */
  settingsPayload: Buffer;
  /** The request as HTTP/2 header fields (pseudo-headers first, connection-specific fields dropped). */
  headers: Array<[string, string]>;
  /** Request body length announced by content-length (0 when none). */
  contentLength: number;
  /** The client sent `Expect: 100-continue` and may wait for `100 Continue` before the body. */
  expectContinue: boolean;
}

// Connection-specific fields (RFC 9113 section 8.2.2) and the ones the upgrade itself uses.
// `expect` too: the body is read whole over HTTP/1.1 before HTTP/2 starts, so it is already answered.
const DROPPED = new Set(['connection', 'upgrade', 'http2-settings', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'host', 'expect']);

/**
 * RFC 7540 section 3.2.1: HTTP2-Settings is a SETTINGS payload; one that a SETTINGS frame could
 * not carry (a value out of range, thousands of entries) makes the request unusable, so it is
 * refused with 400 before any 101 is written, rather than failing after the switch.
 */
function checkUpgradeSettings(payload: Buffer, maxEntries: number): void {
  const entries = payload.length / 6;
  if (entries > maxEntries) refuse(`HTTP2-Settings holds ${entries} settings, more than ${maxEntries}`, 'http1_bad_http2_settings');
  for (let offset = 0; offset < payload.length; offset += 6) {
    try {
      checkSettingValue(payload.readUInt16BE(offset), payload.readUInt32BE(offset + 2));
    } catch (err) {
      refuse(`bad HTTP2-Settings: ${err instanceof Error ? err.message : String(err)}`, 'http1_bad_http2_settings');
    }
  }
}

/**
 * The target URI's scheme, authority and path (RFC 9112 section 3.3) as :scheme, :authority and
 * :path. An absolute-form target gives all three and its authority wins over Host (section
 * 3.2.2), but its scheme must be the connection's (`https:` over cleartext would be a lie the
 * handler believes); otherwise the scheme is the connection's and Host is the authority.
 */
function pseudoFieldsOf(head: Http1RequestHead, connectionScheme: 'http' | 'https', defaultAuthority: string): { scheme: string; authority: string; path: string } {
  const target = head.target;
  const first = target.charCodeAt(0);
  // RFC 9112 section 3.3: without Host (HTTP/1.0), the authority is the server's own.
  if (first === 0x2f || target === '*') return { scheme: connectionScheme, authority: single(head.headers, 'host') ?? defaultAuthority, path: target };
  if (head.method === 'CONNECT') return { scheme: connectionScheme, authority: target, path: '' };
  if (!ABSOLUTE_FORM.test(target)) refuse(`request-target ${excerpt(target)} is neither "/path", "${connectionScheme}://host/path" nor "*"`, 'http1_bad_request_target');
  const colon = target.indexOf(':');
  const scheme = target.slice(0, colon).toLowerCase();
  if (scheme !== connectionScheme) refuse(`a ${connectionScheme}: connection cannot carry a request for ${excerpt(target)}`, 'http1_target_scheme');
  const from = colon + 3;
  let to = from;
  while (to < target.length) {
    const c = target.charCodeAt(to);
    if (c === 0x2f || c === 0x3f) break;
    to++;
  }
  const rest = target.slice(to);
  const path = rest === '' ? (head.method === 'OPTIONS' ? '*' : '/') : rest.charCodeAt(0) === 0x2f ? rest : '/' + rest;
  return { scheme, authority: target.slice(from, to), path };
}

/**
 * The request as HTTP/2 header fields, as a handler sees every request whatever carried it:
 * pseudo-headers first (RFC 9113 section 8.3.1; CONNECT has only :method and :authority), then
 * the fields in order without the connection-specific ones (section 8.2.2), `te` kept only as
 * `trailers`. The list goes through the same checkRequestFields as every HTTP/2 request: what a
 * HEADERS frame may not carry is not let in through HTTP/1.1 either (`judgeFields` false: only the
 * pseudo-headers are, for a head node:http's strict parser has already judged field by field; an
 * h2c upgrade's fields become a real HTTP/2 request and are judged whole). Throws Http1RequestError.
 */
export function requestFieldsOf(head: Http1RequestHead, connectionScheme: 'http' | 'https', defaultAuthority = '', judgeFields = true): Array<[string, string]> {
  // No request-target form has a fragment (RFC 9112 section 3.2): a '#' is the client's mistake or a trick.
  if (head.target.includes('#')) refuse(`request-target ${excerpt(head.target)} holds a fragment ('#')`, 'http1_bad_request_target');
  const target = pseudoFieldsOf(head, connectionScheme, defaultAuthority);
  const headers: Array<[string, string]> =
    head.method === 'CONNECT'
      ? [
          [':method', head.method],
          [':authority', target.authority],
        ]
      : [
          [':method', head.method],
          [':scheme', target.scheme],
          [':authority', target.authority],
          [':path', target.path],
        ];
  // `judgeFields` false: the fields were parsed by node:http's strict parser (tokens, values
  // without controls) and only the control data above needs HTTP/2's rules.
  if (!judgeFields) judge(headers);
  let trailers = false;
  for (const field of head.headers) {
    const name = field[0];
    if (DROPPED.has(name)) continue;
    if (name === 'te') {
      trailers ||= field[1].split(',').some((t) => t.trim().toLowerCase() === 'trailers');
      continue;
    }
    headers.push(field);
  }
  if (trailers) headers.push(['te', 'trailers']);
  if (judgeFields) judge(headers);
  return headers;
}

/** Refuses (400) a request whose fields a HEADERS frame could not carry. */
function judge(headers: Array<[string, string]>): void {
  const bad = checkRequestFields(headers);
  if (bad !== null) refuse(`the request would be malformed over HTTP/2 (RFC 9113 section 8): ${bad}`, `http1_${bad}`);
}

/**
 * Whether `head` asks for `Upgrade: h2c`; if so, the pieces needed to start HTTP/2 with it.
 * Returns null for an ordinary request. Throws Http1RequestError for a broken upgrade request,
 * including one whose HTTP/2 fields a HEADERS frame could not carry: the fields go through the
 * same checkRequestFields as every HTTP/2 request, before any 101 is written. `maxSettingsEntries`
 * is the connection's (ConnectionOptions.maxSettingsEntries): HTTP2-Settings is a SETTINGS frame.
 */
export function h2cUpgradeOf(head: Http1RequestHead, maxSettingsEntries = DEFAULT_MAX_SETTINGS_ENTRIES): H2cUpgrade | null {
  // RFC 9110 section 7.8: a server must ignore Upgrade in an HTTP/1.0 request.
  if (head.version === 'HTTP/1.0') return null;
  if (!tokens(head.headers, 'upgrade').includes('h2c')) return null;
  const settings = single(head.headers, 'http2-settings');
  if (settings === undefined) return null; // RFC 7540 3.2.1: an upgrade without HTTP2-Settings is not an h2c upgrade
  if (head.method === 'CONNECT') {
    // HTTP/2's CONNECT has no :scheme or :path, and the upgraded stream 1 is half-closed: no tunnel could run on it.
    refuse('a CONNECT request cannot be upgraded to h2c; connect with HTTP/2 directly', 'http1_upgrade_connect');
  }
  if (!/^[A-Za-z0-9_-]*=*$/.test(settings)) {
    refuse(`HTTP2-Settings is not base64url: ${JSON.stringify(settings.slice(0, 60))}`, 'http1_bad_http2_settings');
  }
  const settingsPayload = Buffer.from(settings, 'base64url');
  if (settingsPayload.length % 6 !== 0) {
    refuse(`HTTP2-Settings payload of ${settingsPayload.length} bytes is not a multiple of 6`, 'http1_bad_http2_settings');
  }
  checkUpgradeSettings(settingsPayload, maxSettingsEntries);
  if (tokens(head.headers, 'transfer-encoding').length > 0) {
    refuse('an h2c upgrade request with a chunked body is not supported; send content-length', 'http1_upgrade_chunked');
  }
  const lengthField = single(head.headers, 'content-length');
  const contentLength = lengthField === undefined ? 0 : Number(lengthField);
  if (!Number.isSafeInteger(contentLength) || contentLength < 0 || !/^\d+$/.test(lengthField ?? '0')) {
    refuse(`bad content-length ${JSON.stringify(lengthField)}`, 'http1_bad_content_length');
  }
  const headers = requestFieldsOf(head, 'http');
  const expectContinue = contentLength > 0 && tokens(head.headers, 'expect').includes('100-continue');
  return { settingsPayload, headers, contentLength, expectContinue };
}

const REASONS: Record<number, string> = {
  101: 'Switching Protocols', 400: 'Bad Request', 413: 'Content Too Large', 431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
};

/** A complete, self-closing HTTP/1.1 response (`Connection: close`) with a plain-text body. */
export function http1Response(status: number, body: string, extraHeaders: Array<[string, string]> = []): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n`;
  for (const [n, v] of extraHeaders) head += `${n}: ${v}\r\n`;
  head += `content-type: text/plain; charset=utf-8\r\ncontent-length: ${bytes.length}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

/** The interim answer to `Expect: 100-continue`. */
export const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/** The 101 answer that switches the connection to HTTP/2 (RFC 7540 section 3.2). */
export const SWITCHING_PROTOCOLS = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', 'latin1');
