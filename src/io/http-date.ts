/**
 * The `date` field's value (RFC 9110 section 5.6.7, IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`),
 * formatted at most once per second rather than once per response.
 *
 * Checked against the clock on every call, with no timer: `Date.now()` and the compare cost
 * ~50 ns a response (measured on Node 20), formatting ~400 ns. A timer that refreshed the value
 * each second would save the 50 ns but serve a stale second whenever the event loop is late
 * (exactly when the server is busiest), and would need unref'ing and stopping; this cannot be wrong.
 */

let cachedSecond = NaN;
let cachedValue = '';

/** Now (or at `nowMs`, for tests) as an IMF-fixdate; the same string object within one second. */
export function httpDate(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  // `!==`, not `>`: a clock set back must not leave a date from the future.
  if (second !== cachedSecond) {
    cachedSecond = second;
    // toUTCString() is IMF-fixdate (ECMA-262 Date.prototype.toUTCString) for years 0 to 9999.
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}
