type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

// Maps an async iterable with at most `limit` calls in flight, yielding results as they finish.
// It pulls from the source only while fewer than `limit` calls are running or finished but not yet
// taken, so a slow consumer holds back the whole chain (backpressure without buffers). Finished
// results wait in a queue: constant work per item, whatever the limit.
export async function* mapBounded<T, R>(source: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const iterator: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const finished: Settled<R>[] = [];
  let running = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;
  const settle = (result: Settled<R>): void => {
    running--;
    finished.push(result);
    wake?.();
    wake = undefined;
  };
  try {
    for (;;) {
      while (!exhausted && running + finished.length < limit) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        running++;
        fn(next.value).then(
          (value) => {
            settle({ ok: true, value });
          },
          (error: unknown) => {
            settle({ ok: false, error });
          },
        );
      }
      const result = finished.shift();
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
