type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** A second bound, on what the items in flight weigh (e.g. the bytes they hold). */
export interface WeightBound<T> {
  weigh(item: T): number;
  /** Nothing more is pulled while the items in flight weigh this much or more (one item is always let through). */
  readonly max: number;
}

// Maps an async iterable with at most `limit` calls in flight, yielding results as they finish
// (a function: the limit as it is now, read each time another call could start).
// It pulls from the source only while fewer than `limit` calls are running or finished but not yet
// taken (and, with a `bound`, while they weigh less than its max), so a slow consumer holds back
// the whole chain (backpressure without buffers). Finished results wait in a queue: constant work
// per item, whatever the limit.
export async function* mapBounded<T, R>(source: AsyncIterable<T> | Iterable<T>, limit: number | (() => number), fn: (item: T) => Promise<R>, bound?: WeightBound<T>): AsyncGenerator<R> {
  const iterator: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const finished: (Settled<R> & { readonly weight: number })[] = [];
  let running = 0;
  let weight = 0;
  let wake: (() => void) | undefined;
  /** The item being pulled (one at a time), what made a pull fail, and whether the source ended (set by the pulls). */
  const pulls: { current: Promise<void> | undefined; failure: { readonly error: unknown } | undefined; exhausted: boolean } = { current: undefined, failure: undefined, exhausted: false };
  const signal = (): void => {
    wake?.();
    wake = undefined;
  };
  const settle = (result: Settled<R> & { readonly weight: number }): void => {
    running--;
    finished.push(result);
    signal();
  };
  const limitNow = typeof limit === 'number' ? () => limit : limit;
  const roomFor = (): boolean => running + finished.length < limitNow() && (bound === undefined || weight < bound.max || running + finished.length === 0);
  // Pulls one item and starts its call. Finished results are yielded while it is awaited: a source
  // slow to give its next item (--follow waiting for the next change) holds none of them back.
  const pull = async (): Promise<void> => {
    const next = await iterator.next();
    if (next.done === true) {
      pulls.exhausted = true;
      return;
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
  };
  try {
    for (;;) {
      if (pulls.failure !== undefined) throw pulls.failure.error;
      if (pulls.current === undefined && !pulls.exhausted && roomFor()) {
        pulls.current = pull()
          .catch((error: unknown) => {
            pulls.failure = { error };
          })
          .finally(() => {
            pulls.current = undefined;
            signal();
          });
      }
      const result = finished.shift();
      if (result === undefined) {
        if (running === 0 && pulls.exhausted && pulls.current === undefined) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      weight -= result.weight;
      if (!result.ok) throw result.error;
      yield result.value;
    }
  } finally {
    // A pull still waiting (--follow waiting for the next change) would hold return() behind it, and
    // a run-stopping failure with it: the source is ended once that pull settles (or fails).
    if (pulls.current === undefined) await iterator.return?.();
    else void pulls.current.then(() => iterator.return?.()).catch(() => undefined);
  }
}
