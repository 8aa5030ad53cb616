type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** A second bound, on what the items in flight weigh (e.g. the bytes they hold). */
export interface WeightBound<T> {
  weigh(item: T): number;
  /** Nothing more is pulled while the items in flight weigh this much or more (one item is always let through). */
  readonly max: number;
}

// Maps an async iterable with at most `limit` calls in flight, yielding results as they finish.
// It pulls from the source only while fewer than `limit` calls are running or finished but not yet
// taken (and, with a `bound`, while they weigh less than its max), so a slow consumer holds back
// the whole chain (backpressure without buffers). Finished results wait in a queue: constant work
// per item, whatever the limit.
export async function* mapBounded<T, R>(source: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<R>, bound?: WeightBound<T>): AsyncGenerator<R> {
  const iterator: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const finished: (Settled<R> & { readonly weight: number })[] = [];
  let running = 0;
  let weight = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;
  const settle = (result: Settled<R> & { readonly weight: number }): void => {
    running--;
    finished.push(result);
    wake?.();
    wake = undefined;
  };
  const roomFor = (): boolean => running + finished.length < limit && (bound === undefined || weight < bound.max || running + finished.length === 0);
  try {
    for (;;) {
      while (!exhausted && roomFor()) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        running++;
        const itemWeight = bound?.weigh(next.value) ?? 0;
        weight += itemWeight;
        fn(next.value).then(
          (value) => {
            settle({ ok: true, value, weight: itemWeight });
          },
          (error: unknown) => {
            settle({ ok: false, error, weight: itemWeight });
          },
        );
      }
      const result = finished.shift();
      if (result !== undefined) weight -= result.weight;
      if (result === undefined) {
        if (running === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      if (!result.ok) throw result.error;
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
