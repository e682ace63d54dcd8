/**
 * The guard on a listener the event loop calls for a socket before it is an HTTP/2 session
 * (accept, TLS events, the handshake deadline, the sniffing of the first bytes, the upgrade): an
 * exception in it ends that socket and is reported, and never reaches the process. (A session
 * guards its own listeners: see ServerSession.fault.)
 */
import net from 'node:net';
import { failpoint, type FailpointName } from '../io/failpoints.js';

/** Wraps `fn`; the socket to end is the listener's first socket argument, or what `socketOf` returns. */
export type ListenerGuard = <A extends unknown[]>(where: FailpointName, fn: (...args: A) => void, socketOf?: () => net.Socket) => (...args: A) => void;

/** A guard that reports each caught exception to `report` (with the client's address when known). */
export function listenerGuard(report: (err: unknown, where: FailpointName, client: readonly [string, number] | null) => void): ListenerGuard {
  return <A extends unknown[]>(where: FailpointName, fn: (...args: A) => void, socketOf?: () => net.Socket) =>
    (...args: A): void => {
      try {
        failpoint(where);
        fn(...args);
      } catch (err) {
        const socket = socketOf?.() ?? (args.find((a) => a instanceof net.Socket) as net.Socket | undefined) ?? null;
        report(err, where, socket === null ? null : [socket.remoteAddress ?? '', socket.remotePort ?? 0]);
        socket?.destroy();
      }
    };
}
