// Where a run's files are (src/source/locate-source.ts): a storage's own index is used, and part of
// a storage that has one is refused (its caches could not be told from instances).
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../src/core/errors.js';
import { locateSource } from '../../src/sources/locate-source.js';
import { SAMPLE_STORAGE } from '../helpers/storages.js';

const options = (source: string) => ({ source, indexPath: undefined, useIndex: true, includeOrphans: false, followSymlinks: false });

const refusal = (source: string): string => {
  try {
    locateSource(options(source));
  } catch (error) {
    if (isImporterError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'not refused';
};

describe('locateSource', () => {
  it('uses the index of a whole storage', () => {
    expect(locateSource(options(SAMPLE_STORAGE)).indexPath).toBe(join(SAMPLE_STORAGE, 'index'));
  });

  it('refuses a folder or a file inside a storage that has an index, naming the storage and the way to take part of it', async () => {
    const first = (await readdir(SAMPLE_STORAGE)).find((name) => /^[0-9a-f]{2}$/.test(name)) ?? '';
    const second = (await readdir(join(SAMPLE_STORAGE, first)))[0] ?? '';
    const file = (await readdir(join(SAMPLE_STORAGE, first, second)))[0] ?? '';
    for (const part of [join(SAMPLE_STORAGE, first), join(SAMPLE_STORAGE, first, second), join(SAMPLE_STORAGE, first, second, file)]) {
      const message = refusal(part);
      expect(message).toMatch(/^E_USAGE: The source .* is part of the Orthanc storage .*sample-storage \(its index is .*sample-storage\/index\)/);
      expect(message).toMatch(/Give the whole storage as the source; --patient-id, --study-uid/);
    }
    // with --no-index too: the caches are the problem, not the mode
    expect(() => locateSource({ ...options(join(SAMPLE_STORAGE, first)), useIndex: false })).toThrow(/is part of the Orthanc storage/);
  });

  it('walks a folder named like a storage folder when no index is above it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-locate-'));
    await mkdir(join(root, 'ab', 'cd'), { recursive: true });
    await writeFile(join(root, 'index.txt'), 'not an index');
    expect(locateSource(options(join(root, 'ab', 'cd')))).toMatchObject({ indexPath: undefined, isDirectory: true });
  });
});
