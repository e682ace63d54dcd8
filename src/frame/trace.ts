/**
 * A frame trace for debugging tools (`h2kit get -v`, `h2kit serve -v`, the server's and the
 * client's `onFrame` option): decodes a copy of the bytes going each
 * way with its own FrameDecoder and HDInflater, so the trace sees exactly what crossed the
 * wire (header blocks included, decoded in step with the peer's encoder table). It costs
 * nothing when no observer is given: server and client only create tracers on request.
 */
import { HDInflater } from '../hpack/inflater.js';
import { CONNECTION_PREFACE } from './constants.js';
import { FrameDecoder } from './decoder.js';
import { HeaderBlockJoiner } from './header-block-joiner.js';
import type { Frame } from './types.js';

/** A decoded header list: `[name, value]` pairs in order. */
export type HeaderList = Array<[string, string]>;

export type FrameDirection = 'send' | 'recv';

/**
 * One traced frame, in wire order per direction. `type`, `streamId`, `length` and `flags` are
 * the frame header's, as on the wire (also for a frame that did not decode). Two other kinds:
 * the client connection preface (`preface: true`, no frame), and a frame that did not decode
 * (`error` set, `frame` null): after a connection-level rejection the trace of that direction
 * stops, after a stream-level one (a bad PRIORITY length) it goes on.
 */
export interface TraceEvent {
  direction: FrameDirection;
  frame: Frame | null;
  type: number;
  streamId: number;
  /** Payload length and flags octet from the frame header. */
  length: number;
  flags: number;
  /** The decoded header list on the frame that completes a header block (HEADERS / PUSH_PROMISE / CONTINUATION with END_HEADERS), else null. */
  headers: HeaderList | null;
  /** The 24-octet client connection preface went by (no frame). */
  preface?: true;
  /** Why the frame (or its header block) could not be decoded. */
  error?: unknown;
}

/** Called once per frame, in wire order per direction. */
export type FrameObserver = (event: TraceEvent) => void;

/** Largest frame RFC 9113 allows: the trace accepts whatever either side may legally send. */
const MAX_FRAME_SIZE = 16777215;

/** The header of a frame whose payload is still going by. */
interface SeenHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

export class FrameTracer {
  private readonly direction: FrameDirection;
  private readonly observer: FrameObserver;
  private readonly decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME_SIZE });
  private readonly inflater = new HDInflater({ maxHeaderListSize: 0xffffffff, maxTableSize: 0xffffffff });
  /** Joins header blocks across CONTINUATION (the one joiner every frame reader uses). */
  private readonly joiner = new HeaderBlockJoiner();
  /** Octets of connection preface still to skip (the client's first bytes out). */
  private skip: number;
  private broken = false;
  private readonly header = Buffer.alloc(9);
  private headerFill = 0;
  private payloadLeft = 0;
  /** Headers of frames scanned but not yet decoded, in order. */
  private readonly seen: SeenHeader[] = [];

  /** `preface`: this direction starts with the client connection preface (a client's 'send', a server's 'recv'). */
  constructor(direction: FrameDirection, observer: FrameObserver, preface: boolean = direction === 'send') {
    this.direction = direction;
    this.observer = observer;
    this.skip = preface ? CONNECTION_PREFACE.length : 0;
  }

  /** Feeds bytes that crossed the wire in this direction. */
  push(chunk: Buffer): void {
    if (this.broken) return;
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
      if (this.skip === 0) this.observer({ direction: this.direction, frame: null, type: -1, streamId: 0, length: 0, flags: 0, headers: null, preface: true });
      if (chunk.length === 0) return;
    }
    // A copy: the trace must not hold on to (or see changes in) buffers the connection reuses.
    const copy = Buffer.from(chunk);
    this.scanHeaders(copy);
    this.decoder.push(copy);
    while (!this.broken) {
      let frame: Frame | null;
      try {
        frame = this.decoder.next();
      } catch (err) {
        const h = this.seen.shift();
        // A stream-level rejection leaves the decoder usable; any other ends this direction's trace.
        if ((err as { streamId?: unknown }).streamId === undefined) this.broken = true;
        this.emit(h, null, null, err);
        continue;
      }
      if (frame === null) return;
      const h = this.seen.shift();
      let block: Buffer | null;
      try {
        block = this.joiner.push(frame);
      } catch (err) {
        // A frame out of sequence (another frame inside a header block): shown, and the trace goes on afresh.
        this.joiner.reset();
        this.emit(h, frame, null, err);
        continue;
      }
      let headers: HeaderList | null = null;
      if (block !== null) {
        try {
          headers = this.decodeBlock(block);
        } catch (err) {
          // The inflater is out of step with the peer's encoder from here on.
          this.broken = true;
          this.emit(h, frame, null, err);
          return;
        }
      }
      this.emit(h, frame, headers, undefined);
    }
  }

  private emit(h: SeenHeader | undefined, frame: Frame | null, headers: HeaderList | null, error: unknown): void {
    const event: TraceEvent = {
      direction: this.direction,
      frame,
      type: h?.type ?? frame?.type ?? -1,
      streamId: h?.streamId ?? frame?.streamId ?? 0,
      length: h?.length ?? 0,
      flags: h?.flags ?? 0,
      headers,
    };
    if (error !== undefined) event.error = error;
    this.observer(event);
  }

  /** Reads each frame header as the bytes pass (the decoded frames do not keep length and flags). */
  private scanHeaders(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= n;
        i += n;
        continue;
      }
      const n = Math.min(9 - this.headerFill, chunk.length - i);
      chunk.copy(this.header, this.headerFill, i, i + n);
      this.headerFill += n;
      i += n;
      if (this.headerFill === 9) {
        this.headerFill = 0;
        const header = this.header;
        this.payloadLeft = header.readUIntBE(0, 3);
        this.seen.push({ length: this.payloadLeft, type: header[3]!, flags: header[4]!, streamId: header.readUInt32BE(5) & 0x7fffffff });
      }
    }
  }

  private decodeBlock(block: Buffer): HeaderList {
    const headers: HeaderList = [];
    this.inflater.decodeTo(block, (name, value) => headers.push([name, value]));
    return headers;
  }
}
