/**
 * The bit of HTTP/1.1 an HTTP/2 server needs: parse one request head (bounded in size) to
 * answer `Upgrade: h2c` (RFC 7540 section 3.2, kept by RFC 9113 section 3.1 as optional) or
 * to refuse a client that does not speak HTTP/2 with a clear HTTP/1.1 answer instead of a hang.
 */
import { checkSettingValue } from '../frame/index.js';
import { Http1RequestError } from './errors.js';

export interface Http1RequestHead {
  method: string;
  target: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** Field names lowercased, values trimmed, in order. */
  headers: Array<[string, string]>;
  /** Bytes taken by the head including the blank line; the body (if any) follows. */
  headLength: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses the request head at the start of `buf`. Returns null when the blank line has not
 * arrived yet; throws Http1RequestError when the head is malformed or longer than `maxSize`.
 */
export function parseHttp1RequestHead(buf: Buffer, maxSize: number): Http1RequestHead | null {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length > maxSize) {
      throw new Http1RequestError(`HTTP/1.1 request head exceeds ${maxSize} bytes`, 'http1_head_too_large', 431);
    }
    return null;
  }
  if (end + 4 > maxSize) {
    throw new Http1RequestError(`HTTP/1.1 request head of ${end + 4} bytes exceeds ${maxSize}`, 'http1_head_too_large', 431);
  }
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const requestLine = lines[0]!.split(' ');
  if (requestLine.length !== 3 || !TOKEN.test(requestLine[0]!) || requestLine[1] === '' || !/^HTTP\/1\.[01]$/.test(requestLine[2]!)) {
    throw new Http1RequestError(`malformed HTTP/1.1 request line ${JSON.stringify(lines[0]!.slice(0, 100))}`, 'http1_bad_request_line', 400);
  }
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) {
      throw new Http1RequestError(`malformed HTTP/1.1 header line ${JSON.stringify(line.slice(0, 100))}`, 'http1_bad_header', 400);
    }
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { method: requestLine[0]!, target: requestLine[1]!, version: requestLine[2]!, headers, headLength: end + 4 };
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
    if (found !== undefined) throw new Http1RequestError(`more than one ${name} header field`, `http1_duplicate_${name.replace(/-/g, '_')}`, 400);
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

/** Most entries an HTTP2-Settings header may hold (as a SETTINGS frame: see ConnectionOptions.maxSettingsEntries). */
export const MAX_UPGRADE_SETTINGS_ENTRIES = 32;

/**
 * RFC 7540 section 3.2.1: HTTP2-Settings is a SETTINGS payload; one that a SETTINGS frame could
 * not carry (a value out of range, thousands of entries) makes the request unusable, so it is
 * refused with 400 before any 101 is written, rather than failing after the switch.
 */
function checkUpgradeSettings(payload: Buffer): void {
  const entries = payload.length / 6;
  if (entries > MAX_UPGRADE_SETTINGS_ENTRIES) {
    throw new Http1RequestError(`HTTP2-Settings holds ${entries} settings, more than ${MAX_UPGRADE_SETTINGS_ENTRIES}`, 'http1_bad_http2_settings', 400);
  }
  for (let offset = 0; offset < payload.length; offset += 6) {
    try {
      checkSettingValue(payload.readUInt16BE(offset), payload.readUInt32BE(offset + 2));
    } catch (err) {
      throw new Http1RequestError(`bad HTTP2-Settings: ${err instanceof Error ? err.message : String(err)}`, 'http1_bad_http2_settings', 400);
    }
  }
}

/**
 * Whether `head` asks for `Upgrade: h2c`; if so, the pieces needed to start HTTP/2 with it.
 * Returns null for an ordinary request. Throws Http1RequestError for a broken upgrade request.
 */
export function h2cUpgradeOf(head: Http1RequestHead): H2cUpgrade | null {
  if (!tokens(head.headers, 'upgrade').includes('h2c')) return null;
  const settings = single(head.headers, 'http2-settings');
  if (settings === undefined) return null; // RFC 7540 3.2.1: an upgrade without HTTP2-Settings is not an h2c upgrade
  if (!/^[A-Za-z0-9_-]*=*$/.test(settings)) {
    throw new Http1RequestError(`HTTP2-Settings is not base64url: ${JSON.stringify(settings.slice(0, 60))}`, 'http1_bad_http2_settings', 400);
  }
  const settingsPayload = Buffer.from(settings, 'base64url');
  if (settingsPayload.length % 6 !== 0) {
    throw new Http1RequestError(`HTTP2-Settings payload of ${settingsPayload.length} bytes is not a multiple of 6`, 'http1_bad_http2_settings', 400);
  }
  checkUpgradeSettings(settingsPayload);
  if (tokens(head.headers, 'transfer-encoding').length > 0) {
    throw new Http1RequestError('an h2c upgrade request with a chunked body is not supported; send content-length', 'http1_upgrade_chunked', 400);
  }
  const lengthField = single(head.headers, 'content-length');
  const contentLength = lengthField === undefined ? 0 : Number(lengthField);
  if (!Number.isSafeInteger(contentLength) || contentLength < 0 || !/^\d+$/.test(lengthField ?? '0')) {
    throw new Http1RequestError(`bad content-length ${JSON.stringify(lengthField)}`, 'http1_bad_content_length', 400);
  }
  const authority = single(head.headers, 'host') ?? '';
  const headers: Array<[string, string]> = [
    [':method', head.method],
    [':scheme', 'http'],
    [':authority', authority],
    [':path', head.target],
  ];
  const te = tokens(head.headers, 'te');
  for (const field of head.headers) {
    if (DROPPED.has(field[0])) continue;
    if (field[0] === 'te') continue;
    headers.push(field);
  }
  if (te.includes('trailers')) headers.push(['te', 'trailers']);
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
