/**
 * What the first bytes of a connection say it speaks, before any HTTP/2 or HTTP/1.1 parsing: the
 * client preface (RFC 9113 section 3.4), an HTTP/1.x request line (RFC 9112 section 3), or
 * neither. Judged octet by octet as they arrive, so that a TLS ClientHello sent to a cleartext port,
 * binary noise or `INVALID CONNECTION PREFACE` is refused at its first impossible octet instead of
 * holding a socket until the handshake deadline.
 *
 * The request line is held to RFC 9112's grammar: a method token (at most MAX_METHOD_LENGTH
 * octets), one SP, a target without controls, SP or DEL, one SP, `HTTP/1.` and a digit, CRLF.
 * Up to MAX_LEADING_EMPTY_LINES empty lines may come first (section 2.2). Only the request line
 * is judged here; the head after it is node:http's (http1-gateway.ts), and how much is buffered
 * while the verdict is 'need-more' is the caller's limit (maxHttp1HeadSize).
 *
 * The scan is pure and resumable: pass the previous result back with the grown buffer and it
 * goes on from the octet where it stopped, so a line dribbled an octet a read is scanned once.
 */
import { CONNECTION_PREFACE } from '../frame/index.js';
import { isToken, isValidTargetOctets } from '../connection/index.js';
import { MAX_LEADING_EMPTY_LINES, MAX_METHOD_LENGTH } from './http1.js';

/**
 * - `preface`: the 24-octet HTTP/2 client preface is complete;
 * - `http1`: an HTTP/1.x request line is complete (its head follows);
 * - `need-more`: a prefix of either, so far;
 * - `garbage`: neither, whatever comes next.
 */
export type FirstBytesVerdict = 'preface' | 'http1' | 'need-more' | 'garbage';

/** Where the request-line grammar stands at `offset`. */
const enum Phase {
  /** Before the method, or after an empty line. */
  LINE_START,
  /** Read the CR of an empty line. */
  EMPTY_LINE_LF,
  METHOD,
  /** Read the SP after the method: the target's first octet is due. */
  TARGET_START,
  TARGET,
  /** After the SP that ends the target: `count` octets of `HTTP/1.D\r\n` matched. */
  VERSION,
}

export interface FirstBytesScan {
  readonly verdict: FirstBytesVerdict;
  /** Octets of the request line judged so far: the next call resumes there. */
  readonly offset: number;
  readonly phase: Phase;
  /** Empty lines seen (LINE_START, EMPTY_LINE_LF), method octets (METHOD), or version octets matched (VERSION). */
  readonly count: number;
}

export const FIRST_BYTES_START: FirstBytesScan = Object.freeze({ verdict: 'need-more', offset: 0, phase: Phase.LINE_START, count: 0 });

// The octet rules of RFC 9112's request line (token, request-target octets), one table each.
const TOKEN_OCTET = new Uint8Array(256);
const TARGET_OCTET = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if (isToken(String.fromCharCode(c))) TOKEN_OCTET[c] = 1;
  if (isValidTargetOctets(String.fromCharCode(c))) TARGET_OCTET[c] = 1;
}

/** `HTTP/1.`, a digit (0x00 stands for it), CR, LF. */
const VERSION_OCTETS = Buffer.from('HTTP/1.\0\r\n', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

function isPrefacePrefix(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, CONNECTION_PREFACE.length);
  for (let i = 0; i < n; i++) if (buf[i] !== CONNECTION_PREFACE[i]) return false;
  return true;
}

/**
 * Judges `buf`, the first bytes of a connection (all of them so far), going on from `from`, the
 * result of the previous call on a shorter prefix of the same bytes. Never throws; the work is
 * linear in the octets not yet judged (plus at most the 24 of the preface).
 */
export function classifyFirstBytes(buf: Uint8Array, from: FirstBytesScan = FIRST_BYTES_START): FirstBytesScan {
  if (from.verdict !== 'need-more') return from;
  // The preface is itself a plausible request line up to its `HTTP/2`: while it still matches, it wins.
  if (isPrefacePrefix(buf)) {
    return buf.length >= CONNECTION_PREFACE.length ? { verdict: 'preface', offset: from.offset, phase: from.phase, count: from.count } : from;
  }
  let phase = from.phase;
  let count = from.count;
  for (let i = from.offset; i < buf.length; i++) {
    const c = buf[i]!;
    switch (phase) {
      case Phase.LINE_START:
        if (c === CR && count < MAX_LEADING_EMPTY_LINES) {
          phase = Phase.EMPTY_LINE_LF;
        } else if (TOKEN_OCTET[c] === 1) {
          phase = Phase.METHOD;
          count = 1;
        } else {
          return garbage(i);
        }
        break;
      case Phase.EMPTY_LINE_LF:
        if (c !== LF) return garbage(i);
        phase = Phase.LINE_START;
        count++;
        break;
      case Phase.METHOD:
        if (c === SP) {
          phase = Phase.TARGET_START;
        } else if (TOKEN_OCTET[c] === 1 && count < MAX_METHOD_LENGTH) {
          count++;
        } else {
          return garbage(i);
        }
        break;
      case Phase.TARGET_START:
        if (TARGET_OCTET[c] !== 1) return garbage(i);
        phase = Phase.TARGET;
        break;
      case Phase.TARGET:
        if (c === SP) {
          phase = Phase.VERSION;
          count = 0;
        } else if (TARGET_OCTET[c] !== 1) {
          return garbage(i);
        }
        break;
      case Phase.VERSION: {
        const want = VERSION_OCTETS[count]!;
        if (want === 0 ? c < 0x30 || c > 0x39 : c !== want) return garbage(i);
        count++;
        if (count === VERSION_OCTETS.length) return { verdict: 'http1', offset: i + 1, phase, count };
        break;
      }
    }
  }
  return { verdict: 'need-more', offset: buf.length, phase, count };
}

function garbage(at: number): FirstBytesScan {
  return { verdict: 'garbage', offset: at, phase: Phase.LINE_START, count: 0 };
}
