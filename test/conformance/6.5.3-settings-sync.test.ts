/** RFC 9113 section 6.5.3: settings synchronisation — a SETTINGS frame not acknowledged in time. */
import { test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

// A short timeout so the test stays quick; the default is 5 s.
const h2 = useServer({ settingsAckTimeout: 300 });

test('6.5.3: our SETTINGS never acknowledged -> connection error SETTINGS_TIMEOUT', async () => {
  const c = await h2.client({ handshake: false });
  c.preface().settings();
  await c.expectFrame(FrameType.SETTINGS);
  // No SETTINGS ACK from us.
  await c.expectConnectionError(ErrorCode.SETTINGS_TIMEOUT);
});

test('6.5.3: SETTINGS acknowledged in time -> no timeout', async () => {
  const c = await h2.client();
  // A witness opened after c that never acknowledges: its SETTINGS_TIMEOUT proves c's deadline,
  // which was earlier, has passed too. Then c is still alive (a GOAWAY would precede the PING ACK).
  const witness = await h2.client({ handshake: false });
  witness.preface().settings();
  await witness.expectFrame(FrameType.SETTINGS);
  await witness.expectConnectionError(ErrorCode.SETTINGS_TIMEOUT);
  await c.expectAlive();
});
