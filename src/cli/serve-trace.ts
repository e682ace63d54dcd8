/**
 * `h2kit serve --verbose`: one line per frame received and sent, in the spirit of `nghttp -v`:
 *
 *   [id=1] [  0.002] recv HEADERS frame <length=31, flags=0x25, stream_id=1> ; END_STREAM | END_HEADERS | PRIORITY
 *             :method: GET
 *             :path: /
 *   [id=1] [  0.003] send DATA frame <length=712, flags=0x01, stream_id=1> ; END_STREAM
 *
 * Header blocks are printed as their fields (indented lines under the frame). The tracer works
 * on copies of the bytes each connection reads and writes (the server's `onBytes` option): the frame header is read
 * with the frame layer's `readFrameHeader`, each whole frame goes through a `FrameDecoder` for
 * its fields, header blocks through an `HDInflater` per direction that follows the peer's
 * table as the real one does. It never touches the connection's state; a frame it cannot
 * decode is printed raw and tracing of that direction stops.
 */
import { performance } from 'node:perf_hooks';
import { errorCodeName } from '../errors.js';
import { CONNECTION_PREFACE, FRAME_HEADER_SIZE, FrameDecoder, FrameFlags, FrameType, readFrameHeader, typeName } from '../frame/index.js';
import type { Frame } from '../frame/index.js';
import { HDInflater } from '../hpack/index.js';
import type { ConnectionInfo } from '../server/index.js';

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
const LENIENT = 16777215;

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

/**
 * One direction of one connection: splits bytes into frames and describes each, one line a
 * frame (header blocks as indented field lines). `label` is what the lines say ('recv' or
 * 'send'); `preface` says whether this direction starts with the 24-octet client preface
 * (a server's 'recv', a client's 'send'). Exported for `h2kit get -v` to print the same lines.
 */
export class DirectionTrace {
  private pending: Buffer = Buffer.alloc(0);
  private prefaceLeft: number;
  private readonly decoder = new FrameDecoder({ maxFrameSize: LENIENT });
  private readonly inflater = new HDInflater({ maxHeaderListSize: LENIENT, maxTableSize: LENIENT });
  /** A header block split over CONTINUATION frames, gathered until END_HEADERS. */
  private block: Buffer[] = [];
  private broken = false;

  constructor(
    private readonly label: 'recv' | 'send',
    private readonly prefix: () => string,
    private readonly write: (text: string) => void,
    preface: boolean = label === 'recv',
  ) {
    this.prefaceLeft = preface ? CONNECTION_PREFACE.length : 0;
  }

  feed(chunk: Buffer): void {
    if (this.broken || chunk.length === 0) return;
    let bytes = Buffer.from(chunk); // a copy: the connection may keep and reuse what it was given
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, bytes.length);
      this.prefaceLeft -= n;
      bytes = bytes.subarray(n);
      if (this.prefaceLeft === 0) this.write(`${this.prefix()} ${this.label} connection preface\n`);
    }
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    let offset = 0;
    while (this.pending.length - offset >= FRAME_HEADER_SIZE) {
      const header = readFrameHeader(this.pending, offset);
      const end = offset + FRAME_HEADER_SIZE + header.length;
      if (end > this.pending.length) break;
      this.describe(header.type, header.flags, header.streamId, header.length, this.pending.subarray(offset, end));
      if (this.broken) return;
      offset = end;
    }
    this.pending = this.pending.subarray(offset);
  }

  private describe(type: number, flags: number, streamId: number, length: number, raw: Buffer): void {
    const flagText = flagNames(type, flags);
    let line = `${this.prefix()} ${this.label} ${typeName(type)} frame <length=${length}, flags=0x${flags.toString(16).padStart(2, '0')}, stream_id=${streamId}>`;
    if (flagText.length > 0) line += ` ; ${flagText.join(' | ')}`;
    let frame: Frame | null = null;
    try {
      this.decoder.push(raw);
      frame = this.decoder.next();
    } catch (err) {
      // A stream-level rejection (e.g. a bad PRIORITY length) leaves the decoder usable.
      if ((err as { streamId?: unknown }).streamId === undefined) this.broken = true;
      line += ` (invalid: ${(err as Error).message})`;
    }
    const details = frame === null ? '' : this.details(frame);
    this.write(line + details + '\n');
  }

  private details(frame: Frame): string {
    switch (frame.type) {
      case FrameType.SETTINGS:
        return frame.settings.map(([id, v]) => `\n${INDENT}[${SETTING_NAMES[id] ?? `UNKNOWN_0x${id.toString(16)}`}(0x${id.toString(16).padStart(2, '0')}):${v}]`).join('');
      case FrameType.WINDOW_UPDATE:
        return ` (window_size_increment=${frame.increment})`;
      case FrameType.RST_STREAM:
        return ` (error_code=${errorCodeName(frame.errorCode)}(0x${frame.errorCode.toString(16).padStart(2, '0')}))`;
      case FrameType.GOAWAY:
        return ` (last_stream_id=${frame.lastStreamId}, error_code=${errorCodeName(frame.errorCode)}(0x${frame.errorCode.toString(16).padStart(2, '0')}), opaque_data(${frame.debugData.length})=[${frame.debugData.toString('latin1')}])`;
      case FrameType.PING:
        return ` (opaque_data=${frame.data.toString('hex')})`;
      case FrameType.PUSH_PROMISE:
        return ` (promised_stream_id=${frame.promisedStreamId})` + this.fields(frame.fragment, frame.endHeaders);
      case FrameType.HEADERS:
        return this.fields(frame.fragment, frame.endHeaders);
      case FrameType.CONTINUATION:
        return this.fields(frame.fragment, frame.endHeaders);
      default:
        return '';
    }
  }

  /** The fields of a complete header block, one indented line each. */
  private fields(fragment: Buffer, endHeaders: boolean): string {
    this.block.push(Buffer.from(fragment));
    if (!endHeaders) return '';
    const block = Buffer.concat(this.block);
    this.block = [];
    let out = '';
    try {
      for (const [name, value] of this.inflater.inflate(block)) out += `\n${INDENT}${name.toString('latin1')}: ${value.toString('latin1')}`;
    } catch (err) {
      out += `\n${INDENT}(header block not decoded: ${(err as Error).message})`;
    }
    return out;
  }
}

/** Traces one session's frames to `write`. */
export class SessionTrace {
  readonly received: DirectionTrace;
  readonly sent: DirectionTrace;

  constructor(id: number, start: number, write: (text: string) => void) {
    const prefix = (): string => `[id=${id}] [${((performance.now() - start) / 1000).toFixed(3).padStart(7)}]`;
    this.received = new DirectionTrace('recv', prefix, write);
    this.sent = new DirectionTrace('send', prefix, write);
  }
}

/**
 * The server's `onBytes` option for `h2kit serve -v`: traces every connection from its first
 * byte, each with its own numbered SessionTrace.
 */
export function traceServerBytes(write: (text: string) => void): (direction: 'recv' | 'send', chunk: Buffer, connection: ConnectionInfo) => void {
  const traces = new WeakMap<ConnectionInfo, SessionTrace>();
  const start = performance.now();
  return (direction, chunk, connection) => {
    let trace = traces.get(connection);
    if (trace === undefined) traces.set(connection, (trace = new SessionTrace(connection.id, start, write)));
    (direction === 'recv' ? trace.received : trace.sent).feed(chunk);
  };
}
