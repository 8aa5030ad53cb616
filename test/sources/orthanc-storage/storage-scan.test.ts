import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../src/core/errors.js';
import { OrthancIndex } from '../../../src/sources/orthanc-storage/sqlite/orthanc-index.js';
import { scanStorage } from '../../../src/sources/orthanc-storage/storage-scan.js';
import type { FileOutcome } from '../../../src/core/types.js';
import { fingerprintSource, stampIndex } from '../../../src/sources/orthanc-storage/unchanged.js';
import { SAMPLE_STORAGE } from '../../helpers/storages.js';
import { listFiles, snapshotTree } from '../../helpers/tree.js';

const withIndex = async <T>(body: (index: OrthancIndex) => Promise<T>): Promise<T> => {
  const index = await OrthancIndex.open({ indexPath: join(SAMPLE_STORAGE, 'index'), storageRoot: SAMPLE_STORAGE });
  try {
    return await body(index);
  } finally {
    await index.close();
  }
};

const readAll = async (outcomes: AsyncIterable<readonly FileOutcome[]>): Promise<FileOutcome[]> => {
  const all: FileOutcome[] = [];
  for await (const batch of outcomes) all.push(...batch);
  return all;
};

describe('scanStorage (the storage walker thread)', () => {
  it('reports every file of a real storage that is not a live instance, once, classified from the index', async () => {
    const before = await snapshotTree(SAMPLE_STORAGE);
    await withIndex(async (index) => {
      const scan = scanStorage({ root: SAMPLE_STORAGE, fingerprint: undefined }, Promise.resolve(index.copyPath));
      const outcomes = await readAll(scan.outcomes);
      await scan.close();
      expect(await scan.fingerprint).toBeUndefined();
      const paths = outcomes.map((outcome) => outcome.path);
      expect(new Set(paths).size).toBe(paths.length);
      expect(outcomes.length).toBe((await listFiles(SAMPLE_STORAGE)).length - index.summary.instances);
      const caches = index.summary.attachmentTypes.find((type) => type.fileType === 3)?.files ?? 0;
      expect(outcomes.filter((outcome) => outcome.fileClass === 'pixel-data-cache')).toHaveLength(caches);
      expect(outcomes).toContainEqual(expect.objectContaining({ path: 'index', fileClass: 'not-dicom' }));
      expect(outcomes.every((outcome) => outcome.size > 0)).toBe(true);
    });
    expect(await snapshotTree(SAMPLE_STORAGE)).toEqual(before);
  });

  it('takes the fingerprint first when asked, the same as this thread would', async () => {
    await withIndex(async (index) => {
      const stamp = stampIndex(SAMPLE_STORAGE, join(SAMPLE_STORAGE, 'index'), 'options');
      const scan = scanStorage({ root: SAMPLE_STORAGE, fingerprint: stamp }, Promise.resolve(index.copyPath));
      await readAll(scan.outcomes);
      expect(await scan.fingerprint).toEqual(await fingerprintSource(SAMPLE_STORAGE, stamp));
    });
  });

  it('takes the fingerprint before the index copy is there, and walks once it is', async () => {
    const stamp = stampIndex(SAMPLE_STORAGE, join(SAMPLE_STORAGE, 'index'), 'options');
    let give: (copy: string) => void = () => undefined;
    const copy = new Promise<string>((resolve) => {
      give = resolve;
    });
    const scan = scanStorage({ root: SAMPLE_STORAGE, fingerprint: stamp }, copy);
    expect(await scan.fingerprint).toEqual(await fingerprintSource(SAMPLE_STORAGE, stamp));
    await withIndex(async (index) => {
      give(index.copyPath);
      expect((await readAll(scan.outcomes)).length).toBe((await listFiles(SAMPLE_STORAGE)).length - index.summary.instances);
    });
  });

  it('stops when the index copy cannot be made, without walking', async () => {
    const scan = scanStorage({ root: SAMPLE_STORAGE, fingerprint: undefined }, Promise.reject(new Error('no copy')));
    await scan.close();
    await scan.close();
  });

  it('can be closed before it is read, and stops', async () => {
    await withIndex(async (index) => {
      const scan = scanStorage({ root: SAMPLE_STORAGE, fingerprint: undefined }, Promise.resolve(index.copyPath));
      await scan.close();
      await scan.close();
    });
  });

  it('stops the run with a clear error when it cannot read the index copy', async () => {
    const scan = scanStorage({ root: SAMPLE_STORAGE, fingerprint: undefined }, Promise.resolve('/no/such/index'));
    const failure = await readAll(scan.outcomes).catch((error: unknown) => error);
    expect(isImporterError(failure) && failure.code === 'E_SOURCE').toBe(true);
    expect((failure as Error).message).toMatch(/Cannot walk the storage .*sample-storage/);
  });
});
