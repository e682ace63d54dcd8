/**
 * A frame trace for debugging tools (`h2kit get -v`, `h2kit serve -v`, the server's and the
 * client's `onFrame` option): decodes a copy of the bytes going each
 * way with its own FrameDecoder and HDInflater, so the trace sees exactly what crossed the
 * wire (header blocks included, decoded in step with the peer's encoder table). It costs
 * nothing when no observer is given: server and client only create tracers on request.
 */
import { HDInflater } from '../hpack/inflater.js';
import { CONNECTION_PREFACE, FrameType } from './constants.js';
import { FrameDecoder } from './decoder.js';
import type { Frame } from './types.js';

/** A decoded header list: `[name, value]` pairs in order. */
export type HeaderList = Array<[string, string]>;

export type FrameDirection = 'send' | 'recv';

/** One traced frame (or the end of the trace, when `error` is set and `frame` null). */
export interface TraceEvent {
  direction: FrameDirection;
  frame: Frame | null;
  /** Payload length and flags octet from the frame header, as on the wire. */
  length: number;
  flags: number;
  /** The decoded header list on the frame that completes a header block (HEADERS / PUSH_PROMISE / CONTINUATION with END_HEADERS), else null. */
  headers: HeaderList | null;
  /** Set once when the trace cannot go on (bytes that do not decode). */
  error?: unknown;
}

/** Called once per frame, in wire order per direction. */
export type FrameObserver = (event: TraceEvent) => void;

/** Largest frame RFC 9113 allows: the trace accepts whatever either side may legally send. */
const MAX_FRAME_SIZE = 16777215;

export class FrameTracer {
  private readonly direction: FrameDirection;
  private readonly observer: FrameObserver;
  private readonly decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME_SIZE });
  private readonly inflater = new HDInflater({ maxHeaderListSize: 0xffffffff, maxTableSize: 0xffffffff });
  private readonly fragments: Buffer[] = [];
  /** Octets of connection preface still to skip (the client's first bytes out). */
  private skip: number;
  private broken = false;
  private readonly header = Buffer.alloc(9);
  private headerFill = 0;
  private payloadLeft = 0;
  private readonly lengths: number[] = [];
  private readonly flagsSeen: number[] = [];

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
      if (chunk.length === 0) return;
    }
    try {
      // A copy: the trace must not hold on to (or see changes in) buffers the client reuses.
      const copy = Buffer.from(chunk);
      this.scanHeaders(copy);
      this.decoder.push(copy);
      for (let frame = this.decoder.next(); frame !== null; frame = this.decoder.next()) {
        const length = this.lengths.shift() ?? 0;
        const flags = this.flagsSeen.shift() ?? 0;
        this.observer({ direction: this.direction, frame, length, flags, headers: this.headersOf(frame) });
      }
    } catch (err) {
      this.broken = true;
      this.observer({ direction: this.direction, frame: null, length: 0, flags: 0, headers: null, error: err });
    }
  }

  /** Reads each frame header's length and flags as the bytes pass (the decoded frames do not keep them). */
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
        this.payloadLeft = this.header.readUIntBE(0, 3);
        this.lengths.push(this.payloadLeft);
        this.flagsSeen.push(this.header[4]!);
      }
    }
  }

  private headersOf(frame: Frame): HeaderList | null {
    let fragment: Buffer;
    let endHeaders: boolean;
    if (frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE || frame.type === FrameType.CONTINUATION) {
      fragment = frame.fragment;
      endHeaders = frame.endHeaders;
    } else {
      return null;
    }
    this.fragments.push(fragment);
    if (!endHeaders) return null;
    const block = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
    this.fragments.length = 0;
    const headers: HeaderList = [];
    this.inflater.decodeTo(block, (name, value) => headers.push([name, value]));
    return headers;
  }
}
