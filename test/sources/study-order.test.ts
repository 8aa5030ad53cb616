import { describe, expect, it } from 'vitest';
import { inStudyGroups, seriesTakingTurns, type InSeries } from '../../src/sources/study-order.js';

// A study of series named by letter, e.g. study('A', { x: 2, y: 1 }): A.x1, A.x2, A.y1.
const study = (name: string, series: Record<string, number>): InSeries<string>[] =>
  Object.entries(series).flatMap(([one, count]) => Array.from({ length: count }, (_, i) => ({ series: `${name}.${one}`, item: `${name}.${one}${i + 1}` })));

// The studies as a listing gives them, one at a time after a turn of the event loop.
async function* listed(...studies: InSeries<string>[][]): AsyncGenerator<InSeries<string>[]> {
  for (const study of studies) yield await Promise.resolve(study);
}

const collect = async (items: AsyncIterable<string>): Promise<string[]> => {
  const all: string[] = [];
  for await (const item of items) all.push(item);
  return all;
};

describe('study order', () => {
  it('lets the series take turns, one instance each, in the order they first appear', () => {
    expect(seriesTakingTurns(study('A', { x: 3, y: 1, z: 2 }))).toEqual(['A.x1', 'A.y1', 'A.z1', 'A.x2', 'A.z2', 'A.x3']);
    expect(seriesTakingTurns([])).toEqual([]);
  });

  it('sends the studies a group at a time, the series of the whole group taking turns; 0 keeps the listing order', async () => {
    const studies = [study('A', { x: 2 }), study('B', { x: 1, y: 1 }), study('C', { x: 2 })];
    expect(await collect(inStudyGroups(listed(...studies), 0))).toEqual(['A.x1', 'A.x2', 'B.x1', 'B.y1', 'C.x1', 'C.x2']);
    expect(await collect(inStudyGroups(listed(...studies), 1))).toEqual(['A.x1', 'A.x2', 'B.x1', 'B.y1', 'C.x1', 'C.x2']);
    // Two at a time: A with B, then C, the last group short.
    expect(await collect(inStudyGroups(listed(...studies), 2))).toEqual(['A.x1', 'B.x1', 'B.y1', 'A.x2', 'C.x1', 'C.x2']);
    expect(await collect(inStudyGroups(listed(), 2))).toEqual([]);
  });
});
