/**
 * A strict HTTP/1.1 request-head parser (RFC 9112), for tests only: the oracle the fuzz targets
 * and the h2c unit tests build heads with. The server itself has no HTTP/1.1 parser: node:http
 * (llhttp, strict mode) reads every HTTP/1.x request, and src/server/http1.ts judges what it
 * parsed (requestFieldsOf, h2cUpgradeOf). This was the server's own parser until issue 14; it is
 * kept here because it states RFC 9112's rules octet by octet, which is what a test oracle needs.
 */
import { isToken, isValidAuthority, isValidTargetOctets } from '../../src/connection/index.js';
import { Http1RequestError } from '../../src/server/errors.js';
import { MAX_LEADING_EMPTY_LINES, MAX_METHOD_LENGTH, type Http1RequestHead } from '../../src/server/http1.js';

/** A parsed head and where its body starts. */
export interface ParsedHead extends Http1RequestHead {
  /** Bytes taken by the head including the blank line (and any empty lines before it). */
  headLength: number;
}

const CR = 0x0d;
const LF = 0x0a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const VERSION = /^HTTP\/1\.[0-9]$/;
/** absolute-form (RFC 9112 section 3.2.2) starts with a URI scheme and its colon. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function refuse(message: string, token: string, status = 400): never {
  throw new Http1RequestError(message, token, status);
}

/** A short, printable excerpt of a line for an error message. */
function excerpt(text: string): string {
  return JSON.stringify(text.length > 100 ? text.slice(0, 100) + '...' : text);
}

/**
 * RFC 9112 section 2.2: lines end with CRLF. A CR not followed by LF, an LF not preceded by CR, and
 * NUL are refused over the whole head (`from` to the end of its last line), before it is split:
 * a lenient reading here is how a request smuggles a second one past a stricter hop.
 */
function checkLineEnds(buf: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c === CR) {
      if (buf[i + 1] !== LF) refuse('a bare CR in the request head (RFC 9112 section 2.2)', 'http1_bare_cr');
      i++;
    } else if (c === LF) {
      refuse('a bare LF in the request head: lines end with CRLF (RFC 9112 section 2.2)', 'http1_bare_lf');
    } else if (c === 0) {
      refuse('a NUL in the request head', 'http1_nul');
    }
  }
}

/** RFC 9110 section 5.5: field-vchar, SP and HTAB only; CR, LF, NUL and the other controls (DEL included) are refused. */
function isValidHttp1FieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

/** The value without the optional whitespace (SP, HTAB: RFC 9112 section 5.1) around it; nothing else is whitespace here. */
function trimOws(value: string): string {
  let a = 0;
  let b = value.length;
  while (a < b && (value.charCodeAt(a) === 0x20 || value.charCodeAt(a) === 0x09)) a++;
  while (b > a && (value.charCodeAt(b - 1) === 0x20 || value.charCodeAt(b - 1) === 0x09)) b--;
  return value.slice(a, b);
}

/**
 * RFC 9112 section 3.2: the request-target forms. CONNECT takes authority-form (host:port) and
 * only it; `*` is for OPTIONS; every other request is origin-form (`/...`) or absolute-form
 * (`scheme:...`, which a server must accept, section 3.2.2).
 */
function checkTargetForm(method: string, target: string): void {
  if (method === 'CONNECT') {
    if (!isValidAuthority(target, true)) refuse(`CONNECT needs an authority-form target (host:port), got ${excerpt(target)}`, 'http1_bad_request_target');
    return;
  }
  if (target.charCodeAt(0) === 0x2f) return;
  if (target === '*') {
    if (method !== 'OPTIONS') refuse(`the asterisk-form target "*" is for OPTIONS, not ${method}`, 'http1_bad_request_target');
    return;
  }
  if (!ABSOLUTE_FORM.test(target)) refuse(`request-target ${excerpt(target)} is neither "/path", "http://host/path" nor "*"`, 'http1_bad_request_target');
}

/**
 * Parses the request head at the start of `buf`. Returns null when the blank line has not
 * arrived yet; throws Http1RequestError when the head is malformed or longer than `maxSize`.
 */
export function parseHttp1RequestHead(buf: Buffer, maxSize: number): ParsedHead | null {
  let start = 0;
  for (let k = 0; k < MAX_LEADING_EMPTY_LINES && buf[start] === CR && buf[start + 1] === LF; k++) start += 2;
  const end = buf.indexOf(CRLFCRLF, start);
  if (end < 0) {
    if (buf.length > maxSize) refuse(`HTTP/1.1 request head exceeds ${maxSize} bytes`, 'http1_head_too_large', 431);
    return null;
  }
  if (end + 4 > maxSize) refuse(`HTTP/1.1 request head of ${end + 4} bytes exceeds ${maxSize}`, 'http1_head_too_large', 431);
  checkLineEnds(buf, start, end + 2);
  const lines = buf.toString('latin1', start, end).split('\r\n');

  // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3): exactly two SPs.
  const line = lines[0]!;
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0 || !VERSION.test(line.slice(sp2 + 1))) {
    refuse(`malformed HTTP/1.1 request line ${excerpt(line)}`, 'http1_bad_request_line');
  }
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method) || method.length > MAX_METHOD_LENGTH) refuse(`malformed method in the request line ${excerpt(line)}`, 'http1_bad_request_line');
  if (!isValidTargetOctets(target)) refuse(`request-target ${excerpt(target)} holds a control octet, SP or DEL, or is empty`, 'http1_bad_request_target');
  // No request-target form has a fragment (RFC 9112 section 3.2): a '#' is the client's mistake or a trick.
  if (target.includes('#')) refuse(`request-target ${excerpt(target)} holds a fragment ('#')`, 'http1_bad_request_target');
  checkTargetForm(method, target);

  const headers: Array<[string, string]> = [];
  let hosts = 0;
  let host = '';
  for (let i = 1; i < lines.length; i++) {
    const field = lines[i]!;
    const first = field.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      // obs-fold (section 5.2), or whitespace before the first field (section 2.2): both refused.
      refuse(`a field line starting with whitespace (obsolete line folding) is not accepted: ${excerpt(field)}`, 'http1_obs_fold');
    }
    const colon = field.indexOf(':');
    if (colon <= 0) refuse(`malformed HTTP/1.1 header line ${excerpt(field)}`, 'http1_bad_header');
    const last = field.charCodeAt(colon - 1);
    if (last === 0x20 || last === 0x09) refuse(`whitespace between a field name and its colon (RFC 9112 section 5.1): ${excerpt(field)}`, 'http1_space_before_colon');
    const name = field.slice(0, colon);
    if (!isToken(name)) refuse(`malformed HTTP/1.1 header line ${excerpt(field)}`, 'http1_bad_header');
    const value = trimOws(field.slice(colon + 1));
    if (!isValidHttp1FieldValue(value)) refuse(`a control octet in the value of ${name}`, 'http1_bad_field_value');
    const lower = name.toLowerCase();
    if (lower === 'host') {
      hosts++;
      host = value;
    }
    headers.push([lower, value]);
  }
  // RFC 9112 section 3.2: 400 for an HTTP/1.1 request without Host, with several, or with an invalid one.
  if (hosts > 1) refuse('more than one Host header field', 'http1_duplicate_host');
  if (hosts === 0 && version !== 'HTTP/1.0') refuse('an HTTP/1.1 request needs a Host header field', 'http1_host_missing');
  if (host !== '' && !isValidAuthority(host)) refuse(`invalid Host ${excerpt(host)}: host[:port] expected`, 'http1_host_invalid');
  return { method, target, version, headers, headLength: end + 4 };
}
