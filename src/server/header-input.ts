/** Turns the header forms users may give (pairs or an object; strings, numbers or bytes) into the connection's HeaderList. */
import { UsageError } from '../errors.js';
import type { HeadersInput } from './request-handler.js';

function text(v: string | Uint8Array | number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  throw new UsageError(`a header name or value must be a string, a number or a Uint8Array, got ${typeof v}`, 'header_bad_type');
}

/**
 * Appends `input`'s fields to `out` with lowercase names. Pseudo-header fields are the
 * library's to set (`:status`, `:method`, ...), so a user-given one is a UsageError.
 */
export function appendHeaders(out: Array<[string, string]>, input: HeadersInput | null | undefined, what: string): void {
  if (input === null || input === undefined) return;
  const add = (rawName: string | Uint8Array, rawValue: string | Uint8Array | number): void => {
    const name = text(rawName).toLowerCase();
    if (name.length === 0 || name.charCodeAt(0) === 0x3a /* ':' */) {
      throw new UsageError(`${what} may not contain the field ${JSON.stringify(name)}: pseudo-header fields are set by the library`, 'header_pseudo_by_user');
    }
    out.push([name, text(rawValue)]);
  };
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const field of input as Iterable<readonly [string | Uint8Array, string | Uint8Array | number]>) {
      if (!Array.isArray(field) || field.length < 2) {
        throw new UsageError(`${what} must be [name, value] pairs, got ${JSON.stringify(field)}`, 'header_bad_pair');
      }
      add(field[0], field[1]);
    }
    return;
  }
  for (const [name, value] of Object.entries(input as Record<string, string | number | readonly string[]>)) {
    if (Array.isArray(value)) for (const v of value as readonly string[]) add(name, v);
    else add(name, value as string | number);
  }
}
