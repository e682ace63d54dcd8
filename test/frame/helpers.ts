/** Test helpers for the frame layer: an independent frame builder and a decode-everything loop. */
import { FrameDecoder } from '../../src/frame/index.js';
import type { Frame } from '../../src/frame/index.js';

/** Builds one frame by hand (independently of FrameWriter, so the two check each other). */
export function rawFrame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out[0] = payload.length >> 16;
  out[1] = (payload.length >> 8) & 0xff;
  out[2] = payload.length & 0xff;
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId >>> 0, 5);
  out.set(payload, 9);
  return out;
}

/** Decodes `bytes` pushed in pieces cut at `cuts` (ascending offsets); returns every frame. */
export function decodeAll(bytes: Buffer, cuts: number[] = [], maxFrameSize = 16777215): Frame[] {
  const decoder = new FrameDecoder({ maxFrameSize });
  const frames: Frame[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    decoder.push(bytes.subarray(from, cut));
    from = cut;
    for (let f = decoder.next(); f !== null; f = decoder.next()) frames.push(f);
  }
  return frames;
}

/** A frame as plain data (Buffers as hex) for deep comparison. */
export function plain(frame: Frame): unknown {
  return JSON.parse(
    JSON.stringify(frame, (_key, value: unknown) => {
      if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
        return Buffer.from((value as { data: number[] }).data).toString('hex');
      }
      return value;
    }),
  );
}
