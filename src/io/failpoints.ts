/**
 * Failpoints: named places on a socket's path (a read, a timer, a TLS event, the sniffing of the
 * first bytes...) where a test can make h2kit throw, to prove that an exception there ends one
 * connection and never escapes to the process. In production no failpoint is armed and each
 * place costs one comparison with null.
 *
 * This is a test seam, not an API: arm failpoints only in tests, and disarm them afterwards.
 */

/** The places a failpoint can be armed, one for each way the event loop calls into a connection. */
export type FailpointName =
  // The listener and the TLS handshake.
  | 'accept'
  | 'tls-secure'
  | 'tls-client-error'
  | 'handshake-timeout'
  // The first bytes of a connection (preface or HTTP/1.1 head) and the h2c upgrade.
  | 'sniff-data'
  | 'sniff-end'
  | 'sniff-error'
  | 'sniff-timeout'
  | 'upgrade'
  // An HTTP/2 session's socket, timers, deferred flushes and wake-ups.
  | 'session-data'
  | 'session-end'
  | 'session-drain'
  | 'session-error'
  | 'session-close'
  | 'session-timeout'
  | 'session-timer'
  | 'session-idle-timer'
  | 'session-flush'
  | 'session-settled'
  | 'session-body-wake'
  | 'session-heartbeat'
  // An HTTP/1.1 connection (node:http parses it): a request, its events, the h2c upgrade.
  | 'http1-request'
  | 'http1-event'
  | 'http1-upgrade';

let armed: Map<FailpointName, (name: FailpointName) => void> | null = null;

/** Throws (or does whatever the test armed) when `name` is armed; nothing otherwise. */
export function failpoint(name: FailpointName): void {
  if (armed === null) return;
  const action = armed.get(name);
  if (action !== undefined) action(name);
}

/** Arms `name`: by default it throws an Error saying which failpoint fired. */
export function armFailpoint(name: FailpointName, action?: (name: FailpointName) => void): void {
  armed ??= new Map();
  armed.set(
    name,
    action ??
      ((n) => {
        throw new Error(`failpoint ${n}`);
      }),
  );
}

/** Disarms one failpoint, or all of them. */
export function disarmFailpoints(name?: FailpointName): void {
  if (armed === null) return;
  if (name === undefined) armed.clear();
  else armed.delete(name);
  if (armed.size === 0) armed = null;
}
