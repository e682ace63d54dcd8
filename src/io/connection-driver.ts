/**
 * ConnectionDriver: the one glue between a socket and a sans-I/O Connection, for both roles
 * (the server's sessions and the client). It owns everything that is about bytes and time:
 *
 *   socket 'data' -> connection.receive() -> delegate.handleEvents() -> one flush, written at once
 *   commands (handlers, promise settlements, body wake-ups) -> scheduleFlush() -> one flush a microtask
 *   connection.nextDeadline() -> one timer -> tick()
 *   flush: events caused by commands -> delegate, takeOutput() -> socket (the write policy below),
 *          the timer re-armed, the socket ended once the connection is done
 *
 * and the body pump, the byte observer and the end of the socket (graceful, or quick after our
 * GOAWAY for an error). What the events mean (streams, handlers, requests) is the delegate's.
 *
 * Write policy: the output of one socket read or timer tick is written at its end, in one write
 * (one writev when there are several buffers); output made elsewhere (a callback that answered
 * later, a body that woke) corks the socket until the next tick, so that everything a tick
 * produces leaves in one writev. File bodies' read buffers whose bytes are in a batch
 * (`recycleAfterWrite`) go back to FILE_READ_BUFFERS from the callback of the batch's last write.
 *
 * Every listener the event loop calls is guarded: an exception h2kit did not expect ends this
 * one connection (`fault`), never the process. Each guarded entry has a failpoint name, so the
 * fault tests can inject one at each (src/io/failpoints.ts).
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Connection, ConnectionEvent } from '../connection/index.js';
import { FILE_READ_BUFFERS } from '../buffer-pool.js';
import { BodyPump, type PumpedStream } from './body-pump.js';
import { failpoint, type FailpointName } from './failpoints.js';

/** What the driver asks of the role on top of it (a server session, a client). */
export interface DriverDelegate<S extends PumpedStream> {
  /** The connection's events, from a read, a tick or commands. */
  handleEvents(events: ConnectionEvent[]): void;
  /** Whether the socket may end now, besides the connection being closed (going away, no streams left). */
  mayEnd(): boolean;
  /** The peer closed its side: nothing more will be read. */
  peerEnded(): void;
  /** The socket failed (the 'close' that follows ends the driver). */
  socketError(err: NodeJS.ErrnoException): void;
  /** The socket's own inactivity timeout (armed by the delegate with socket.setTimeout) fired. */
  socketTimeout(): void;
  /** The socket is gone: close what is still open. Called once. */
  socketClosed(): void;
  /** An unexpected exception ended the connection: report it (the driver destroys the socket). */
  reportFault(err: unknown, where: FailpointName): void;
  /** The body of `stream` (or its length) failed. */
  bodyFailed(stream: S, err: unknown): void;
  /** Stop `stream`'s body and release its source (the connection closed the stream). */
  stopBody(stream: S): void;
}

export interface DriverOptions {
  /** Stop pulling bodies while the socket holds this many unsent bytes. */
  socketHighWaterMark: number;
  /** See BodyPumpOptions.wholeWindowForKnownLength. */
  wholeWindowForKnownLength: boolean;
  /** Sees every chunk read and written, in order (tracing, capture). */
  onBytes: ((direction: 'recv' | 'send', chunk: Buffer) => void) | null;
  /** Unref the protocol timer: its deadlines alone must not keep a finished program alive (the client). */
  unrefTimer: boolean;
}

/**
 * After our GOAWAY for an error has been handed to the kernel, the peer gets this long to read
 * it before the socket closes (closing at once could turn it into a reset that loses the GOAWAY).
 */
const CUT_OFF_LINGER_MS = 50;
/** And a peer that does not even read its GOAWAY is dropped this long after it was cut off. */
const CUT_OFF_MAX_MS = 1000;
/** Octets still read (and dropped) after being cut off, before reading stops. */
const CUT_OFF_DISCARD_MAX = 65536;
/** A peer that does not close its side after a graceful end is dropped this long after. */
const END_GRACE_MS = 2000;
/** Flush rounds of events-caused-by-events before the rest waits for the next flush. */
const FLUSH_ROUNDS = 64;

/**
 * The socket's listeners are shared functions, not closures per connection (each closure costs
 * ~64 B on every connection, idle or not): Node calls them with the socket as `this`, and the
 * socket carries its driver under this key.
 */
const DRIVER = Symbol('h2kit.driver');
type DrivenSocket = Socket & { [DRIVER]: ConnectionDriver<PumpedStream> };

function onSocketData(this: DrivenSocket, chunk: Buffer): void {
  this[DRIVER].onData(chunk);
}
function onSocketEnd(this: DrivenSocket): void {
  this[DRIVER].onEnd();
}
function onSocketDrain(this: DrivenSocket): void {
  this[DRIVER].onDrain();
}
function onSocketError(this: DrivenSocket, err: NodeJS.ErrnoException): void {
  this[DRIVER].onError(err);
}
function onSocketClose(this: DrivenSocket): void {
  this[DRIVER].onClose();
}
function onSocketTimeout(this: DrivenSocket): void {
  this[DRIVER].onTimeout();
}
function onDriverTimer(driver: ConnectionDriver<PumpedStream>): void {
  driver.onTimer();
}
function uncorkDriver(driver: ConnectionDriver<PumpedStream>): void {
  driver.uncorkNow();
}
function destroySocket(socket: Socket): void {
  socket.destroy();
}
/** Shared by every driver with no spent read buffer waiting for a write; never added to. */
const NO_SPENT: Buffer[] = [];

export class ConnectionDriver<S extends PumpedStream> {
  readonly socket: Socket;
  readonly connection: Connection;
  private readonly delegate: DriverDelegate<S>;
  private readonly pump: BodyPump<S>;
  private readonly onBytes: ((direction: 'recv' | 'send', chunk: Buffer) => void) | null;
  private readonly unrefTimer: boolean;
  private corked = false;
  private flushScheduled = false;
  /** Handling the events of one socket read or timer tick: a flush follows, none need scheduling. */
  private inBurst = false;
  private timer: NodeJS.Timeout | null = null;
  private deadline = Infinity;
  /** The socket is ending (or gone): nothing more is handed to the connection. */
  private ended = false;
  /** The socket closed. */
  private gone = false;
  /** An unexpected exception ended the connection (it is reported once). */
  private faulted = false;
  /** The connection ended with our GOAWAY for an error: the socket is closed quickly, mostly unread. */
  private cutOff = false;
  /** Octets read and dropped since then. */
  private discarded = 0;
  /** Read buffers whose bytes are in the connection's output: given back once the write carrying it completes. */
  private spent: Buffer[] = NO_SPENT;

  constructor(socket: Socket, connection: Connection, delegate: DriverDelegate<S>, options: DriverOptions) {
    this.socket = socket;
    this.connection = connection;
    this.delegate = delegate;
    this.onBytes = options.onBytes;
    this.unrefTimer = options.unrefTimer;
    this.pump = new BodyPump<S>(this, { socketHighWaterMark: options.socketHighWaterMark, wholeWindowForKnownLength: options.wholeWindowForKnownLength });
    this.pump.start(connection, socket);
    (socket as DrivenSocket)[DRIVER] = this as unknown as ConnectionDriver<PumpedStream>;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('drain', onSocketDrain);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('timeout', onSocketTimeout);
  }

  /** Streams waiting for the socket's 'drain', and whether the protocol timer is armed (leak checks). */
  get drainWaiters(): number {
    return this.pump.drainWaiters.size;
  }

  get timerArmed(): boolean {
    return this.timer !== null;
  }

  /** True once the socket has closed. */
  get isGone(): boolean {
    return this.gone;
  }

  /** Feeds bytes read before the driver took the socket (a sniffed preface), or just flushes. */
  start(initial: Buffer): void {
    if (initial.length > 0) this.onData(initial);
    else this.flush(true);
  }

  /** Our GOAWAY ended the connection for an error: once it is written, the socket closes quickly. */
  markCutOff(): void {
    this.cutOff = true;
  }

  // ---- the guarded entries: each catches what it did not expect and ends the connection ----

  /**
   * An exception h2kit did not expect (a bug, or a fault in a dependency) on this connection's
   * path: the connection ends, the delegate reports it once; the process goes on.
   */
  fault(err: unknown, where: FailpointName): void {
    if (this.faulted) return;
    this.faulted = true;
    try {
      this.delegate.reportFault(err, where);
    } finally {
      this.socket.destroy();
    }
  }

  /** @internal */
  onData(chunk: Buffer): void {
    try {
      failpoint('session-data');
      if (this.ended) {
        // Cut off: what the peer had already sent is drained (a peer that stopped sending then
        // gets our GOAWAY and a clean close, not a reset that can destroy it); a peer that keeps
        // flooding is no longer read (the socket closes shortly anyway).
        if (this.cutOff && (this.discarded += chunk.length) > CUT_OFF_DISCARD_MAX) this.socket.pause();
        return;
      }
      if (this.onBytes !== null) this.onBytes('recv', chunk);
      this.burst(this.connection.receive(chunk, performance.now()));
    } catch (err) {
      this.fault(err, 'session-data');
    }
  }

  /** @internal */
  onEnd(): void {
    try {
      failpoint('session-end');
      this.delegate.peerEnded();
    } catch (err) {
      this.fault(err, 'session-end');
    }
  }

  /** @internal */
  onDrain(): void {
    try {
      failpoint('session-drain');
      if (this.pump.resumeDrained()) this.flush(true);
    } catch (err) {
      this.fault(err, 'session-drain');
    }
  }

  /** @internal */
  onError(err: NodeJS.ErrnoException): void {
    try {
      failpoint('session-error');
      this.delegate.socketError(err);
    } catch (unexpected) {
      this.fault(unexpected, 'session-error');
    }
  }

  /** @internal */
  onTimeout(): void {
    try {
      failpoint('session-timeout');
      this.delegate.socketTimeout();
    } catch (err) {
      this.fault(err, 'session-timeout');
    }
  }

  /** @internal */
  onClose(): void {
    if (this.gone) return;
    this.gone = true;
    this.ended = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pump.stop();
    try {
      failpoint('session-close');
    } catch (err) {
      this.fault(err, 'session-close');
    }
    // Even after a fault the delegate must close its streams and be forgotten.
    try {
      this.delegate.socketClosed();
    } catch (err) {
      this.fault(err, 'session-close');
    }
  }

  /** @internal */
  onTimer(): void {
    this.timer = null;
    this.deadline = Infinity;
    try {
      failpoint('session-timer');
      if (!this.gone) this.burst(this.connection.tick(performance.now()));
    } catch (err) {
      this.fault(err, 'session-timer');
    }
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    try {
      failpoint('session-flush');
      this.flush();
    } catch (err) {
      this.fault(err, 'session-flush');
    }
  };

  /** For a body source's wake-up (its own events: a Readable's 'readable', a promise), guarded. */
  wake(stream: S): void {
    try {
      failpoint('session-body-wake');
      this.pump.pump(stream);
    } catch (err) {
      this.fault(err, 'session-body-wake');
    }
  }

  // ---- flushing ----

  /** The events of one socket read or timer tick, then one flush that writes at once. */
  private burst(events: ConnectionEvent[]): void {
    this.inBurst = true;
    try {
      this.delegate.handleEvents(events);
    } finally {
      this.inBurst = false;
    }
    this.flush(true);
  }

  /**
   * Hands the events commands caused to the delegate, writes the output (now when `last`: the
   * end of a socket or timer event), re-arms the timer, ends the socket once the connection is done.
   */
  flush(last = false): void {
    if (this.gone) return;
    const conn = this.connection;
    for (let round = 0; round < FLUSH_ROUNDS; round++) {
      const events = conn.takeEvents();
      if (events.length === 0) break;
      this.delegate.handleEvents(events);
    }
    this.writeOutput(last);
    this.armTimer();
    this.endIfDone();
  }

  /** Flushes once after the current synchronous work (within a read or tick, its own flush covers it). */
  scheduleFlush(): void {
    if (this.flushScheduled || this.inBurst || this.gone) return;
    this.flushScheduled = true;
    queueMicrotask(this.scheduledFlush);
  }

  /**
   * Writes what the connection has gathered. `last`: nothing more will be written in this tick,
   * so the bytes go out now, in one write; otherwise the socket stays corked until the next tick.
   */
  writeOutput(last = false): void {
    this.pump.unwritten = 0;
    const output = this.connection.takeOutput();
    const socket = this.socket;
    // Spent read buffers whose bytes are in this output (all of them are: see recycleAfterWrite).
    const spent = this.spent;
    if (spent !== NO_SPENT) this.spent = NO_SPENT;
    // Nothing to write, or nowhere to: a spent buffer is dropped, never given back unconfirmed.
    if (output.length === 0 || socket.destroyed || socket.writableEnded) return;
    const onBytes = this.onBytes;
    if (onBytes !== null) for (let i = 0; i < output.length; i++) onBytes('send', output[i]!);
    const n = output.length - 1;
    if (last && !this.corked) {
      if (n === 0) {
        this.writeLast(output[0]!, spent);
        return;
      }
      socket.cork();
      for (let i = 0; i < n; i++) socket.write(output[i]!);
      this.writeLast(output[n]!, spent);
      socket.uncork();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(uncorkDriver, this);
    }
    for (let i = 0; i < n; i++) socket.write(output[i]!);
    this.writeLast(output[n]!, spent);
  }

  /**
   * The last buffer of a batch; with spent read buffers, its write's callback gives them back: a
   * socket completes writes in order, so when the last is done the whole batch is, and nothing
   * (libuv, TLS) reads those bytes any more. A failed write drops them instead.
   */
  private writeLast(buf: Buffer, spent: Buffer[]): void {
    if (spent === NO_SPENT) {
      this.socket.write(buf);
      return;
    }
    this.socket.write(buf, (err) => {
      if (err !== null && err !== undefined) return;
      for (let i = 0; i < spent.length; i++) FILE_READ_BUFFERS.give(spent[i]!);
    });
  }

  /**
   * @internal For the pump: `buffer`'s bytes are all in the connection's output, which the next
   * writeOutput takes; it is given back when that write completes. With a byte observer
   * (tracing, capture), which may keep what it is shown, it is left to the collector.
   */
  recycleAfterWrite(buffer: Buffer): void {
    if (this.onBytes !== null || this.gone) return;
    if (this.spent === NO_SPENT) this.spent = [];
    this.spent.push(buffer);
  }

  /** @internal The next-tick end of a corked stretch. */
  uncorkNow(): void {
    this.corked = false;
    this.socket.uncork();
  }

  private armTimer(): void {
    const deadline = this.connection.nextDeadline();
    if (deadline === this.deadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.deadline = deadline;
    if (deadline === Infinity) return;
    this.timer = setTimeout(onDriverTimer, Math.max(0, Math.ceil(deadline - performance.now())), this);
    if (this.unrefTimer) this.timer.unref();
  }

  // ---- bodies ----

  /** Pumps `stream`'s body (on a `writable` event, or when it starts). */
  pumpBody(stream: S): void {
    this.pump.pump(stream);
  }

  /** The stream no longer waits for 'drain' (its body stopped, or it is gone). */
  forgetBody(stream: S): void {
    this.pump.forget(stream);
  }

  /** @internal For the pump. */
  bodyFailed(stream: S, err: unknown): void {
    this.delegate.bodyFailed(stream, err);
  }

  /** @internal For the pump. */
  stopBody(stream: S): void {
    this.delegate.stopBody(stream);
  }

  // ---- the end of the socket ----

  /** Checks whether the connection is done (closed, or the delegate says it may end), and ends the socket. */
  endIfDone(): void {
    if (this.ended) return;
    if (!this.connection.isClosed && !this.delegate.mayEnd()) return;
    this.ended = true;
    this.writeOutput();
    const socket = this.socket;
    if (this.cutOff) {
      // We ended the connection for an error (a flood, a protocol violation): read little more
      // (a flooder would otherwise keep us reading and discarding at full speed: see onData),
      // let the GOAWAY reach the kernel, give the peer a moment to read it, close.
      // Our GOAWAY for an error is written: the socket closes CUT_OFF_LINGER_MS later (a closure, on this rare path only).
      socket.end(() => setTimeout(destroySocket, CUT_OFF_LINGER_MS, socket).unref());
      setTimeout(destroySocket, CUT_OFF_MAX_MS, socket).unref();
      return;
    }
    socket.end();
    setTimeout(destroySocket, END_GRACE_MS, socket).unref();
  }

  /** Ends the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

}
