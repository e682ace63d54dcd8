/** URL parsing for the client: scheme, default ports, IPv6 hosts, :authority as the URL writes it. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { targetOf } from '../../src/client/transport.js';
import { ConnectError } from '../../src/client/errors.js';

test('targetOf: http is h2c on 80, https is TLS on 443; IPv6 brackets only in :authority', () => {
  assert.deepEqual(targetOf('http://example.com/x?y'), { secure: false, host: 'example.com', port: 80, authority: 'example.com' });
  assert.deepEqual(targetOf('https://example.com:8443'), { secure: true, host: 'example.com', port: 8443, authority: 'example.com:8443' });
  assert.deepEqual(targetOf('https://[::1]:9000/'), { secure: true, host: '::1', port: 9000, authority: '[::1]:9000' });
  assert.deepEqual(targetOf(new URL('http://127.0.0.1:80/')), { secure: false, host: '127.0.0.1', port: 80, authority: '127.0.0.1' });
});

test('targetOf: bad URLs and schemes are ConnectError with stable tokens', () => {
  assert.throws(() => targetOf('not a url'), (e: unknown) => e instanceof ConnectError && e.token === 'client_bad_url');
  assert.throws(() => targetOf('ws://x/'), (e: unknown) => e instanceof ConnectError && e.token === 'client_bad_scheme' && /ws:/.test(e.message));
});
