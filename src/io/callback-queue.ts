/**
 * The per-stream callback queue both roles use (ServerSession for request handlers,
 * HTTP2Client for response handlers): a stream's callbacks run in order, and one that returns a
 * promise holds back the ones after it until it settles (for onData also the flow-control
 * credit, which the owner gives back in `afterCallback`, once the handler is done with the bytes).
 *
 * One CallbackQueue per connection; what differs between the sides (which callback an item is,
 * what follows it, how a failure is reported) is the owner's, made once per connection.
 */

/** One stream's place in the queue: made with the stream, one shape for all. */
export class CallbackState<I> {
  /** A callback returned a promise that has not settled yet: later items wait in `queue`. */
  busy = false;
  /** A callback of this stream is on the call stack (tracked only with `holdReentrant`). */
  running = false;
  /** Items waiting behind a pending callback; an array only once needed. */
  queue: I[] | null = null;
  /**
   * Set by `CallbackQueue.tap`: sees every item first, and takes those it returns true for,
   * past a pending callback (a body reader awaited inside onHeaders must get the body's chunks).
   */
  tap: ((item: I) => boolean) | null = null;
}

/** A stream the queue serves. */
export interface CallbackStream<I> {
  readonly calls: CallbackState<I>;
}

/** What the queue asks of the socket glue that owns it. */
export interface CallbackQueueOwner<S, I> {
  /** Calls the handler's callback for `item`; returns what it returned. */
  invoke(stream: S, item: I): unknown;
  /** The callback for `item` is done (returned, or its promise settled). */
  afterCallback(stream: S, item: I): void;
  /** The callback for `item` threw or its promise rejected. */
  callbackFailed(stream: S, item: I, err: unknown): void;
  /** A pending callback settled and the items behind it ran: flush what they caused. */
  settled(): void;
  /**
   * The queue's own work after a promise settled threw (a bug, not a handler's failure, which
   * goes to callbackFailed): it runs in a promise reaction, where an exception would be an
   * unhandled rejection, so the owner ends its connection instead.
   */
  fault(err: unknown): void;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';
}

export class CallbackQueue<S extends CallbackStream<I>, I> {
  private readonly owner: CallbackQueueOwner<S, I>;
  private readonly holdReentrant: boolean;

  /**
   * `holdReentrant`: items caused by a callback while it runs (say shutdown() from onData) wait
   * until it returns, rather than running nested inside it. The server does; the client runs
   * them at once (its handler's cancel() delivers onClose from within the callback).
   */
  constructor(owner: CallbackQueueOwner<S, I>, holdReentrant: boolean) {
    this.owner = owner;
    this.holdReentrant = holdReentrant;
  }

  /** Runs `item`'s callback now, or queues it behind the one pending (or running). */
  deliver(stream: S, item: I): void {
    const calls = stream.calls;
    if (calls.tap !== null && calls.tap(item)) {
      this.owner.afterCallback(stream, item);
      return;
    }
    if (calls.busy || (this.holdReentrant && calls.running)) {
      (calls.queue ??= []).push(item);
      return;
    }
    this.runGuarded(stream, item);
  }

  /**
   * From now on `take` sees each of the stream's items first; those it takes never reach a
   * callback (their credit goes back at once: `afterCallback`). Items already queued are offered
   * to it now, in order, and those it leaves stay queued.
   */
  tap(stream: S, take: (item: I) => boolean): void {
    const calls = stream.calls;
    calls.tap = take;
    const queue = calls.queue;
    if (queue === null) return;
    calls.queue = [];
    for (const item of queue) {
      if (take(item)) this.owner.afterCallback(stream, item);
      else calls.queue.push(item);
    }
  }

  private runGuarded(stream: S, item: I): void {
    if (!this.holdReentrant) {
      this.run(stream, item);
      return;
    }
    const calls = stream.calls;
    calls.running = true;
    try {
      this.run(stream, item);
    } finally {
      calls.running = false;
    }
  }

  /** Runs `first` and then queued items until one returns a promise. */
  private run(stream: S, first: I): void {
    const owner = this.owner;
    let item: I | undefined = first;
    while (item !== undefined) {
      let result: unknown;
      try {
        result = owner.invoke(stream, item);
      } catch (err) {
        owner.callbackFailed(stream, item, err);
        result = undefined;
      }
      if (isThenable(result)) {
        stream.calls.busy = true;
        const pending = item;
        result.then(
          () => this.settle(stream, pending),
          (err: unknown) => {
            owner.callbackFailed(stream, pending, err);
            this.settle(stream, pending);
          },
        );
        return;
      }
      owner.afterCallback(stream, item);
      const queue = stream.calls.queue;
      item = queue === null ? undefined : queue.shift();
    }
  }

  private settle(stream: S, item: I): void {
    try {
      stream.calls.busy = false;
      this.owner.afterCallback(stream, item);
      const queue = stream.calls.queue;
      const next = queue === null ? undefined : queue.shift();
      if (next !== undefined) this.runGuarded(stream, next);
      this.owner.settled();
    } catch (err) {
      this.owner.fault(err);
    }
  }
}
