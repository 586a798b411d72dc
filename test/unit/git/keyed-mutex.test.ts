import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKeyedMutex } from '../../../src/lib/git/keyed-mutex.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keyed mutex', () => {
  it('runs operations on one key one at a time, in order, and other keys in parallel', async () => {
    const m = createKeyedMutex();
    const log: string[] = [];
    const op = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        log.push(`${name}+`);
        await tick(ms);
        log.push(`${name}-`);
        return name;
      });
    const results = await Promise.all([op('a', 'a1', 20), op('a', 'a2', 1), op('b', 'b1', 5)]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.deepEqual(log, ['a1+', 'b1+', 'b1-', 'a1-', 'a2+', 'a2-']);
  });

  it('does not let a failure block the next operation', async () => {
    const m = createKeyedMutex();
    await assert.rejects(
      m.run('k', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await m.run('k', async () => 'next'), 'next');
  });
});
