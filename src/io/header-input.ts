/**
 * Turns the header forms users may give (pairs or an object; strings, numbers or bytes) into the
 * connection's HeaderList. Shared by server responses/pushes and client requests.
 */
import { UsageError } from '../errors.js';

/** A header field as users may give it: names and values as strings (UTF-8) or bytes. */
export type HeaderInput = readonly [string | Uint8Array, string | Uint8Array | number];
/** Header fields as a list of pairs (order and duplicates kept) or as an object. */
export type HeadersInput = Iterable<HeaderInput> | Record<string, string | number | readonly string[]>;

type Text = string | Uint8Array | number;

function text(v: Text): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  throw new UsageError(`a header name or value must be a string, a number or a Uint8Array, got ${typeof v}`, 'header_bad_type');
}

/**
 * The last names lowercased, by length (a name's length tells most names apart): handlers pass
 * the same name strings with each response, nearly always literals, so a hit is one pointer
 * compare where `toLowerCase()` costs a call out of JIT code (~200 instructions) even for a
 * name that is lowercase already.
 */
const givenNames: string[] = new Array<string>(32).fill('');
const lowerNames: string[] = new Array<string>(32).fill('');

function lowerCase(name: string): string {
  const k = name.length & 31;
  if (givenNames[k] === name) return lowerNames[k]!;
  const lower = name.toLowerCase();
  givenNames[k] = name;
  lowerNames[k] = lower;
  return lower;
}

/**
 * One field: lowercase name; pseudo-header fields are the library's to set (`:status`, `:method`, ...).
 * `flat`: `out` is a flat `[name, value, name, value...]` list (what node:http's writeHead takes), else pairs.
 */
function add(out: unknown[], rawName: string | Uint8Array, rawValue: Text, what: string, flat: boolean): void {
  const name = lowerCase(text(rawName));
  if (name.length === 0 || name.charCodeAt(0) === 0x3a /* ':' */) {
    throw new UsageError(`${what} may not contain the field ${JSON.stringify(name)}: pseudo-header fields are set by the library`, 'header_pseudo_by_user');
  }
  if (flat) out.push(name, text(rawValue));
  else out.push([name, text(rawValue)]);
}

/** Appends `input`'s fields to `out` (see `add`). Throws UsageError for malformed input. */
export function appendHeaders(out: Array<[string, string]>, input: HeadersInput | null | undefined, what: string): void {
  appendTo(out, input, what, false);
}

/** As appendHeaders, to a flat `[name, value, name, value...]` list (for node:http's writeHead, without a pair per field). */
export function appendHeadersFlat(out: string[], input: HeadersInput | null | undefined, what: string): void {
  appendTo(out, input, what, true);
}

function appendTo(out: unknown[], input: HeadersInput | null | undefined, what: string, flat: boolean): void {
  if (input === null || input === undefined) return;
  if (Array.isArray(input)) {
    // The common form, without an iterator.
    for (let i = 0; i < input.length; i++) {
      const field = input[i] as unknown;
      if (!Array.isArray(field) || field.length < 2) {
        throw new UsageError(`${what} must be [name, value] pairs, got ${JSON.stringify(field)}`, 'header_bad_pair');
      }
      add(out, field[0] as string | Uint8Array, field[1] as Text, what, flat);
    }
    return;
  }
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const field of input as Iterable<unknown>) {
      if (!Array.isArray(field) || field.length < 2) {
        throw new UsageError(`${what} must be [name, value] pairs, got ${JSON.stringify(field)}`, 'header_bad_pair');
      }
      add(out, field[0] as string | Uint8Array, field[1] as Text, what, flat);
    }
    return;
  }
  for (const [name, value] of Object.entries(input as Record<string, Text | readonly string[]>)) {
    if (Array.isArray(value)) for (const v of value as readonly string[]) add(out, name, v, what, flat);
    else add(out, name, value as Text, what, flat);
  }
}

/**
 * A response's content-length field value as a number; `declared`: the one before it in the same
 * list, -1 for none (a second is refused, even an equal one). Throws UsageError.
 */
export function contentLengthOf(value: string, declared: number): number {
  if (declared !== -1 || !isDigits(value)) {
    throw new UsageError(`response content-length must be one non-negative integer, got ${JSON.stringify(value)}`, 'response_bad_content_length');
  }
  return Number(value);
}

function isDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * The value of the field `name` (any case) in `fields` (names lowercase, as received), or
 * undefined: several fields of that name are joined with ", " (RFC 9110 section 5.3). The lookup
 * of request handlers and of client responses (`getHeader`).
 */
export function fieldValue(fields: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value: string | undefined;
  for (const [n, v] of fields) if (n === wanted) value = value === undefined ? v : `${value}, ${v}`;
  return value;
}
