/**
 * The response's header fields as node's compatibility API keeps them: by lowercase
 * name, values as given (a string, a number, or an array for repeated fields), checked when
 * set with node's errors, turned into our field list when the response starts.
 */
import { isConnectionSpecificField, isToken, isValidFieldValue } from '../../connection/index.js';
import { compatErrors } from './compat-errors.js';

export type OutgoingValue = string | number | readonly string[];
export type OutgoingFields = Record<string, OutgoingValue>;

/**
 * Fields that describe one HTTP/1.1 connection (RFC 9113 section 8.2.2, and the h2c upgrade's
 * HTTP2-Settings): never sent over HTTP/2. node:http2 drops them (with a warning); we drop them
 * from HTTP/2 responses only, since over HTTP/1.1 (`allowHTTP1`) they mean what they say.
 */
function isHttp1OnlyField(name: string): boolean {
  return isConnectionSpecificField(name) || name === 'http2-settings';
}

/** A new empty field object (no prototype: any name is a plain key). */
export function emptyFields(): OutgoingFields {
  return Object.create(null) as OutgoingFields;
}

/** Checks one field as node:http2's `setHeader` does; returns the lowercase name. */
export function checkedName(name: unknown, value: unknown): string {
  if (typeof name !== 'string') throw compatErrors.argType('name', 'of type string', name);
  if (name.length === 0) throw compatErrors.invalidToken('Header name', name);
  const lower = name.trim().toLowerCase();
  if (lower.charCodeAt(0) === 0x3a) throw compatErrors.pseudoHeader();
  if (!isToken(lower)) throw compatErrors.invalidToken('Header name', name);
  if (value === undefined || value === null) throw compatErrors.invalidHeaderValue(value, lower);
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) checkValue(lower, v);
  } else {
    checkValue(lower, value);
  }
  return lower;
}

function checkValue(name: string, value: unknown): void {
  if (typeof value === 'number') return;
  if (typeof value !== 'string') throw compatErrors.invalidHeaderValue(value, name);
  if (!isValidFieldValue(value.trim())) throw compatErrors.invalidChar(name);
}

/** Copies `value` (arrays are copied so later edits of the caller's array change nothing). */
export function storedValue(value: OutgoingValue): OutgoingValue {
  return Array.isArray(value) ? [...(value as string[])] : value;
}

/** The fields of `input` as `[name, value]` pairs: an object, a flat `[name, value, ...]` list, or a list of pairs. */
export function entriesOf(input: unknown): Array<[unknown, unknown]> {
  if (input === null || input === undefined) return [];
  if (Array.isArray(input)) {
    if (input.length > 0 && !Array.isArray(input[0])) {
      if (input.length % 2 !== 0) throw compatErrors.argValue('headers', input, 'must have an even number of entries');
      const out: Array<[unknown, unknown]> = [];
      for (let i = 0; i < input.length; i += 2) out.push([input[i], input[i + 1]]);
      return out;
    }
    return (input as unknown[][]).map((pair) => [pair[0], pair[1]]);
  }
  if (typeof input !== 'object') throw compatErrors.argType('headers', 'of type object', input);
  return Object.entries(input);
}

/** Both values as one list value (a field set again within one writeHead, or appended). */
export function joinedValue(had: OutgoingValue, value: OutgoingValue): string[] {
  return [...(Array.isArray(had) ? (had as string[]) : [String(had)]), ...(Array.isArray(value) ? (value as string[]) : [String(value)])];
}

/** The fields as our list, repeated fields as one pair per value; HTTP/2 responses lose the connection fields. */
export function fieldListOf(fields: ReadonlyMap<string, OutgoingValue>, http2: boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of fields) {
    if (http2 && isHttp1OnlyField(name)) continue;
    if (Array.isArray(value)) for (const v of value as string[]) out.push([name, String(v)]);
    else out.push([name, typeof value === 'string' ? value : String(value)]);
  }
  return out;
}
