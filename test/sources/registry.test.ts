// Which backend reads a path (src/sources/registry.ts): a storage's own index is used, part of a
// storage that has one is refused (its caches could not be told from instances), and any other
// path is walked.
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../src/core/errors.js';
import { locateSource } from '../../src/sources/registry.js';
import type { Source, SourceOptions } from '../../src/sources/source.js';
import { FIXTURE_DICOM_DIR, SAMPLE_STORAGE } from '../helpers/storages.js';

const options = (source: string): SourceOptions => ({ source, indexPath: undefined, useIndex: true, includeOrphans: false, followSymlinks: false, studiesInFlight: 2 });

const refusal = async (source: string): Promise<string> => {
  try {
    await locateSource(options(source));
  } catch (error) {
    if (isImporterError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'not refused';
};

// Opens what the registry located, hands it to `look`, and closes it.
const opened = async <T>(input: SourceOptions, look: (source: Source) => T): Promise<T> => {
  const source = await (await locateSource(input)).open();
  try {
    return look(source);
  } finally {
    await source.close();
  }
};

// The optional features a source offers.
const offered = (source: Source): string[] => ['settled', 'fingerprint', 'plannedBytes', 'joinListing', 'summary'].filter((feature) => feature in source);

describe('locateSource', () => {
  it('reads a whole storage through its index: studies known whole, a summary of the index, a fingerprint, the listing joined', async () => {
    const located = await locateSource(options(SAMPLE_STORAGE));
    expect(located.fingerprint).toBeDefined();
    const source = await located.open();
    try {
      expect(source.features).toEqual({ wholeStudies: true, unknownFiles: false });
      expect(source.summary?.described).toMatch(/^source index: schema \d+, \d+ live instances; attachments: dicom \d+/);
      expect(offered(source)).toEqual(['settled', 'fingerprint', 'plannedBytes', 'joinListing', 'summary']);
      expect(source.plannedBytes?.(undefined, () => false)).toBeGreaterThan(0);
      expect(source.plannedBytes?.(undefined, () => true)).toBe(0); // all recorded: nothing left to write
    } finally {
      await source.close();
    }
    // with --include-orphans, the orphans are files to classify by content
    expect(await opened({ ...options(SAMPLE_STORAGE), includeOrphans: true }, (source) => source.features)).toEqual({ wholeStudies: true, unknownFiles: true });
  });

  it('walks any other shape: a folder of files, a single file, a storage with --no-index', async () => {
    for (const input of [options(FIXTURE_DICOM_DIR), options(join(FIXTURE_DICOM_DIR, (await readdir(FIXTURE_DICOM_DIR))[0] ?? '')), { ...options(SAMPLE_STORAGE), useIndex: false }]) {
      const located = await locateSource(input);
      expect(located.fingerprint).toBeUndefined();
      expect(await opened(input, (source) => [source.features, offered(source)])).toEqual([{ wholeStudies: false, unknownFiles: true }, []]);
    }
  });

  it('reads the index --index names, and refuses --index with a file as the source', async () => {
    const located = await locateSource({ ...options(FIXTURE_DICOM_DIR), indexPath: join(SAMPLE_STORAGE, 'index') });
    expect(located.fingerprint).toBeDefined();
    const file = join(FIXTURE_DICOM_DIR, (await readdir(FIXTURE_DICOM_DIR))[0] ?? '');
    await expect(locateSource({ ...options(file), indexPath: join(SAMPLE_STORAGE, 'index') })).rejects.toThrow(/--index needs a storage folder as the source, got the file/);
  });

  it('refuses a folder or a file inside a storage that has an index, naming the storage and the way to take part of it', async () => {
    const first = (await readdir(SAMPLE_STORAGE)).find((name) => /^[0-9a-f]{2}$/.test(name)) ?? '';
    const second = (await readdir(join(SAMPLE_STORAGE, first)))[0] ?? '';
    const file = (await readdir(join(SAMPLE_STORAGE, first, second)))[0] ?? '';
    for (const part of [join(SAMPLE_STORAGE, first), join(SAMPLE_STORAGE, first, second), join(SAMPLE_STORAGE, first, second, file)]) {
      const message = await refusal(part);
      expect(message).toMatch(/^E_USAGE: The source .* is part of the Orthanc storage .*sample-storage \(its index is .*sample-storage\/index\)/);
      expect(message).toMatch(/Give the whole storage as the source; --patient-id, --study-uid/);
    }
    // with --no-index too: the caches are the problem, not the mode
    await expect(locateSource({ ...options(join(SAMPLE_STORAGE, first)), useIndex: false })).rejects.toThrow(/is part of the Orthanc storage/);
  });

  it('walks a folder named like a storage folder when no index is above it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-locate-'));
    await mkdir(join(root, 'ab', 'cd'), { recursive: true });
    await writeFile(join(root, 'index.txt'), 'not an index');
    const located = await locateSource(options(join(root, 'ab', 'cd')));
    expect(located).toMatchObject({ root: join(root, 'ab', 'cd') });
    expect(located.fingerprint).toBeUndefined();
  });

  it('says which source it cannot read', async () => {
    expect(await refusal('/no/such/source')).toMatch(/^E_SOURCE: Cannot read the source \/no\/such\/source \(ENOENT\)$/);
  });

  it('says what a missing source meant as a server was likely meant to be, never showing its password', async () => {
    expect(await refusal('127.0.0.1:8042')).toMatch(/ \(ENOENT\): did you mean http:\/\/127\.0\.0\.1:8042\?$/);
    expect(await refusal('http:/127.0.0.1:8042/orthanc')).toMatch(/ \(ENOENT\): did you mean http:\/\/127\.0\.0\.1:8042\/orthanc\?$/);
    expect(await refusal('dicomweb+http://127.0.0.1:8042/dicom-web')).toMatch(/: only a running Orthanc \(http:\/\/ or https:\/\/\) is read over the network$/);
    for (const typo of ['https:/alice:s3cret@127.0.0.1:8042', 'alice:s3cret@127.0.0.1:8042']) {
      const message = await refusal(typo);
      expect(message).toMatch(/did you mean https?:\/\/…@127\.0\.0\.1:8042\?$/);
      expect(message).not.toContain('s3cret');
    }
  });
});
