// Maps an async iterable with at most `limit` calls in flight, yielding results as they finish.
// It pulls from the source only when a slot is free and the consumer has taken the last result,
// so a slow consumer holds back the whole chain (backpressure without buffers).
export async function* mapBounded<T, R>(source: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const iterator: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const running = new Map<number, Promise<{ id: number; value: R }>>();
  let exhausted = false;
  let nextId = 0;
  try {
    for (;;) {
      while (!exhausted && running.size < limit) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const id = nextId++;
        const task = fn(next.value).then((value) => ({ id, value }));
        task.catch(() => undefined); // observed through Promise.race below; avoids an unhandled rejection
        running.set(id, task);
      }
      if (running.size === 0) return;
      const { id, value } = await Promise.race(running.values());
      running.delete(id);
      yield value;
    }
  } finally {
    await iterator.return?.();
  }
}
