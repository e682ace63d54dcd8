/**
 * A scripted peer for unit tests of the connection core, with no sockets: it builds real frames
 * with the frame layer's FrameWriter and the HPACK deflater, feeds them to a Connection, and
 * decodes what the Connection writes back with FrameDecoder (header blocks joined by the frame
 * layer's HeaderBlockJoiner, which also fails the test if the Connection interleaves a frame with
 * one, and decoded through one HPACK inflater, in wire order).
 *
 *   const p = new ScriptedPeer({ role: 'server' });   // the Connection under test is a server
 *   p.handshake();                                     // client preface + SETTINGS + ACK
 *   p.send((w) => w.headers(1, p.block(GET), true, 16384));
 *   p.frames();                                        // what the server wrote, decoded
 */
import { Connection } from '../../../src/connection/index.js';
import type { ConnectionEvent, ConnectionOptions, HeaderList } from '../../../src/connection/index.js';
import { CONNECTION_PREFACE, FrameDecoder, FrameWriter, HeaderBlockJoiner } from '../../../src/frame/index.js';
import type { Frame } from '../../../src/frame/index.js';
import { HDDeflater, HDInflater } from '../../../src/hpack/index.js';

export const GET: HeaderList = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/'],
  [':authority', 'example.com'],
];

export function post(path = '/upload', extra: HeaderList = []): HeaderList {
  return [[':method', 'POST'], [':scheme', 'https'], [':path', path], [':authority', 'example.com'], ...extra];
}

/** A decoded frame of the Connection's output; `headers` is set on frames that complete a header block. */
export type OutFrame = Frame & { headers?: HeaderList };

export class ScriptedPeer {
  readonly conn: Connection;
  readonly deflater = new HDDeflater();
  private readonly inflater = new HDInflater({ maxHeaderListSize: 1 << 24 });
  private readonly decoder = new FrameDecoder({ maxFrameSize: 16777215 });
  private readonly joiner = new HeaderBlockJoiner();
  /** Every event the Connection reported, in order. */
  readonly events: ConnectionEvent[] = [];
  now = 0;
  /** The role of the Connection under test (this peer plays the other one). */
  readonly role: ConnectionOptions['role'];

  constructor(options: Partial<ConnectionOptions> & { role: ConnectionOptions['role'] }) {
    this.conn = new Connection({ now: 0, ...options });
    this.role = options.role;
  }

  /** An HPACK block for `headers` from this peer's encoder (keep wire order: encode right before sending). */
  block(headers: HeaderList): Buffer {
    return this.deflater.deflate(headers);
  }

  /** Builds frames with a FrameWriter and feeds them as one chunk; returns the events they caused. */
  send(build: (w: FrameWriter) => void): ConnectionEvent[] {
    const w = new FrameWriter();
    build(w);
    return this.feed(Buffer.concat(w.take()));
  }

  /** Feeds raw bytes; returns (and records) the events. */
  feed(bytes: Buffer): ConnectionEvent[] {
    const events = this.conn.receive(bytes, this.now);
    this.events.push(...events);
    return events;
  }

  /** Events caused by commands since the last call. */
  commandEvents(): ConnectionEvent[] {
    const events = this.conn.takeEvents();
    this.events.push(...events);
    return events;
  }

  /** A client peer's opening: preface, SETTINGS (given pairs), and the ACK of the server's SETTINGS. */
  handshake(settings: Array<[number, number]> = []): void {
    const w = new FrameWriter();
    w.settings(settings);
    w.settingsAck();
    const frames = w.take();
    this.feed(Buffer.concat(this.role === 'server' ? [CONNECTION_PREFACE, ...frames] : frames));
    this.frames();
  }

  /** Decodes everything the Connection has written since the last call. */
  frames(): OutFrame[] {
    const out = this.conn.takeOutput();
    const frames: OutFrame[] = [];
    let bytes = Buffer.concat(out);
    if (bytes.subarray(0, CONNECTION_PREFACE.length).equals(CONNECTION_PREFACE)) bytes = bytes.subarray(CONNECTION_PREFACE.length);
    this.decoder.push(bytes);
    for (;;) {
      const f = this.decoder.next();
      if (f === null) break;
      const frame: OutFrame = f;
      const block = this.joiner.push(f);
      if (block !== null) {
        const headers: HeaderList = [];
        this.inflater.decodeTo(block, (n, v) => headers.push([n, v]));
        frame.headers = headers;
      }
      frames.push(frame);
    }
    return frames;
  }
}

/** Frames of one type from a list. */
export function ofType<T extends number>(frames: OutFrame[], type: T): Array<Extract<OutFrame, { type: T }>> {
  return frames.filter((f) => f.type === type) as Array<Extract<OutFrame, { type: T }>>;
}

/** Events of one type from a list. */
export function eventsOf<T extends ConnectionEvent['type']>(events: ConnectionEvent[], type: T): Array<Extract<ConnectionEvent, { type: T }>> {
  return events.filter((e) => e.type === type) as Array<Extract<ConnectionEvent, { type: T }>>;
}

/** Wires two Connections to each other in memory and moves bytes until both are quiet. */
export class Pair {
  readonly client: Connection;
  readonly server: Connection;
  readonly clientEvents: ConnectionEvent[] = [];
  readonly serverEvents: ConnectionEvent[] = [];
  /** Called for each event as it arrives (tests consume DATA here, answer requests...). */
  onClient: (e: ConnectionEvent) => void = () => {};
  onServer: (e: ConnectionEvent) => void = () => {};

  constructor(clientOptions: Partial<ConnectionOptions> = {}, serverOptions: Partial<ConnectionOptions> = {}) {
    this.client = new Connection({ ...clientOptions, role: 'client' });
    this.server = new Connection({ ...serverOptions, role: 'server' });
  }

  /** Moves bytes both ways until nothing is left; returns how many rounds it took. */
  pump(maxRounds = 10000): number {
    let rounds = 0;
    for (;;) {
      let moved = false;
      this.deliver(this.client.takeEvents(), this.clientEvents, this.onClient);
      this.deliver(this.server.takeEvents(), this.serverEvents, this.onServer);
      const c2s = this.client.takeOutput();
      if (c2s.length > 0) {
        moved = true;
        this.deliver(this.server.receive(Buffer.concat(c2s)), this.serverEvents, this.onServer);
      }
      const s2c = this.server.takeOutput();
      if (s2c.length > 0) {
        moved = true;
        this.deliver(this.client.receive(Buffer.concat(s2c)), this.clientEvents, this.onClient);
      }
      if (!moved) {
        const c = this.client.takeEvents();
        const s = this.server.takeEvents();
        if (c.length + s.length === 0) return rounds;
        this.deliver(c, this.clientEvents, this.onClient);
        this.deliver(s, this.serverEvents, this.onServer);
      }
      if (++rounds > maxRounds) throw new Error('pump did not settle');
    }
  }

  private deliver(events: ConnectionEvent[], into: ConnectionEvent[], handler: (e: ConnectionEvent) => void): void {
    for (const e of events) {
      into.push(e);
      handler(e);
    }
  }
}
