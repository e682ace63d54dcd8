/**
 * `HeaderBlockAssembler`: the header block being received, from its first frame to its decoded
 * field list. It remembers what the frame that began the block said (stream, promised id,
 * END_STREAM, a self-dependency), has the frame layer's `HeaderBlockJoiner` join the fragments
 * and enforce RFC 9113 section 6.10 and the caps, and decodes the whole block with the
 * connection's HPACK inflater, which it owns.
 *
 * Why apart from the connection: a header block is one unit (section 4.3) that must be decoded,
 * in order, even when the stream it names is gone or refused, because HPACK state belongs to the
 * connection. The connection sees only complete, decoded blocks; what they mean for a stream
 * stays its business.
 */
import { HpackDecodingError } from '../errors.js';
import { FrameType } from '../frame/constants.js';
import { HeaderBlockJoiner } from '../frame/header-block-joiner.js';
import type { Frame, HeadersFrame, PushPromiseFrame } from '../frame/types.js';
import { HeaderListTooLargeError } from '../hpack/errors.js';
import { HDInflater } from '../hpack/inflater.js';
import type { HeaderList } from './options.js';

/** No fields: `decoded` between header blocks (frozen: appending to it would be a bug). */
const NO_FIELDS = Object.freeze([]) as unknown as HeaderList;

export class HeaderBlockAssembler {
  private readonly joiner: HeaderBlockJoiner;
  /** The connection's HPACK decoder (its table size follows our acknowledged SETTINGS). */
  readonly inflater: HDInflater;
  // What the frame that began the last block said (valid once it completes).
  /** The stream the block's HEADERS or PUSH_PROMISE came on. */
  streamId = 0;
  /** PUSH_PROMISE: the promised stream id; 0 for HEADERS. */
  promisedId = 0;
  /** HEADERS: END_STREAM was set. */
  endStream = false;
  /** HEADERS: its priority names its own stream (section 5.3.1; a stream error, judged once the block is decoded). */
  selfDependent = false;
  /** The decoded list passed the inflater's list limit: the fields are incomplete and must not be used. */
  tooLarge = false;
  /**
   * The list `emitField` appends to while a block is decoded (a new one per block: the events
   * keep it); NO_FIELDS in between, so no request's fields stay referenced by the connection.
   */
  private decoded: HeaderList = NO_FIELDS;
  /** One bound callback for the whole connection: no closure per header block. */
  private readonly emitField: (name: string, value: string) => void;

  /** `maxHeaderListSize`: our SETTINGS_MAX_HEADER_LIST_SIZE (Infinity: none); the caps bound a block's octets and CONTINUATION frames. */
  constructor(maxHeaderListSize: number, maxBlockSize: number, maxContinuations: number) {
    // Strings are bounded by the block cap (a Huffman string decodes to at most 8/5 of its
    // length), not by the list limit: one oversized field must become a per-stream answer (431),
    // not a COMPRESSION_ERROR for the whole connection.
    this.inflater = new HDInflater({
      maxHeaderListSize: maxHeaderListSize === Infinity ? 0xffffffff : maxHeaderListSize,
      maxStringLength: Math.ceil((maxBlockSize * 8) / 5),
    });
    this.joiner = new HeaderBlockJoiner({ maxBlockSize, maxContinuations });
    this.emitField = (name: string, value: string): void => {
      this.decoded.push([name, value]);
    };
  }

  /** True while a block waits for CONTINUATION: the next frame must be one, on the same stream. */
  get inProgress(): boolean {
    return this.joiner.inProgress;
  }

  /** True when the last block began with PUSH_PROMISE (else HEADERS). */
  get isPushPromise(): boolean {
    return this.joiner.startType === FrameType.PUSH_PROMISE;
  }

  /** Begins a block with HEADERS; returns its fields when this frame completes it, else null. */
  headers(f: HeadersFrame): HeaderList | null {
    this.streamId = f.streamId;
    this.promisedId = 0;
    this.endStream = f.endStream;
    this.selfDependent = f.priority !== null && f.priority.dependency === f.streamId;
    const block = this.joiner.start(FrameType.HEADERS, f.streamId, f.fragment, f.endHeaders);
    return block === null ? null : this.decode(block);
  }

  /** Begins a block with PUSH_PROMISE; returns its fields when this frame completes it, else null. */
  pushPromise(f: PushPromiseFrame): HeaderList | null {
    this.streamId = f.streamId;
    this.promisedId = f.promisedStreamId;
    this.endStream = false;
    this.selfDependent = false;
    const block = this.joiner.start(FrameType.PUSH_PROMISE, f.streamId, f.fragment, f.endHeaders);
    return block === null ? null : this.decode(block);
  }

  /**
   * A frame while a block is in progress, or a CONTINUATION: the block's fields when it ends
   * here, null while more must follow; throws the section 6.10 connection errors.
   */
  continuation(frame: Frame): HeaderList | null {
    const block = this.joiner.push(frame);
    return block === null ? null : this.decode(block);
  }

  /** Forgets a block in progress (the connection is over). */
  reset(): void {
    this.joiner.reset();
  }

  private decode(block: Buffer): HeaderList {
    const headers: HeaderList = [];
    this.decoded = headers;
    this.tooLarge = false;
    try {
      this.inflater.decodeTo(block, this.emitField);
    } catch (err) {
      // Too large is per stream (431 or a reset): the HPACK state is intact, the block was read to its end.
      if (err instanceof HeaderListTooLargeError) this.tooLarge = true;
      else if (err instanceof HpackDecodingError) throw err;
      else throw new HpackDecodingError(`header block on stream ${this.streamId} could not be decoded: ${String(err)}`, 'hpack_internal');
    } finally {
      this.decoded = NO_FIELDS;
    }
    return headers;
  }
}
