/**
 * `CheckedFields`: what the request checks on one connection already proved about the field
 * strings of the last well-formed request, so that the next request need not scan them again.
 *
 * Why it pays: a client sends nearly the same fields in the same order on every request, and
 * HPACK hands most of them back by index from the dynamic table, as the very string objects it
 * decoded when they were inserted. Comparing such a field with the one remembered at the same
 * position is then a pointer compare, where the checks of RFC 9113 section 8.2.1 scan every octet.
 *
 * Why it is sound: every property remembered here is a property of the string's content alone
 * (an octet scan), and a remembered string is only ever matched by `===`, which compares content.
 * A field that differs in any octet is checked in full; one equal to a remembered field has the
 * same octets, so the same verdict. Nothing is remembered before it passed, and the strings are
 * our own references, copied out of the list before the application sees it (it may change that
 * list, never a string). Checks whose answer depends on the rest of the message (order and
 * repetition of pseudo-headers, te, content-length, host against :authority, the required
 * pseudo-headers, :path against the method and scheme) are not remembered: they run every time.
 *
 * Bounded: at most REMEMBERED_OCTETS of field octets (the default HPACK table's size), so an idle
 * connection keeps no more of its last request alive than its HPACK table already does.
 */
import type { HeaderList } from './options.js';

/** Name + value octets of the fields remembered, at most (past it, the rest are checked every time). */
const REMEMBERED_OCTETS = 4096;
/** The longest :method, :path and :authority remembered. */
const REMEMBERED_TARGET = 1024;

export class CheckedFields {
  /**
   * Fields of the last well-formed request, in its order: each passed the character checks of
   * section 8.2.1 (name: a lowercase token, or a pseudo-header; value: no NUL, CR, LF, no
   * leading or trailing SP/HTAB) and, if regular, is not connection-specific and not a `te`
   * other than `trailers`.
   */
  private names: string[] = [];
  private values: string[] = [];
  private count = 0;
  /** A :method that is a token (null: none yet; never equal to a string). */
  method: string | null = null;
  /** A :path free of controls, SP and DEL (isValidTargetOctets). */
  path: string | null = null;
  /** An authority that passed isValidAuthority without requirePort. */
  authority: string | null = null;

  /** Whether field `i` of a list is `name: value`, equal to field `i` of the last well-formed request. */
  has(i: number, name: string, value: string): boolean {
    return i < this.count && this.values[i] === value && this.names[i] === name;
  }

  /** Remembers a request that passed every check (its method, :path and :authority: null if it had none). */
  remember(headers: HeaderList, method: string, path: string, authority: string | null): void {
    const names = this.names;
    const values = this.values;
    let budget = REMEMBERED_OCTETS;
    let n = 0;
    for (; n < headers.length; n++) {
      const field = headers[n]!;
      const size = field[0].length + field[1].length;
      if (size > budget) break;
      budget -= size;
      names[n] = field[0];
      values[n] = field[1];
    }
    // Let go of the strings of a longer earlier request.
    for (let i = n; i < this.count; i++) {
      names[i] = '';
      values[i] = '';
    }
    this.count = n;
    if (method.length <= REMEMBERED_TARGET) this.method = method;
    if (path.length <= REMEMBERED_TARGET) this.path = path;
    if (authority !== null && authority.length <= REMEMBERED_TARGET) this.authority = authority;
  }
}
