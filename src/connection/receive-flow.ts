/**
 * `ReceiveFlow`: the receive side of flow control (RFC 9113 sections 5.2, 6.9). It counts each
 * DATA frame against the connection's and the stream's receive windows, gives credit back as
 * WINDOW_UPDATE once the application has processed the octets (batched: `consumeFlow`), gives
 * back at once the credit of DATA that will never reach the application (padding, frames on a
 * stream in error), and moves every stream's receive window when our initial window changes.
 *
 * Why apart from the connection: it is the mirror of the SendScheduler, the one part that
 * decides when the peer may send more. The connection only says which DATA arrived and on
 * which stream, and whether the stream's state allows it; the windows' arithmetic is in
 * flow-control.ts. Everything it uses is given at construction: no back-pointer.
 */
import { ErrorCode, FlowControlError, StreamError } from '../errors.js';
import type { FrameWriter } from '../frame/writer.js';
import type { FlowWindows } from './flow-control.js';
import { adjustReceiveWindow, consumeFlow, receiveFlow } from './flow-control.js';
import type { Stream } from './stream.js';
import { StreamState } from './stream-state.js';

export class ReceiveFlow {
  private readonly writer: FrameWriter;
  /** The connection-level windows (stream 0); the SendScheduler uses their send side. */
  private readonly flow: FlowWindows;

  /**
   * Opens the connection window to `connectionWindowSize` (a WINDOW_UPDATE on stream 0 when it
   * is above the protocol's 65,535): call after writing our first SETTINGS.
   */
  constructor(writer: FrameWriter, flow: FlowWindows, connectionWindowSize: number) {
    this.writer = writer;
    this.flow = flow;
    if (connectionWindowSize > flow.recvTarget) {
      writer.windowUpdate(0, connectionWindowSize - flow.recvTarget);
      flow.recvWindow = connectionWindowSize;
      flow.recvTarget = connectionWindowSize;
    }
  }

  /**
   * DATA of `length` flow-controlled octets arrived: it counts against the connection window
   * whatever becomes of it (section 6.9). Throws FLOW_CONTROL_ERROR past the window.
   */
  connectionData(length: number): void {
    if (!receiveFlow(this.flow, length)) {
      throw new FlowControlError(`DATA of ${length} octets exceeds the connection receive window ${this.flow.recvWindow}`, 'data_exceeds_connection_window');
    }
  }

  /** The same DATA, on stream `s` whose state allows it: throws the stream error past its window (the connection's credit given back). */
  streamData(s: Stream, length: number): void {
    if (!receiveFlow(s, length)) {
      this.discard(length);
      throw new StreamError(s.id, `DATA of ${length} octets exceeds stream ${s.id}'s receive window ${s.recvWindow}`, ErrorCode.FLOW_CONTROL_ERROR, 'data_exceeds_stream_window');
    }
  }

  /** Received DATA that will never reach the application: the connection's credit goes back now. */
  discard(length: number): void {
    const increment = consumeFlow(this.flow, length);
    if (increment > 0) this.writer.windowUpdate(0, increment);
  }

  /** `length` (> 0) received octets are processed: credit for the stream `s` (if still kept) and the connection. */
  consume(s: Stream | undefined, length: number): void {
    if (s !== undefined) {
      const increment = consumeFlow(s, length);
      // No stream credit once the peer has ended its side: it will not send more.
      if (increment > 0 && (s.state === StreamState.OPEN || s.state === StreamState.HALF_CLOSED_LOCAL)) {
        this.writer.windowUpdate(s.id, increment);
      }
    }
    this.discard(length);
  }

  /** Our initial window, as the peer acknowledged it, is now `size`: each stream's receive window moves by the difference. */
  initialWindowChanged(streams: Stream[], size: number): void {
    for (const s of streams) adjustReceiveWindow(s, size);
  }
}
