/**
 * Joins a header block's fragments: a HEADERS or PUSH_PROMISE frame, then CONTINUATION frames on
 * the same stream until one carries END_HEADERS (RFC 9113 sections 4.3 and 6.10). It checks the
 * sequencing the frame decoder leaves alone and the sizes a receiver must bound:
 *
 * - a frame of any other type, or on any other stream, while a block is open: PROTOCOL_ERROR
 *   (`continuation_expected`);
 * - CONTINUATION with no block open: PROTOCOL_ERROR (`continuation_unexpected`);
 * - more than `maxContinuations` CONTINUATION frames in one block: ENHANCE_YOUR_CALM
 *   (`continuation_flood`, CVE-2024-27316 class: empty CONTINUATIONs cost the sender nothing);
 * - more than `maxBlockSize` octets in one block: ENHANCE_YOUR_CALM (`header_block_too_large`),
 *   thrown before the fragment is kept. A block cannot be decoded in parts without losing HPACK
 *   sync, so both are connection errors.
 *
 * One joiner serves every reader of frames: the connection core (through its header-block
 * assembler), the frame tracers and the test peers. It knows nothing of HPACK: it hands back the
 * block's octets, and the caller decodes them with its own inflater, in wire order. A reader
 * that must go on after an error (a trace showing a broken peer) calls `reset()` and carries on
 * with the next frame; the connection does not (every error here is a connection error).
 *
 * Cost: a block that fits one frame (nearly all) is returned as that frame's fragment, with no
 * copy and nothing allocated; only a block spread over several frames is concatenated, once.
 * The fragments are kept by reference: like the decoder's slices, they must not be overwritten
 * before the block completes.
 */
import { EMPTY_BUFFER } from '../buffer-pool.js';
import { ConnectionError, ErrorCode } from '../errors.js';
import { FrameType, UNKNOWN_FRAME } from './constants.js';
import { frameTypeName } from './decoder.js';
import type { Frame } from './types.js';

export interface HeaderBlockJoinerOptions {
  /** Most octets of fragment in one block. Default: no limit. */
  maxBlockSize?: number;
  /** Most CONTINUATION frames in one block. Default: no limit. */
  maxContinuations?: number;
}

const EMPTY = EMPTY_BUFFER;

export class HeaderBlockJoiner {
  readonly maxBlockSize: number;
  readonly maxContinuations: number;
  /** True between a HEADERS / PUSH_PROMISE without END_HEADERS and the CONTINUATION that ends its block. */
  inProgress = false;
  /** The stream of the block in progress (or of the last one). */
  streamId = 0;
  /** FrameType.HEADERS or FrameType.PUSH_PROMISE: the frame that began the block in progress (or the last one). */
  startType = 0;
  /** Fragments of the block in progress (empty fragments are not kept). */
  private readonly fragments: Buffer[] = [];
  private size = 0;
  private continuations = 0;

  constructor(options: HeaderBlockJoinerOptions = {}) {
    this.maxBlockSize = options.maxBlockSize ?? Infinity;
    this.maxContinuations = options.maxContinuations ?? Infinity;
  }

  /**
   * Begins a block with the fragment of a HEADERS (`type` FrameType.HEADERS) or PUSH_PROMISE
   * frame. Returns the whole block when `endHeaders` is set, else null (CONTINUATION follows).
   * The caller makes sure no block is open (`check`, or `push` which does both).
   */
  start(type: number, streamId: number, fragment: Buffer, endHeaders: boolean): Buffer | null {
    this.streamId = streamId;
    this.startType = type;
    this.size = 0;
    this.continuations = 0;
    this.count(fragment.length);
    // A block in one frame (nearly all) is handed back as is: nothing kept, nothing to clear.
    if (endHeaders) return fragment;
    if (fragment.length > 0) this.fragments.push(fragment);
    this.inProgress = true;
    return null;
  }

  /** Adds a CONTINUATION's fragment; returns the whole block when `endHeaders` is set, else null. */
  continuation(streamId: number, fragment: Buffer, endHeaders: boolean): Buffer | null {
    if (!this.inProgress) {
      throw new ConnectionError(`CONTINUATION on stream ${streamId} without a header block in progress`, ErrorCode.PROTOCOL_ERROR, 'continuation_unexpected');
    }
    if (streamId !== this.streamId) this.check(FrameType.CONTINUATION, streamId);
    if (++this.continuations > this.maxContinuations) {
      throw new ConnectionError(`more than ${this.maxContinuations} CONTINUATION frames in one header block`, ErrorCode.ENHANCE_YOUR_CALM, 'continuation_flood');
    }
    this.count(fragment.length);
    if (fragment.length > 0) this.fragments.push(fragment);
    if (!endHeaders) return null;
    return this.finish();
  }

  /** Throws `continuation_expected` if a block is open and a frame of `type` on `streamId` may not come now. */
  check(type: number, streamId: number): void {
    if (!this.inProgress || (type === FrameType.CONTINUATION && streamId === this.streamId)) return;
    throw new ConnectionError(
      `expected CONTINUATION on stream ${this.streamId}, got ${frameTypeName(type)} on stream ${streamId}`,
      ErrorCode.PROTOCOL_ERROR,
      'continuation_expected',
    );
  }

  /**
   * Any frame, in wire order: checks the sequencing, and returns the whole block on the frame
   * that completes one (a HEADERS / PUSH_PROMISE with END_HEADERS, or the last CONTINUATION);
   * null for every other frame.
   */
  push(frame: Frame): Buffer | null {
    switch (frame.type) {
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE:
        this.check(frame.type, frame.streamId);
        return this.start(frame.type, frame.streamId, frame.fragment, frame.endHeaders);
      case FrameType.CONTINUATION:
        return this.continuation(frame.streamId, frame.fragment, frame.endHeaders);
      case UNKNOWN_FRAME:
        this.check(frame.frameType, frame.streamId);
        return null;
      default:
        this.check(frame.type, frame.streamId);
        return null;
    }
  }

  /** Forgets the block in progress (the connection is over, or a reader starts afresh). */
  reset(): void {
    this.inProgress = false;
    this.clear();
  }

  /** Adds `length` octets to the block's size; past the cap the block is dropped and the error thrown. */
  private count(length: number): void {
    this.size += length;
    if (this.size > this.maxBlockSize) {
      this.reset();
      throw new ConnectionError(`header block larger than ${this.maxBlockSize} octets`, ErrorCode.ENHANCE_YOUR_CALM, 'header_block_too_large');
    }
  }

  private finish(): Buffer {
    this.inProgress = false;
    const fragments = this.fragments;
    const block = fragments.length === 1 ? fragments[0]! : fragments.length === 0 ? EMPTY : Buffer.concat(fragments, this.size);
    this.clear();
    return block;
  }

  private clear(): void {
    // pop() rather than `length = 0`: the latter is a call into the V8 runtime (~50 ns), which
    // on a one-request-per-read load was a few percent of the server's CPU.
    const fragments = this.fragments;
    while (fragments.length > 0) fragments.pop();
  }
}
