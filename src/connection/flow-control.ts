/**
 * Flow-control accounting (RFC 9113 sections 5.2 and 6.9), for both levels, in one place.
 *
 * A `FlowWindows` record (a Stream, or the connection's own record for stream 0) holds:
 * - `sendWindow`: octets of DATA we may still send (may go negative after a SETTINGS change);
 * - `recvWindow`: octets of DATA the peer may still send us;
 * - `recvTarget`: the window size we want the peer to have (our initial window);
 * - `recvUnacked`: octets the application has consumed that we have not yet returned with
 *   WINDOW_UPDATE. Credit is returned in batches, once it reaches half the target, so a stream
 *   of small DATA frames does not cause a stream of tiny WINDOW_UPDATEs.
 */
import { MAX_WINDOW } from './settings.js';

export interface FlowWindows {
  sendWindow: number;
  recvWindow: number;
  recvTarget: number;
  recvUnacked: number;
}

/** Accounts `length` received octets against the receive window; false if the peer exceeded it. */
export function receiveFlow(w: FlowWindows, length: number): boolean {
  if (length > w.recvWindow) return false;
  w.recvWindow -= length;
  return true;
}

/**
 * Records that `length` received octets are processed. Returns the WINDOW_UPDATE increment to
 * send now (0 while the credit is below the batching threshold). Credit is capped so that a
 * user who consumes more than was received cannot inflate the window past the target.
 */
export function consumeFlow(w: FlowWindows, length: number): number {
  const room = w.recvTarget - w.recvWindow - w.recvUnacked;
  if (length > room) length = room;
  if (length <= 0) return 0;
  w.recvUnacked += length;
  if (w.recvUnacked < w.recvTarget >>> 1 && w.recvWindow > 0) return 0;
  const increment = w.recvUnacked;
  w.recvUnacked = 0;
  w.recvWindow += increment;
  return increment;
}

/** Adds a WINDOW_UPDATE increment to the send window; false if it would pass 2^31-1 (section 6.9.1). */
export function increaseSendWindow(w: FlowWindows, increment: number): boolean {
  if (w.sendWindow + increment > MAX_WINDOW) return false;
  w.sendWindow += increment;
  return true;
}

/**
 * Applies a change of the peer's SETTINGS_INITIAL_WINDOW_SIZE to a stream's send window
 * (section 6.9.2: by the difference; the result may be negative). False on overflow.
 */
export function adjustSendWindow(w: FlowWindows, delta: number): boolean {
  const next = w.sendWindow + delta;
  if (next > MAX_WINDOW) return false;
  w.sendWindow = next;
  return true;
}

/** Applies a change of our own (now acknowledged) initial window to a stream's receive window. */
export function adjustReceiveWindow(w: FlowWindows, newTarget: number): void {
  const delta = newTarget - w.recvTarget;
  w.recvTarget = newTarget;
  w.recvWindow += delta;
  if (w.recvUnacked > newTarget) w.recvUnacked = newTarget;
}
