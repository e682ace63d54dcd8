// Many streams moving bodies at once on one connection: uploads larger in total than the
// connection window, and responses of every streaming kind interleaved. Nothing may mix up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { pattern, SIZE } from './fixtures/mixed-bodies-server.js';
import { closeSession, connect, request, startServer } from './support.js';

test('50 concurrent 256 KiB uploads (12.5 MiB against a 1 MiB connection window), half with async onData', async () => {
  class Upload extends BaseRequestHandler {
    private hash = createHash('sha256');
    override onData(data: Buffer): void | Promise<void> {
      this.hash.update(data);
      // Every other stream is a slow consumer: its credit comes back late, the others go on.
      if (this.streamId % 4 === 1) return new Promise((r) => setImmediate(r));
    }
    override onRequestDone(): void {
      this.sendResponse({ body: this.hash.digest('hex') });
    }
  }
  const { server, url } = await startServer(Upload);
  const session = await connect(url);
  try {
    const bodies = Array.from({ length: 50 }, (_, i) => pattern(i + 1, 256 * 1024));
    const responses = await Promise.all(bodies.map((b, i) => request(session, { ':method': 'POST', ':path': `/u${i}` }, b)));
    responses.forEach((r, i) => assert.equal(r.body.toString(), createHash('sha256').update(bodies[i]!).digest('hex'), `stream ${i}`));
  } finally {
    await closeSession(session);
    await server.close();
  }
});

// The server runs in a child process, bounded in time, so that a hang in the server (as the
// core's flushData spin once was, fixed in 27d20f4) fails this test instead of hanging the runner.
test(
  '40 concurrent 512 KiB responses of every streaming kind, client with default 64 KiB windows',
  async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'test', 'server', 'fixtures', 'mixed-bodies-server.js'), '--serve'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30000);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error('the server exited')));
      });
      const session = await connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      try {
        const exited = new Promise<never>((_, reject) => child.once('exit', () => reject(new Error('the server was killed after 30 s: it hung'))));
        const responses = await Promise.race([Promise.all(Array.from({ length: 40 }, (_, i) => request(session, { ':path': `/${i}` }))), exited]);
        responses.forEach((r, i) => {
          assert.equal(r.body.length, SIZE, `stream ${i}`);
          assert.ok(r.body.equals(pattern(1000 + i, SIZE)), `stream ${i}: bytes differ`);
        });
      } finally {
        session.destroy();
      }
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  },
);
