type Pulled<T> = { readonly index: number; readonly result: IteratorResult<T> } | { readonly index: number; readonly error: unknown };

// Why: two streams that wait on different things (instances on the target's listing, the storage
// walk on nothing) must not wait on each other. Interleaves async iterables, yielding each value
// as soon as its source has it; one value at most is pulled ahead per source, so a consumer that
// stops pulling stops them all.
export async function* merge<T>(...sources: readonly AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<Pulled<T>>>();
  const pull = (index: number): void => {
    const iterator = iterators[index];
    if (iterator === undefined) return;
    pending.set(
      index,
      iterator.next().then(
        (result) => ({ index, result }),
        (error: unknown) => ({ index, error }),
      ),
    );
  };
  for (const index of iterators.keys()) pull(index);
  try {
    while (pending.size > 0) {
      const pulled = await Promise.race(pending.values());
      pending.delete(pulled.index);
      if ('error' in pulled) throw pulled.error;
      if (pulled.result.done === true) continue;
      pull(pulled.index);
      yield pulled.result.value;
    }
  } finally {
    await Promise.all(iterators.map(async (iterator) => iterator.return?.()));
  }
}
