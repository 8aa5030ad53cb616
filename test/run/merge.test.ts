import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { merge } from '../../src/run/merge.js';

async function* slow<T>(values: readonly T[], ms: number): AsyncGenerator<T> {
  for (const value of values) {
    await sleep(ms);
    yield value;
  }
}

describe('merge', () => {
  it('yields every value of every source, each as soon as it is there', async () => {
    const seen: string[] = [];
    for await (const value of merge(slow(['s1', 's2'], 40), slow(['f1', 'f2', 'f3'], 1))) seen.push(value);
    expect([...seen].sort()).toEqual(['f1', 'f2', 'f3', 's1', 's2']);
    // The fast source is not held back by the slow one.
    expect(seen.slice(0, 3)).toEqual(['f1', 'f2', 'f3']);
  });

  it('pulls at most one value ahead per source', async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<number> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield await Promise.resolve(i);
      }
    }
    const iterator = merge(counted())[Symbol.asyncIterator]();
    await iterator.next();
    await sleep(10);
    expect(pulled).toBeLessThanOrEqual(2);
    await iterator.return(undefined);
  });

  it('passes a source failure on and stops the other sources', async () => {
    let finished = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) {
          await sleep(5);
          yield i;
        }
      } finally {
        finished = true;
      }
    }
    async function* failing(): AsyncGenerator<number> {
      await sleep(20);
      yield -1;
      throw new Error('source broke');
    }
    const consume = async (): Promise<number> => {
      let count = 0;
      for await (const value of merge(endless(), failing())) count += value === -1 ? 0 : 1;
      return count;
    };
    await expect(consume()).rejects.toThrow('source broke');
    expect(finished).toBe(true);
  });
});
