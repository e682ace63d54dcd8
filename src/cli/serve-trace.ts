/**
 * `h2kit serve --verbose`: the server's `onFrame` option, writing one nghttp-style line per frame
 * received and sent (src/cli/frame-format.ts), each line labelled with its connection:
 *
 *   [id=1] [  0.002] recv HEADERS frame <length=31, flags=0x25, stream_id=1> ; END_STREAM | END_HEADERS | PRIORITY
 *             :method: GET
 *             :path: /
 *   [id=1] [  0.003] send DATA frame <length=712, flags=0x01, stream_id=1> ; END_STREAM
 */
import type { ConnectionInfo, TraceEvent } from 'h2kit';
import { frameWriter } from './frame-format.js';

/** The server's `onFrame` option for `-v`: every connection traced from its first byte, its times counted from its start (as nghttp's). */
export function traceServerFrames(write: (text: string) => void): (event: TraceEvent, connection: ConnectionInfo) => void {
  const writers = new WeakMap<ConnectionInfo, (event: TraceEvent, label?: string) => void>();
  return (event, connection) => {
    let writeEvent = writers.get(connection);
    if (writeEvent === undefined) writers.set(connection, (writeEvent = frameWriter(write)));
    writeEvent(event, `[id=${connection.id}]`);
  };
}
