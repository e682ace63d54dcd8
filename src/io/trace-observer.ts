/**
 * The byte observer a ConnectionDriver calls with every chunk read and written, made from the
 * `onFrame` / `onBytes` options both roles have: raw bytes to `onBytes`, and the same bytes
 * through one FrameTracer per direction to `onFrame`. Nothing is made when neither is set.
 */
import { FrameTracer, type FrameDirection, type TraceEvent } from '../frame/trace.js';

export type ByteObserver = (direction: FrameDirection, chunk: Buffer) => void;

/**
 * `prefaceOn`: the direction that starts with the client connection preface (the client's
 * 'send', the server's 'recv'). Returns null when neither observer is set.
 */
export function traceObserver(
  onFrame: ((event: TraceEvent) => void) | null,
  onBytes: ByteObserver | null,
  prefaceOn: FrameDirection,
): ByteObserver | null {
  if (onFrame === null && onBytes === null) return null;
  const recv = onFrame === null ? null : new FrameTracer('recv', onFrame, prefaceOn === 'recv');
  const send = onFrame === null ? null : new FrameTracer('send', onFrame, prefaceOn === 'send');
  return (direction, chunk) => {
    if (onBytes !== null) onBytes(direction, chunk);
    if (direction === 'recv') recv?.push(chunk);
    else send?.push(chunk);
  };
}
