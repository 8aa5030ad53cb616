import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../src/run/map-bounded.js';

// An async source that counts how many items were pulled from it.
const countingSource = (count: number): { source: AsyncIterable<number>; pulls: () => number; closed: () => boolean } => {
  let pulled = 0;
  let done = false;
  async function* generate(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < count; i++) {
        await Promise.resolve();
        pulled++;
        yield i;
      }
    } finally {
      done = true;
    }
  }
  return { source: generate(), pulls: () => pulled, closed: () => done };
};

describe('mapBounded', () => {
  it('never has more than `limit` calls in flight, reaches the limit, and yields every result', async () => {
    const { source } = countingSource(40);
    let inFlight = 0;
    let maxInFlight = 0;
    const results: number[] = [];
    for await (const value of mapBounded(source, 3, async (n) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep((n * 7) % 5);
      inFlight--;
      return n * 2;
    })) {
      results.push(value);
    }
    expect(maxInFlight).toBe(3);
    expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
  });

  it('with a weight bound, takes no more items while those in flight weigh its max, but always one', async () => {
    // Items 0..19 weigh 10 each except every fifth, which weighs 100 (more than the max alone).
    const weigh = (n: number): number => (n % 5 === 0 ? 100 : 10);
    let inFlight = 0;
    let heaviest = 0;
    const results: number[] = [];
    for await (const value of mapBounded(countingSource(20).source, 16, async (n) => {
      inFlight += weigh(n);
      heaviest = Math.max(heaviest, inFlight);
      await sleep(n % 3);
      inFlight -= weigh(n);
      return n;
    }, { weigh, max: 35 })) {
      results.push(value);
    }
    expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Below the max, one more item may go in: at most max - 1 + the heaviest item (unbounded, 16 in flight would weigh far more).
    expect(heaviest).toBeLessThanOrEqual(34 + 100);
    expect(heaviest).toBeGreaterThanOrEqual(30);
  });

  it('yields results as they finish, not in source order', async () => {
    const order: number[] = [];
    for await (const value of mapBounded(countingSource(2).source, 2, async (n) => {
      await sleep(n === 0 ? 30 : 1);
      return n;
    })) {
      order.push(value);
    }
    expect(order).toEqual([1, 0]);
  });

  it('handles an empty source', async () => {
    const results: number[] = [];
    for await (const value of mapBounded(countingSource(0).source, 4, (n) => Promise.resolve(n))) results.push(value);
    expect(results).toEqual([]);
  });

  it('does not pull the source more than `limit` items ahead of a consumer that stops pulling', async () => {
    const { source, pulls } = countingSource(100);
    const mapped = mapBounded(source, 4, (n) => Promise.resolve(n));
    expect(pulls()).toBe(0);
    const first = await mapped.next();
    expect(first.done).toBe(false);
    await sleep(50);
    expect(pulls()).toBeLessThanOrEqual(4 + 1);
    await mapped.next();
    await mapped.next();
    await sleep(50);
    expect(pulls()).toBeLessThanOrEqual(4 + 3);
    await mapped.return(undefined);
  });

  it('closes the source when the consumer stops early', async () => {
    const { source, closed } = countingSource(100);
    for await (const value of mapBounded(source, 2, (n) => Promise.resolve(n))) {
      if (value >= 0) break;
    }
    expect(closed()).toBe(true);
  });

  it('propagates a rejection to the consumer', async () => {
    const { source, closed } = countingSource(10);
    const consume = async (): Promise<number[]> => {
      const seen: number[] = [];
      for await (const value of mapBounded(source, 3, async (n) => {
        await sleep(1);
        if (n === 4) throw new Error('boom on 4');
        return n;
      })) {
        seen.push(value);
      }
      return seen;
    };
    await expect(consume()).rejects.toThrow('boom on 4');
    expect(closed()).toBe(true);
  });

  it('yields what finished while the source is slow to give its next item (a followed change log)', async () => {
    let release: () => void = () => undefined;
    const later = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* slowSecond(): AsyncGenerator<number> {
      yield 1;
      await later;
      yield 2;
    }
    const mapped = mapBounded(slowSecond(), 4, (n) => Promise.resolve(n * 10));
    expect(await mapped.next()).toEqual({ done: false, value: 10 });
    release();
    expect(await mapped.next()).toEqual({ done: false, value: 20 });
    expect(await mapped.next()).toEqual({ done: true, value: undefined });
  });
  it('a failure reaches the consumer while the source still waits for its next item, which is closed once it comes', async () => {
    let release: () => void = () => undefined;
    const later = new Promise<void>((resolve) => {
      release = resolve;
    });
    let closed = false;
    async function* waitsAfterFirst(): AsyncGenerator<number> {
      try {
        yield 1;
        await later;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const mapped = mapBounded(waitsAfterFirst(), 4, async (n) => {
      await sleep(5); // the source is asked for its next item meanwhile
      throw new Error(`failed on ${n}`);
    });
    await expect(mapped.next()).rejects.toThrow('failed on 1');
    expect(closed).toBe(false);
    release();
    await sleep(10);
    expect(closed).toBe(true);
  });
});
