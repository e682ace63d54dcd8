/**
 * The nghttp-style text of a frame trace (`h2kit serve -v`, `h2kit get -v`), one line per frame
 * and header fields as indented lines under the frame that completes their block:
 *
 *   recv HEADERS frame <length=31, flags=0x25, stream_id=1> ; END_STREAM | END_HEADERS | PRIORITY
 *             :method: GET
 *             :path: /
 *   send DATA frame <length=712, flags=0x01, stream_id=1> ; END_STREAM
 *
 * It formats the trace events of the frame layer's FrameTracer (src/frame/trace.ts), which both
 * the server and the client produce through their `onFrame` option.
 */
import { performance } from 'node:perf_hooks';
import { errorCodeName, FrameFlags, FrameType, frameTypeName, type Frame, type TraceEvent } from 'h2kit';

const SETTING_NAMES: Record<number, string> = {
  1: 'SETTINGS_HEADER_TABLE_SIZE',
  2: 'SETTINGS_ENABLE_PUSH',
  3: 'SETTINGS_MAX_CONCURRENT_STREAMS',
  4: 'SETTINGS_INITIAL_WINDOW_SIZE',
  5: 'SETTINGS_MAX_FRAME_SIZE',
  6: 'SETTINGS_MAX_HEADER_LIST_SIZE',
  8: 'SETTINGS_ENABLE_CONNECT_PROTOCOL',
};
const INDENT = '          ';

/** The text of one trace event: its line, plus indented field lines; ends with a newline. */
export function formatTraceEvent(event: TraceEvent): string {
  const label = event.direction;
  if (event.preface === true) return `${label} connection preface\n`;
  const { type, flags } = event;
  let line = `${label} ${frameTypeName(type)} frame <length=${event.length}, flags=0x${flags.toString(16).padStart(2, '0')}, stream_id=${event.streamId}>`;
  const flagText = flagNames(type, flags);
  if (flagText.length > 0) line += ` ; ${flagText.join(' | ')}`;
  if (event.error !== undefined && event.frame === null) return `${line} (invalid: ${messageOf(event.error)})\n`;
  if (event.frame !== null) line += details(event.frame);
  if (event.headers !== null) for (const [name, value] of event.headers) line += `\n${INDENT}${name}: ${value}`;
  else if (event.error !== undefined) line += `\n${INDENT}(not accepted: ${messageOf(event.error)})`;
  return line + '\n';
}

/** An `onFrame` observer writing each event's text after `[elapsed seconds]` (and a connection label, when given). */
export function frameWriter(write: (text: string) => void, start = performance.now()): (event: TraceEvent, label?: string) => void {
  return (event, label) => {
    const time = `[${((performance.now() - start) / 1000).toFixed(3).padStart(7)}]`;
    write(`${label === undefined ? '' : `${label} `}${time} ${formatTraceEvent(event)}`);
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function flagNames(type: number, flags: number): string[] {
  const names: string[] = [];
  if ((type === FrameType.DATA || type === FrameType.HEADERS) && flags & FrameFlags.END_STREAM) names.push('END_STREAM');
  if ((type === FrameType.SETTINGS || type === FrameType.PING) && flags & FrameFlags.ACK) names.push('ACK');
  if ((type === FrameType.HEADERS || type === FrameType.PUSH_PROMISE || type === FrameType.CONTINUATION) && flags & FrameFlags.END_HEADERS) {
    names.push('END_HEADERS');
  }
  if ((type === FrameType.DATA || type === FrameType.HEADERS || type === FrameType.PUSH_PROMISE) && flags & FrameFlags.PADDED) names.push('PADDED');
  if (type === FrameType.HEADERS && flags & FrameFlags.PRIORITY) names.push('PRIORITY');
  return names;
}

function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** What a frame says beyond its header, on the same line. */
function details(frame: Frame): string {
  switch (frame.type) {
    case FrameType.SETTINGS:
      return frame.settings.map(([id, v]) => `\n${INDENT}[${SETTING_NAMES[id] ?? `UNKNOWN_0x${id.toString(16)}`}(${hex2(id)}):${v}]`).join('');
    case FrameType.WINDOW_UPDATE:
      return ` (window_size_increment=${frame.increment})`;
    case FrameType.RST_STREAM:
      return ` (error_code=${errorCodeName(frame.errorCode)}(${hex2(frame.errorCode)}))`;
    case FrameType.GOAWAY:
      return ` (last_stream_id=${frame.lastStreamId}, error_code=${errorCodeName(frame.errorCode)}(${hex2(frame.errorCode)}), opaque_data(${frame.debugData.length})=[${frame.debugData.toString('latin1')}])`;
    case FrameType.PING:
      return ` (opaque_data=${frame.data.toString('hex')})`;
    case FrameType.PUSH_PROMISE:
      return ` (promised_stream_id=${frame.promisedStreamId})`;
    default:
      return '';
  }
}
