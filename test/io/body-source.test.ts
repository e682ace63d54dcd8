import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { bodySourceOf, type BodySource } from '../../src/io/body-source.js';
import { DATA_DEFERRED, DATA_EOF, DATA_OK } from '../../src/io/data-flags.js';
import { UsageError } from '../../src/errors.js';

/** Pulls a source to its end the way the pump does: pull while data comes, wait for wake otherwise. */
function drain(source: BodySource, max = 5): Promise<Buffer> {
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const step = (): void => {
      while (true) {
        const chunk = source.pull(max);
        if (chunk !== null) {
          assert.ok(chunk.length <= max, `chunk of ${chunk.length} > ${max}`);
          parts.push(chunk);
          continue;
        }
        if (source.error !== undefined) return reject(source.error);
        if (source.ended) return resolve(Buffer.concat(parts));
        source.onWake = () => setImmediate(step);
        return;
      }
    };
    step();
  });
}

test('null and undefined mean no body', () => {
  assert.equal(bodySourceOf(null), null);
  assert.equal(bodySourceOf(undefined), null);
});

test('string bodies are UTF-8 with a known length', async () => {
  const s = bodySourceOf('héllo wörld')!;
  assert.equal(s.knownLength, Buffer.byteLength('héllo wörld'));
  assert.equal((await drain(s)).toString('utf8'), 'héllo wörld');
});

test('Uint8Array bodies are sliced, not copied', () => {
  const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
  const s = bodySourceOf(bytes)!;
  const first = s.pull(4)!;
  assert.deepEqual([...first], [1, 2, 3, 4]);
  bytes[0] = 9;
  assert.equal(first[0], 9, 'the chunk is a view of the caller\'s bytes');
  assert.deepEqual([...s.pull(100)!], [5, 6, 7]);
  assert.equal(s.ended, true);
  assert.equal(s.pull(1), null);
});

test('a Readable is read only as fast as it is pulled', async () => {
  let produced = 0;
  const r = new Readable({
    highWaterMark: 4,
    read() {
      produced++;
      this.push(produced <= 5 ? Buffer.from(`chunk${produced};`) : null);
    },
  });
  const s = bodySourceOf(r)!;
  assert.equal(s.knownLength, -1);
  assert.ok(produced <= 2, `produced ${produced} chunks before any pull`);
  assert.equal((await drain(s, 3)).toString(), 'chunk1;chunk2;chunk3;chunk4;chunk5;');
});

test('a Readable that fails surfaces its error', async () => {
  const r = new Readable({
    read() {
      this.destroy(new Error('disk on fire'));
    },
  });
  await assert.rejects(drain(bodySourceOf(r)!), /disk on fire/);
});

test('an AsyncIterable is iterated one step at a time, strings as UTF-8', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  async function* gen(): AsyncGenerator<Uint8Array | string> {
    for (let i = 0; i < 4; i++) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      yield i % 2 === 0 ? `ä${i}` : new Uint8Array([0x41 + i]);
    }
  }
  const body = await drain(bodySourceOf(gen())!, 2);
  assert.equal(body.toString('utf8'), 'ä0Bä2D');
  assert.equal(maxInFlight, 1);
});

test('destroying an AsyncIterable source runs the generator\'s finally', async () => {
  let cleaned = false;
  async function* gen(): AsyncGenerator<Uint8Array> {
    try {
      while (true) yield new Uint8Array(10);
    } finally {
      cleaned = true;
    }
  }
  const s = bodySourceOf(gen())!;
  s.pull(5);
  await new Promise((r) => setImmediate(r));
  assert.ok(s.pull(5) !== null);
  s.destroy();
  await new Promise((r) => setImmediate(r));
  assert.equal(cleaned, true);
});

test('the body generator: DATA_OK, DATA_DEFERRED + resume(), DATA_EOF with a last chunk', async () => {
  const script: Array<[string | null, number]> = [
    ['ab', DATA_OK],
    [null, DATA_DEFERRED],
    ['cdefgh', DATA_OK],
    ['ij', DATA_EOF],
  ];
  const sizes: number[] = [];
  const s = bodySourceOf((size: number) => {
    sizes.push(size);
    return script.shift() as [string | null, 0 | 1 | 2];
  })!;
  assert.deepEqual(s.pull(4)?.toString(), 'ab');
  assert.equal(s.pull(4), null);
  assert.equal(s.ended, false);
  let woken = 0;
  s.onWake = () => woken++;
  s.resume();
  s.resume(); // harmless when not paused
  assert.equal(woken, 1);
  assert.equal(s.pull(4)?.toString(), 'cdef', 'a chunk larger than size is kept, not lost');
  assert.equal(s.pull(4)?.toString(), 'gh');
  assert.equal(s.pull(4)?.toString(), 'ij');
  assert.equal(s.ended, true);
  assert.deepEqual(sizes, [4, 4, 4, 4]);
});

test('the body generator: DATA_EOF with null ends the body', () => {
  const s = bodySourceOf(() => [null, DATA_EOF])!;
  assert.equal(s.pull(10), null);
  assert.equal(s.ended, true);
  assert.equal(s.error, undefined);
});

test('a body generator that misbehaves fails with a UsageError naming the problem', () => {
  for (const [gen, token] of [
    [() => [null, DATA_OK], 'body_generator_empty_ok'],
    [() => ['x', 7], 'body_generator_bad_flag'],
    [() => 'nope', 'body_generator_bad_result'],
  ] as const) {
    const s = bodySourceOf(gen as never)!;
    assert.equal(s.pull(10), null);
    assert.ok(s.error instanceof UsageError);
    assert.equal((s.error as UsageError).token, token);
  }
  const thrower = bodySourceOf(() => {
    throw new RangeError('backend gone');
  })!;
  assert.equal(thrower.pull(10), null);
  assert.ok(thrower.error instanceof RangeError);
});

test('an unsupported body kind is a UsageError', () => {
  assert.throws(() => bodySourceOf(42 as never), (e: unknown) => e instanceof UsageError && e.token === 'body_unsupported');
  assert.throws(() => bodySourceOf({} as never), UsageError);
});
