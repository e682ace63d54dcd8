/**
 * Waiting in tests: the one polling helper, and the round trips that prove a moment has passed.
 *
 * A test waits on an event, never on a fixed sleep followed by a check: on a slow machine the
 * sleep ends before the event and the check passes without testing anything. When the event is
 * a state (a counter reaching a value, a flag set), `waitFor` polls it under a generous overall
 * timeout and fails loudly, naming what it waited for. When the check is negative ("X did not
 * happen"), wait for a later event that can only come after X would have: a PING round trip
 * after the frame in question (`pingRoundTrip`), or a later request's completion.
 */
import type http2 from 'node:http2';

export interface WaitOptions {
  /** What is awaited, for the failure message ("timed out after 5000 ms waiting for <what>"). */
  what: string;
  /** Overall limit, ms (default 5000): generous, the poll ends as soon as the predicate holds. */
  timeout?: number;
  /** Between two looks, ms (default 5). */
  interval?: number;
  /** Extra state for the failure message, computed when the wait fails. */
  detail?: () => string;
}

/**
 * Resolves once `predicate()` is true (looked at first at once, then every `interval` ms);
 * rejects after `timeout` ms with an error naming `what`. A string is short for `{ what }`.
 */
export async function waitFor(predicate: () => boolean, options: WaitOptions | string): Promise<void> {
  const { what, timeout = 5000, interval = 5, detail } = typeof options === 'string' ? { what: options } : options;
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${detail === undefined ? '' : ` (${detail()})`}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A PING round trip on a node:http2 session: when it resolves, the peer has processed every
 * frame we sent before the PING, and we have received every frame it sent before the ACK.
 */
export function pingRoundTrip(session: http2.Http2Session, timeout = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no PING ACK within ${timeout} ms`)), timeout);
    const sent = session.ping((err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    if (!sent) {
      clearTimeout(timer);
      reject(new Error('the PING could not be sent (too many unacknowledged PINGs)'));
    }
  });
}
