/** RFC 9113 sections 6.9, 6.9.1, 6.9.2: WINDOW_UPDATE and flow control, both directions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType, SettingId } from '../../src/frame/index.js';
import type { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

function dataOn(c: TestClient, streamId: number): number {
  let total = 0;
  for (const r of c.log) if (r.frame.type === FrameType.DATA && r.frame.streamId === streamId) total += r.frame.flowLength;
  return total;
}

// ---- WINDOW_UPDATE frame rules ---------------------------------------------------------

test('6.9: WINDOW_UPDATE with a length other than 4 -> connection error FRAME_SIZE_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.WINDOW_UPDATE, 0, 0, Buffer.from([0, 0, 0, 0, 1]));
  await c.expectConnectionError(ErrorCode.FRAME_SIZE_ERROR);
});

test('6.9: WINDOW_UPDATE with increment 0 on the connection -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.windowUpdate(0, 0);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.9: WINDOW_UPDATE with increment 0 on a stream -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.windowUpdate(1, 0);
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  await c.expectAlive();
});

test('6.9: the reserved bit of the increment is ignored', async () => {
  const c = await h2.client();
  c.raw(FrameType.WINDOW_UPDATE, 0, 0, Buffer.from([0x80, 0, 0, 1]));
  await c.expectAlive();
});

// ---- overflow ------------------------------------------------------------------------------

test('6.9.1: a connection window pushed past 2^31-1 -> connection error FLOW_CONTROL_ERROR', async () => {
  const c = await h2.client();
  c.windowUpdate(0, 2 ** 31 - 1);
  await c.expectConnectionError(ErrorCode.FLOW_CONTROL_ERROR);
});

test('6.9.1: a connection window of exactly 2^31-1 is fine', async () => {
  const c = await h2.client();
  c.windowUpdate(0, 2 ** 31 - 1 - 65535);
  await c.expectAlive();
});

test('6.9.1: a stream window pushed past 2^31-1 -> stream error FLOW_CONTROL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.windowUpdate(1, 2 ** 31 - 1);
  await c.expectRstStream(1, ErrorCode.FLOW_CONTROL_ERROR);
  await c.expectAlive();
});

test('6.9.1: two WINDOW_UPDATEs that together overflow a stream window -> stream error FLOW_CONTROL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.windowUpdate(1, 2 ** 30);
  c.windowUpdate(1, 2 ** 30);
  await c.expectRstStream(1, ErrorCode.FLOW_CONTROL_ERROR);
});

test('6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE change that pushes an open stream window past 2^31-1 -> connection error FLOW_CONTROL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.windowUpdate(1, 2 ** 31 - 1 - 65535);
  await c.expectAlive();
  c.settings([[SettingId.INITIAL_WINDOW_SIZE, 65536]]);
  await c.expectConnectionError(ErrorCode.FLOW_CONTROL_ERROR);
});

// ---- DATA beyond the windows the server advertised ----------------------------------------

test('6.9.1: DATA beyond the stream window the server advertised -> stream error FLOW_CONTROL_ERROR', async () => {
  const c = await h2.client();
  // /stall never consumes: the server gives no credit back.
  c.request(1, { method: 'POST', path: '/stall', endStream: false });
  for (let i = 0; i < 4; i++) c.data(1, Buffer.alloc(16384));
  c.data(1, Buffer.alloc(16384 * 4 - 65535 + 1)); // 65536 octets in all, window 65535
  await c.expectRstStream(1, ErrorCode.FLOW_CONTROL_ERROR);
  await c.expectAlive();
});

test('6.9.1: DATA exactly filling the stream window is fine', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', path: '/stall', endStream: false });
  for (let i = 0; i < 3; i++) c.data(1, Buffer.alloc(16384));
  c.data(1, Buffer.alloc(65535 - 3 * 16384));
  await c.expectAlive([1]);
});

test('6.9: the server returns credit as the application consumes: an upload larger than the initial window completes', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  const total = 300000;
  let sent = 0;
  let credit = 65535;
  while (sent < total) {
    while (credit > 0 && sent < total) {
      const n = Math.min(16384, credit, total - sent);
      c.data(1, Buffer.alloc(n, 0x41), sent + n === total);
      sent += n;
      credit -= n;
    }
    if (sent < total) {
      const r = await c.expectFrame(FrameType.WINDOW_UPDATE, 1);
      assert.ok(r.frame.type === FrameType.WINDOW_UPDATE);
      credit += r.frame.increment;
    }
  }
  const res = await c.expectResponse(1);
  assert.equal(res.body.length, total);
});

// ---- the server obeys our windows -----------------------------------------------------

test('6.9.1: the server never sends more DATA than our stream window; WINDOW_UPDATE lets the rest go', async () => {
  const c = await h2.client({ settings: [[SettingId.INITIAL_WINDOW_SIZE, 100]] });
  c.request(1, { path: '/big?n=1000' });
  await c.expectFrame(FrameType.HEADERS, 1);
  await c.expectAlive();
  assert.equal(dataOn(c, 1), 100, 'exactly the window');
  c.windowUpdate(1, 900);
  await c.expectEndStream(1);
  assert.equal(dataOn(c, 1), 1000);
});

test('6.9.2: SETTINGS_INITIAL_WINDOW_SIZE 0 holds DATA back; a later SETTINGS increase releases it (applied to open streams)', async () => {
  const c = await h2.client({ settings: [[SettingId.INITIAL_WINDOW_SIZE, 0]] });
  c.request(1, { path: '/big?n=50' });
  await c.expectFrame(FrameType.HEADERS, 1);
  await c.expectAlive();
  assert.equal(dataOn(c, 1), 0);
  c.settings([[SettingId.INITIAL_WINDOW_SIZE, 20]]);
  await c.expectFrame(FrameType.DATA, 1);
  await c.expectAlive();
  assert.equal(dataOn(c, 1), 20);
  c.windowUpdate(1, 30);
  await c.expectEndStream(1);
  assert.equal(dataOn(c, 1), 50);
});

test('6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE decrease can make a stream window negative; the server waits until it is positive again', async () => {
  const c = await h2.client({ settings: [[SettingId.INITIAL_WINDOW_SIZE, 30]] });
  c.request(1, { path: '/big?n=100' });
  await c.expectFrame(FrameType.DATA, 1);
  await c.expectAlive();
  assert.equal(dataOn(c, 1), 30);
  c.settings([[SettingId.INITIAL_WINDOW_SIZE, 10]]); // window 0 - 20 = -20
  await c.expectFrame(FrameType.SETTINGS);
  c.windowUpdate(1, 20); // back to 0: still nothing
  await c.expectAlive();
  assert.equal(dataOn(c, 1), 30);
  c.windowUpdate(1, 70);
  await c.expectEndStream(1);
  assert.equal(dataOn(c, 1), 100);
});

test('6.9.1: the server never sends more DATA than our connection window (65535 initially)', async () => {
  const c = await h2.client({ settings: [[SettingId.INITIAL_WINDOW_SIZE, 1 << 20]] });
  c.request(1, { path: '/big?n=70000' });
  await c.expectFrame(FrameType.HEADERS, 1);
  for (;;) {
    await c.expectAlive();
    if (dataOn(c, 1) >= 65535) break;
  }
  await c.expectAlive();
  assert.equal(dataOn(c, 1), 65535, 'exactly the connection window');
  c.windowUpdate(0, 10000);
  await c.expectEndStream(1);
  assert.equal(dataOn(c, 1), 70000);
});

// A server whose connection window (65535) is smaller than its stream windows (1 MiB).
const small = useServer({ connectionWindowSize: 65535, settings: { initialWindowSize: 1 << 20 } });

test('6.9.1: DATA beyond the connection window the server advertised -> connection error FLOW_CONTROL_ERROR', async () => {
  const c = await small.client();
  c.request(1, { method: 'POST', path: '/stall', endStream: false });
  for (let i = 0; i < 4; i++) c.data(1, Buffer.alloc(16384));
  await c.expectConnectionError(ErrorCode.FLOW_CONTROL_ERROR);
});

test('6.9.1: the connection window is shared by streams: DATA on two streams together beyond it -> connection error FLOW_CONTROL_ERROR', async () => {
  const c = await small.client();
  c.request(1, { method: 'POST', path: '/stall', endStream: false });
  c.request(3, { method: 'POST', path: '/stall', endStream: false });
  c.data(1, Buffer.alloc(16384));
  c.data(1, Buffer.alloc(16384));
  c.data(3, Buffer.alloc(16384));
  c.data(3, Buffer.alloc(16384)); // 65536 in all
  await c.expectConnectionError(ErrorCode.FLOW_CONTROL_ERROR);
});

// A server with a small stream window (1000), so one frame can overflow it.
const tiny = useServer({ settings: { initialWindowSize: 1000 } });

test('6.9.1: padding counts toward the flow-control window (800 octets of data + 201 of padding overflow a window of 1000)', async () => {
  const c = await tiny.client();
  c.request(1, { method: 'POST', path: '/stall', endStream: false });
  c.data(1, Buffer.alloc(800), false, 200);
  await c.expectRstStream(1, ErrorCode.FLOW_CONTROL_ERROR);
  await c.expectAlive();
});

test('6.9.1: a padded frame that exactly fills the window is fine; the padding is credited back without the application', async () => {
  const c = await tiny.client();
  c.request(1, { method: 'POST', path: '/stall', endStream: false });
  c.data(1, Buffer.alloc(799), false, 200);
  await c.expectAlive();
  // /stall never consumes its 799 octets of data, but the 201 octets of padding and Pad Length
  // are the connection's to give back (contract: "padding is credited automatically").
  const credit = c.log
    .filter((r) => r.frame.type === FrameType.WINDOW_UPDATE && r.frame.streamId === 1)
    .reduce((sum, r) => sum + (r.frame.type === FrameType.WINDOW_UPDATE ? r.frame.increment : 0), 0);
  assert.equal(credit, 201);
});
