/**
 * HTTP message checks of RFC 9113 section 8 on decoded header lists.
 *
 * A failed check makes the message malformed (section 8.1.1): the connection answers with a
 * stream error of type PROTOCOL_ERROR. The checks return the rejection token (a stable name for
 * GOAWAY debug data, logs and metrics) or null when the list is well-formed; they do not throw,
 * so the connection decides what the failure costs. The one exception, `checkSendable`, judges
 * the application's own lists: a bad one is a misuse of the API (UsageError).
 *
 * Names and values arrive as latin1 strings (one char per octet) from the HPACK decoder, so a
 * char code is an octet and one lookup table per rule suffices.
 */
import { UsageError } from '../errors.js';
import { CheckedFields } from './checked-fields.js';
import type { HeaderList } from './options.js';

/**
 * Octets a field name may not contain (section 8.2.1): 0x00-0x20, uppercase 0x41-0x5a,
 * 0x7f-0xff, and ':' (pseudo-header names are checked against the known list instead).
 */
const BAD_NAME_OCTET = new Uint8Array(256);
for (let c = 0; c <= 0x20; c++) BAD_NAME_OCTET[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) BAD_NAME_OCTET[c] = 1;
for (let c = 0x7f; c <= 0xff; c++) BAD_NAME_OCTET[c] = 1;
BAD_NAME_OCTET[0x3a] = 1;

/** RFC 9110 section 5.6.2: the octets of a token (tchar), as methods and HTTP/1.1 field names are. */
const TOKEN_OCTET = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_OCTET[c.charCodeAt(0)] = 1;

/**
 * Octets a request target may not hold: controls, SP and DEL. Everything else passes, obs-text
 * (0x80-0xff) included as nghttp2 lets it: percent-decoding and path rules are the application's.
 */
const BAD_TARGET_OCTET = new Uint8Array(256);
for (let c = 0; c <= 0x20; c++) BAD_TARGET_OCTET[c] = 1;
BAD_TARGET_OCTET[0x7f] = 1;

/**
 * RFC 3986 section 3.2.2: the octets of a reg-name (unreserved, sub-delims, and '%' of
 * pct-encoded, whose two hex digits are checked apart), and the ones inside an IP-literal's
 * brackets (hex digits, ':' and '.' of IPv6, and what IPvFuture adds: unreserved, sub-delims).
 */
const REG_NAME_OCTET = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%") REG_NAME_OCTET[c.charCodeAt(0)] = 1;
const IP_LITERAL_OCTET = new Uint8Array(REG_NAME_OCTET);
IP_LITERAL_OCTET[0x3a] = 1;
IP_LITERAL_OCTET[0x25] = 0;

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** A token (RFC 9110 section 5.6.2): a method, an HTTP/1.1 field name. */
export function isToken(value: string): boolean {
  const n = value.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || TOKEN_OCTET[c] !== 1) return false;
  }
  return true;
}

/** A request target or :path free of controls, SP and DEL (a CR, LF or NUL there splits requests downstream). */
export function isValidTargetOctets(value: string): boolean {
  const n = value.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || BAD_TARGET_OCTET[c] === 1) return false;
  }
  return true;
}

/**
 * An authority as a request may carry it in :authority, Host or an HTTP/1.1 target (RFC 3986
 * section 3.2): host [":" port], the host a bracketed IP-literal or a non-empty reg-name (IPv4
 * included), the port at most 5 digits up to 65535. Refused: userinfo ('@': RFC 9113 section
 * 8.3.1 forbids it for http and https, the only schemes served here), an empty host (RFC 9110
 * section 4.2.1), and any other octet, which a router or a log behind us could misread.
 * `requirePort`: CONNECT's authority-form (RFC 9110 section 9.3.6: there is no default port).
 *
 * One deviation is let through: an IPv6 address without its brackets, then a port (`::1:8080`),
 * which node:http2's client sends for `http://[::1]:8080`. Only hex digits, ':' and '.' pass that
 * way, so nothing a router could split on (whether such a value ends with a port cannot be told,
 * so `requirePort` does not apply to it).
 */
export function isValidAuthority(value: string, requirePort = false): boolean {
  const n = value.length;
  let i = 0;
  if (n > 0 && value.charCodeAt(0) !== 0x5b && value.indexOf(':') !== value.lastIndexOf(':')) return /^[0-9A-Fa-f:.]+$/.test(value);
  if (n > 0 && value.charCodeAt(0) === 0x5b) {
    // IP-literal: "[" ( IPv6address / IPvFuture ) "]"
    i = 1;
    while (i < n && value.charCodeAt(i) !== 0x5d) {
      const c = value.charCodeAt(i);
      if (c > 0xff || IP_LITERAL_OCTET[c] !== 1) return false;
      i++;
    }
    if (i === n || i === 1) return false;
    i++;
  } else {
    while (i < n && value.charCodeAt(i) !== 0x3a) {
      const c = value.charCodeAt(i);
      if (c > 0xff || REG_NAME_OCTET[c] !== 1) return false;
      if (c === 0x25 && !(i + 2 < n && isHexDigit(value.charCodeAt(i + 1)) && isHexDigit(value.charCodeAt(i + 2)))) return false;
      i++;
    }
    if (i === 0) return false;
  }
  if (i === n) return !requirePort;
  if (value.charCodeAt(i) !== 0x3a) return false;
  const digits = n - i - 1;
  if (digits === 0) return !requirePort;
  if (digits > 5) return false;
  let port = 0;
  for (let j = i + 1; j < n; j++) {
    const d = value.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return false;
    port = port * 10 + d;
  }
  return port <= 65535;
}

/** Whether `scheme` is http or https, in any case (RFC 3986 section 3.1: schemes are case-insensitive). */
function isHttpScheme(scheme: string): boolean {
  return scheme === 'https' || scheme === 'http' || ((scheme.length === 4 || scheme.length === 5) && /^https?$/i.test(scheme));
}

/** RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
function isValidScheme(scheme: string): boolean {
  if (scheme === 'https' || scheme === 'http') return true;
  return /^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme);
}

/** Section 8.2.2: fields that only make sense for one HTTP/1.1 connection. `te` is checked apart. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** Whether `name` (lowercase) is a connection-specific field, never sent over HTTP/2 (section 8.2.2). */
export function isConnectionSpecificField(name: string): boolean {
  return CONNECTION_SPECIFIC.has(name);
}

/** Section 8.2.1: a field name is non-empty and free of the octets above. */
export function isValidFieldName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || BAD_NAME_OCTET[c] === 1) return false;
  }
  return true;
}

/**
 * Section 8.2.1: a field value has no NUL, CR or LF, and does not start or end with
 * whitespace (SP, HTAB).
 */
export function isValidFieldValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  let c = value.charCodeAt(0);
  if (c === 0x20 || c === 0x09) return false;
  c = value.charCodeAt(n - 1);
  if (c === 0x20 || c === 0x09) return false;
  for (let i = 0; i < n; i++) {
    c = value.charCodeAt(i);
    if (c === 0x00 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/** A content-length value as a number, or -1 when it is not a plain decimal number. */
function parseContentLength(value: string): number {
  const n = value.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** What the checks learn about a message besides its validity. */
export class MessageInfo {
  /** What the request checks proved about the connection's last well-formed request (kept across reset). */
  readonly checked = new CheckedFields();
  /** The content-length field, or -1 when absent. */
  contentLength = -1;
  /** :method of a request. */
  method = '';
  /** :status of a response, 0 if none. */
  status = 0;

  reset(): void {
    this.contentLength = -1;
    this.method = '';
    this.status = 0;
  }
}

/**
 * Checks one regular (non-pseudo) field: name syntax, connection-specific fields, `te`, value
 * syntax, and content-length (recorded in `info`, which must agree if repeated).
 */
function checkRegularField(name: string, value: string, info: MessageInfo): string | null {
  if (!isValidFieldName(name)) return 'field_name_invalid';
  if (!isValidFieldValue(value)) return 'field_value_invalid';
  if (CONNECTION_SPECIFIC.has(name)) return 'connection_specific_field';
  if (name === 'te' && value !== 'trailers') return 'te_not_trailers';
  return recordContentLength(name, value, info);
}

/** A content-length field: its value is a number, equal to any earlier one, recorded in `info`. */
function recordContentLength(name: string, value: string, info: MessageInfo): string | null {
  if (name === 'content-length') {
    const length = parseContentLength(value);
    if (length < 0) return 'content_length_invalid';
    if (info.contentLength >= 0 && info.contentLength !== length) return 'content_length_conflict';
    info.contentLength = length;
  }
  return null;
}

/**
 * A request's header list (section 8.3.1): exactly one each of :method, :scheme and :path
 * (non-empty), optional :authority; CONNECT (section 8.5) has :method and :authority only,
 * unless extended CONNECT (RFC 8441, `allowProtocol`) adds :protocol with :scheme and :path.
 * Pseudo-headers come first, none unknown or repeated.
 *
 * The values too: :method a token; :scheme a URI scheme; :path free of controls, SP and DEL, and
 * for http(s) an absolute path or `*` for OPTIONS (never absolute-form, which a handler would take
 * for a path); :authority (or, without it, `host`) a valid authority, host:port for CONNECT. The
 * same function judges the requests of an `Upgrade: h2c` (see checkRequestFields), so the
 * HTTP/1.1 path lets through exactly what a HEADERS frame may carry.
 */
export function checkRequest(headers: HeaderList, allowProtocol: boolean, info: MessageInfo): string | null {
  info.reset();
  // What the connection's last well-formed request proved: its strings, met again, are not rescanned.
  const checked = info.checked;
  let method: string | null = null;
  let scheme: string | null = null;
  let path: string | null = null;
  let authority: string | null = null;
  let protocol: string | null = null;
  let regular = false;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    const name = field[0];
    const value = field[1];
    const seen = checked.has(i, name, value);
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return 'pseudo_header_after_regular';
      if (!seen && !isValidFieldValue(value)) return 'field_value_invalid';
      switch (name) {
        case ':method':
          if (method !== null) return 'pseudo_header_repeated';
          method = value;
          break;
        case ':scheme':
          if (scheme !== null) return 'pseudo_header_repeated';
          scheme = value;
          break;
        case ':path':
          if (path !== null) return 'pseudo_header_repeated';
          path = value;
          break;
        case ':authority':
          if (authority !== null) return 'pseudo_header_repeated';
          authority = value;
          break;
        case ':protocol':
          if (!allowProtocol) return 'pseudo_header_unknown';
          if (protocol !== null) return 'pseudo_header_repeated';
          protocol = value;
          break;
        default:
          return 'pseudo_header_unknown';
      }
      continue;
    }
    regular = true;
    // A field seen passed the character, connection-specific and te checks; content-length is per message.
    const bad = seen ? recordContentLength(name, value, info) : checkRegularField(name, value, info);
    if (bad !== null) return bad;
    // Pseudo-headers came first, so whether :authority was there is known: without it, `host` names the authority.
    if (authority === null && name === 'host' && value !== checked.authority && !isValidAuthority(value)) return 'host_invalid';
  }
  if (method === null || method === '') return 'request_method_missing';
  if (method !== checked.method && !isToken(method)) return 'request_method_invalid';
  info.method = method;
  if (method === 'CONNECT' && protocol === null) {
    if (authority === null || authority === '') return 'connect_authority_missing';
    if (scheme !== null || path !== null) return 'connect_scheme_or_path';
    if (!isValidAuthority(authority, true)) return 'connect_authority_invalid';
    return null;
  }
  if (protocol !== null && method !== 'CONNECT') return 'protocol_without_connect';
  if (scheme === null || scheme === '') return 'request_scheme_missing';
  if (!isValidScheme(scheme)) return 'request_scheme_invalid';
  if (path === null) return 'request_path_missing';
  if (path === '') return 'request_path_empty';
  if (path !== checked.path && !isValidTargetOctets(path)) return 'request_path_invalid';
  if (isHttpScheme(scheme) && path.charCodeAt(0) !== 0x2f && !(path === '*' && method === 'OPTIONS')) return 'request_path_invalid';
  if (authority !== null && authority !== checked.authority && !isValidAuthority(authority)) return 'authority_invalid';
  checked.remember(headers, method, path, authority);
  return null;
}

/**
 * A request's header list judged as if it had come in a HEADERS frame (no extended CONNECT):
 * the rejection token, or null. For requests that reach HTTP/2 another way (`Upgrade: h2c`).
 */
export function checkRequestFields(headers: HeaderList): string | null {
  return checkRequest(headers, false, new MessageInfo());
}

/**
 * A response's header list (section 8.3.2): exactly one :status of three digits, first; no
 * other pseudo-header. 101 is malformed: HTTP/2 has no protocol switch (section 8.6).
 */
export function checkResponse(headers: HeaderList, info: MessageInfo): string | null {
  info.reset();
  let status = -1;
  let regular = false;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    const name = field[0];
    const value = field[1];
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return 'pseudo_header_after_regular';
      if (name !== ':status') return 'pseudo_header_unknown';
      if (status !== -1) return 'pseudo_header_repeated';
      if (value.length !== 3) return 'status_invalid';
      status = 0;
      for (let j = 0; j < 3; j++) {
        const d = value.charCodeAt(j) - 48;
        if (d < 0 || d > 9) return 'status_invalid';
        status = status * 10 + d;
      }
      if (status < 100 || status === 101) return 'status_invalid';
      continue;
    }
    regular = true;
    const bad = checkRegularField(name, value, info);
    if (bad !== null) return bad;
  }
  if (status === -1) return 'status_missing';
  info.status = status;
  return null;
}

/** Trailers (section 8.1): regular fields only. */
export function checkTrailers(headers: HeaderList, info: MessageInfo): string | null {
  info.reset();
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    if (field[0].charCodeAt(0) === 0x3a) return 'pseudo_header_in_trailers';
    const bad = checkRegularField(field[0], field[1], info);
    if (bad !== null) return bad;
  }
  return null;
}

/**
 * The request of a PUSH_PROMISE (section 8.4): a valid request whose method is safe and
 * cacheable (GET or HEAD) and that carries no content.
 */
export function checkPushRequest(headers: HeaderList, info: MessageInfo): string | null {
  const bad = checkRequest(headers, false, info);
  if (bad !== null) return bad;
  if (info.method !== 'GET' && info.method !== 'HEAD') return 'push_method_not_cacheable';
  if (info.contentLength > 0) return 'push_request_with_content';
  return null;
}

/**
 * What we send must be well-formed too (section 8.2): a peer would reset the stream otherwise,
 * and a CR/LF smuggled into a value must never reach an HTTP/1.1 hop behind the peer. Checks
 * names, values, connection-specific fields, `te`, and pseudo-headers before regular fields.
 * Returns the rejection (`token: detail`) or null.
 */
export function checkOutgoing(headers: HeaderList): string | null {
  let regular = false;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    const name = field[0];
    const value = field[1];
    if (typeof name !== 'string' || typeof value !== 'string') return `field_not_string: field ${i}`;
    if (!isValidFieldValue(value)) return `field_value_invalid: ${JSON.stringify(name)}`;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `pseudo_header_after_regular: ${name}`;
      if (!GOOD_NAMES.has(name)) {
        if (!isValidFieldName(name.slice(1))) return `field_name_invalid: ${JSON.stringify(name)}`;
        rememberGoodName(name);
      }
      continue;
    }
    regular = true;
    if (name === 'te') {
      if (value !== 'trailers') return `te_not_trailers: ${JSON.stringify(value)}`;
      continue;
    }
    if (GOOD_NAMES.has(name)) continue;
    if (!isValidFieldName(name)) return `field_name_invalid: ${JSON.stringify(name)}`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection_specific_field: ${name}`;
    rememberGoodName(name);
  }
  return null;
}

/**
 * Throws UsageError if `headers` is not a well-formed field list to send (section 8.2), or is
 * larger than `peerLimit` (the peer's SETTINGS_MAX_HEADER_LIST_SIZE; Infinity to skip). The
 * setting is advisory (section 6.5.2), but a server that announced it answers a larger request
 * with 431 or a reset, so a client hears about it here, before anything is sent, with the numbers.
 * A server sends its responses whatever the client announced (as nghttpd and node:http2 do): it
 * passes Infinity, so a client announcing a tiny limit cannot turn every response into a reset.
 */
export function checkSendable(headers: HeaderList, peerLimit: number): void {
  const bad = checkOutgoing(headers);
  if (bad !== null) throw new UsageError(`cannot send this header list: ${bad}`, bad.slice(0, bad.indexOf(':')));
  if (peerLimit === Infinity) return;
  const size = listSizeOver(headers, peerLimit);
  if (size >= 0) {
    throw new UsageError(`header list of ${size} octets exceeds the peer's SETTINGS_MAX_HEADER_LIST_SIZE of ${peerLimit}`, 'header_list_over_peer_limit');
  }
}

/**
 * Names already found valid to send (and not connection-specific): an application sends the
 * same few names on every response, so each is scanned once. Bounded, so names made of user
 * input cannot grow it without limit.
 */
const GOOD_NAMES = new Set<string>();
const MAX_GOOD_NAMES = 1024;

function rememberGoodName(name: string): void {
  if (GOOD_NAMES.size < MAX_GOOD_NAMES) GOOD_NAMES.add(name);
}

/**
 * The section 6.5.2 size of `headers` (name and value octets plus 32 per field) when it exceeds
 * `limit`, else -1. Strings are sent as UTF-8, 1 to 3 octets per UTF-16 unit: the exact count
 * is taken only when the list may be near the limit.
 */
export function listSizeOver(headers: HeaderList, limit: number): number {
  let units = 0;
  for (let i = 0; i < headers.length; i++) units += headers[i]![0].length + headers[i]![1].length + 32;
  if (units * 3 <= limit) return -1;
  let size = 0;
  for (let i = 0; i < headers.length; i++) size += Buffer.byteLength(headers[i]![0], 'utf8') + Buffer.byteLength(headers[i]![1], 'utf8') + 32;
  return size > limit ? size : -1;
}
