/**
 * `OutgoingCheck`: `checkSendable` (field-validation.ts) for one connection, skipped for a list
 * equal to the last one that passed. A server sends the same response fields over and over (a
 * static file's 200: a dozen fields, `date` changing once a second), and comparing the strings
 * (the same string objects, mostly, so most compare by pointer) costs less than scanning every
 * name and value again. Only what passed is remembered, so a list refused once is refused again.
 *
 * A list its sender vouches for (`checked`: the server's response made of PreparedHeaders, whose
 * fields were checked when prepared, behind a `:status`, `date` and content-length of its own) is
 * not scanned at all when no size limit applies: that holds whatever the last list was, so a
 * server answering with many different prepared lists gets the saving too.
 */
import { checkSendable } from './field-validation.js';
import type { HeaderList } from './options.js';

export class OutgoingCheck {
  /** Names and values of the last list that passed, one after the other (reused, not reallocated). */
  private readonly strings: string[] = [];
  /** The peer limit it passed under (NaN: nothing passed yet). */
  private limit = Number.NaN;

  /** Throws UsageError as `checkSendable` does. */
  check(headers: HeaderList, peerLimit: number, checked = false): void {
    if (checked && peerLimit === Infinity) return;
    if (peerLimit === this.limit && this.isLast(headers)) return;
    this.limit = Number.NaN;
    checkSendable(headers, peerLimit);
    const strings = this.strings;
    strings.length = 0;
    for (let i = 0; i < headers.length; i++) strings.push(headers[i]![0], headers[i]![1]);
    this.limit = peerLimit;
  }

  private isLast(headers: HeaderList): boolean {
    const strings = this.strings;
    if (strings.length !== headers.length * 2) return false;
    for (let i = 0, j = 0; i < headers.length; i++, j += 2) {
      const field = headers[i]!;
      if (field[0] !== strings[j] || field[1] !== strings[j + 1]) return false;
    }
    return true;
  }
}
