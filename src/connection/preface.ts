/**
 * `Preface`: the connection preface (RFC 9113 section 3.4), the 24 octets a client sends before
 * anything else. A client's goes out ahead of its first frames (`takePrefix`); a server checks
 * the client's as it arrives, in any split (`check`). The SETTINGS frame that must follow it
 * on both sides is the connection's first-frame check.
 */
import { EMPTY_BUFFER } from '../buffer-pool.js';
import { ConnectionError, ErrorCode } from '../errors.js';
import { CONNECTION_PREFACE } from '../frame/constants.js';

const EMPTY = EMPTY_BUFFER;

export class Preface {
  /** Octets of the client preface checked so far (all of them on a client: it has none to check). */
  private checked: number;
  /** The octets to write before the writer's first frames (the client's preface), null once taken or on a server. */
  private prefix: Buffer | null;

  constructor(isServer: boolean) {
    this.checked = isServer ? 0 : CONNECTION_PREFACE.length;
    this.prefix = isServer ? null : CONNECTION_PREFACE;
  }

  /** False while a server still waits for (part of) the client preface. */
  get received(): boolean {
    return this.checked === CONNECTION_PREFACE.length;
  }

  /** Server: checks the next octets of the client preface in `chunk`; returns what follows it. Throws PROTOCOL_ERROR on a mismatch. */
  check(chunk: Buffer): Buffer {
    const from = this.checked;
    const n = Math.min(CONNECTION_PREFACE.length - from, chunk.length);
    for (let i = 0; i < n; i++) {
      if (chunk[i] !== CONNECTION_PREFACE[from + i]) {
        throw new ConnectionError('the client connection preface is wrong', ErrorCode.PROTOCOL_ERROR, 'preface_invalid');
      }
    }
    this.checked = from + n;
    return n === chunk.length ? EMPTY : chunk.subarray(n);
  }

  /** Octets of the client preface not yet taken. */
  get pending(): number {
    return this.prefix === null ? 0 : this.prefix.length;
  }

  /** Client: the preface, the first time (null after, and on a server). */
  takePrefix(): Buffer | null {
    const prefix = this.prefix;
    this.prefix = null;
    return prefix;
  }
}
