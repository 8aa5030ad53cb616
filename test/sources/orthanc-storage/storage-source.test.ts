// A stopped Orthanc's storage as a Source (src/sources/orthanc-storage/storage-source.ts): the
// features the run asks for, over the committed sample storage.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/core/options.js';
import type { SourceItem } from '../../../src/core/types.js';
import { locateSource } from '../../../src/sources/registry.js';
import type { Source } from '../../../src/sources/source.js';
import { SAMPLE_STORAGE } from '../../helpers/storages.js';

const collect = async (items: AsyncIterable<SourceItem> | Iterable<SourceItem>): Promise<SourceItem[]> => {
  const all: SourceItem[] = [];
  for await (const item of items) all.push(item);
  return all;
};

const instancesOf = (items: readonly SourceItem[]): Extract<SourceItem, { kind: 'indexed' }>[] => items.filter((item) => item.kind === 'indexed');

const withSource = async <T>(includeOrphans: boolean, body: (source: Source) => Promise<T>, fingerprintFor?: ReturnType<typeof resolveOptions>): Promise<T> => {
  const source = await (await locateSource({ source: SAMPLE_STORAGE, indexPath: undefined, useIndex: true, includeOrphans, followSymlinks: false, studiesInFlight: 2 })).open(fingerprintFor);
  try {
    return await body(source);
  } finally {
    await source.close();
  }
};

describe('the storage source', () => {
  it('takes, as it opens, the same fingerprint as the one taken before a run answers from its journal', async () => {
    const options = resolveOptions({ source: SAMPLE_STORAGE, target: 'http://127.0.0.1:1' });
    const located = await locateSource(options);
    const now = await located.fingerprint?.now(options);
    expect(now?.digest).toMatch(/^[0-9a-f]{64}$/);
    for (const includeOrphans of [false, true]) {
      expect((await withSource(includeOrphans, async (source) => source.fingerprint, options))?.digest).toBe(now?.digest);
    }
    // not asked: none taken
    expect(await withSource(false, async (source) => source.fingerprint)).toBeUndefined();
  });

  it('plans the decoded bytes of the instances the filter takes that are not recorded yet', async () => {
    await withSource(false, async (source) => {
      const instances = instancesOf(await collect(source.items()));
      const total = instances.reduce((sum, item) => sum + item.expected.uncompressedSize, 0);
      expect(source.plannedBytes?.(undefined, () => false)).toBe(total);
      const [first] = instances;
      if (first === undefined) throw new Error('expected instances');
      expect(source.plannedBytes?.(undefined, (key) => key === first.key)).toBe(total - first.expected.uncompressedSize);
      const patient = first.tags.patientId;
      const ofPatient = instances.filter((item) => item.tags.patientId === patient).reduce((sum, item) => sum + item.expected.uncompressedSize, 0);
      expect(source.plannedBytes?.({ patientIds: [patient], studyUids: [], accessions: [], modalities: [], studyDate: undefined }, () => false)).toBe(ofPatient);
    });
  });

  it('joined with the listing, gives as items only what no page named, orphans and all with --include-orphans', async () => {
    await withSource(true, async (source) => {
      const join = source.joinListing?.();
      const all = await collect(source.items());
      if (join === undefined) throw new Error('expected a listing join');
      const [first] = instancesOf(all);
      if (first === undefined) throw new Error('expected instances');
      // Items as data: each carries a fresh reader of its extras (a function).
      const data = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
      expect(data(join.addPage([{ id: first.expected.instanceId, size: 1, file: '' }]))).toEqual(data([first]));
      expect(join.find(first.expected.instanceId)).toEqual({ id: first.expected.instanceId, size: 1, file: '' });
      const rest = await collect(source.items());
      expect(data(rest)).toEqual(data(all.filter((item) => !(item.kind === 'indexed' && item.key === first.key))));
      expect(rest.length).toBe(all.length - 1);
      join.close();
    });
  });
});
