// The order a source that knows each study before reading its files sends them in: a few studies
// at a time, and within them the series taking turns, one instance each, so that the uploads in
// flight go to different series (uploads into one series cost the target Orthanc a third more CPU)
// and each study arrives whole, soon after its first instance.

/** An item with the series it belongs to. */
export interface InSeries<T> {
  readonly series: string;
  readonly item: T;
}

// Why: a group's instances with the series taking turns: the first of each series, then the
// second of each, and so on (series in the order they first appear, instances in theirs).
export const seriesTakingTurns = <T>(group: readonly InSeries<T>[]): T[] => {
  const bySeries = new Map<string, T[]>();
  for (const { series, item } of group) {
    const list = bySeries.get(series);
    if (list === undefined) bySeries.set(series, [item]);
    else list.push(item);
  }
  const lists = [...bySeries.values()];
  const ordered: T[] = [];
  for (let rank = 0; ordered.length < group.length; rank++) {
    for (const list of lists) {
      const item = list[rank];
      if (item !== undefined) ordered.push(item);
    }
  }
  return ordered;
};

// Why: studies listed one after the other, sent `perGroup` at a time (0: as listed, one study after
// the other, series unmixed). Memory: one group's items.
export async function* inStudyGroups<T>(studies: AsyncIterable<readonly InSeries<T>[]>, perGroup: number): AsyncGenerator<T> {
  let group: InSeries<T>[] = [];
  let count = 0;
  for await (const study of studies) {
    if (perGroup === 0) {
      for (const { item } of study) yield item;
      continue;
    }
    for (const one of study) group.push(one);
    if (++count < perGroup) continue;
    yield* seriesTakingTurns(group);
    group = [];
    count = 0;
  }
  yield* seriesTakingTurns(group);
}
