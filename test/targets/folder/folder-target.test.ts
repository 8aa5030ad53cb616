import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../src/core/errors.js';
import { FolderTarget } from '../../../src/targets/folder/folder-target.js';
import { DEFAULT_IDS, instanceRefOf } from '../../helpers/dicom-bytes.js';

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

// An instance as the run asks a target about it, with its bytes.
const instance = instanceRefOf;

const opened = async (layout: 'flat' | 'hierarchy' = 'flat', overwrite = false): Promise<{ target: FolderTarget; dir: string }> => {
  const dir = join(await mkdtemp(join(tmpdir(), 'oi-folder-target-')), 'out');
  const target = new FolderTarget({ dir, layout, overwrite }, 4);
  await target.assess();
  return { target, dir };
};

describe('FolderTarget', () => {
  it('refuses a target path that is a file, as a run-stopping E_TARGET_FOLDER', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'oi-folder-target-')), 'a-file');
    await writeFile(file, 'x');
    const refusal = await new FolderTarget({ dir: file, layout: 'flat', overwrite: false }, 1).assess().catch((error: unknown) => error);
    expect(isImporterError(refusal) && refusal.code).toBe('E_TARGET_FOLDER');
  });

  it('puts a file proven by its MD5 as written, then finds it identical, in its own words and the core\'s', async () => {
    const { target, dir } = await opened();
    const { ref, bytes } = instance();
    const first = await target.put(ref, bytes);
    expect(first).toMatchObject({ kind: 'stored', status: 'stored', answer: 'written', proof: { kind: 'same', by: 'md5' }, fields: { output: `${DEFAULT_IDS.sopInstanceUid}.dcm` } });
    expect(md5(await readFile(join(dir, `${DEFAULT_IDS.sopInstanceUid}.dcm`)))).toBe(ref.md5);
    expect(await target.put(ref, bytes)).toMatchObject({ kind: 'stored', status: 'already-there', answer: 'identical' });
  });

  it('keeps another version of the instance as a conflict (replaced with --overwrite)', async () => {
    const { target, dir } = await opened();
    const older = instance({ pixelBytes: 128 });
    await target.put(older.ref, older.bytes);
    const newer = instance({ pixelBytes: 256 });
    expect((await target.put(newer.ref, newer.bytes)).kind).toBe('conflict');
    expect(md5(await readFile(join(dir, `${DEFAULT_IDS.sopInstanceUid}.dcm`)))).toBe(older.ref.md5);
    const overwriting = new FolderTarget({ dir, layout: 'flat', overwrite: true }, 1);
    await overwriting.assess();
    expect(await overwriting.put(newer.ref, newer.bytes)).toMatchObject({ kind: 'stored', status: 'stored', answer: 'replaced' });
  });

  it('holds(): the same file by its MD5, another version, or absent; beside another instance\'s file too', async () => {
    const { target, dir } = await opened();
    const { ref, bytes } = instance();
    expect(await target.holds(ref)).toEqual({ kind: 'absent' });
    await target.put(ref, bytes);
    expect(await target.holds(ref)).toEqual({ kind: 'same', by: 'md5' });
    const other = instance({ pixelBytes: 512 });
    expect(await target.holds(other.ref)).toMatchObject({ kind: 'other', reason: expect.stringContaining(`another version of this instance at ${DEFAULT_IDS.sopInstanceUid}.dcm`) as string });
    // Another patient's instance with the same SOP Instance UID goes beside the first, and is found there.
    const twin = instance({ patientId: 'PAT-TWIN' });
    const put = await target.put(twin.ref, twin.bytes);
    expect(put.kind === 'stored' && put.fields?.output).toMatch(/~[0-9a-f]{8}\.dcm$/);
    expect(await target.holds(twin.ref)).toEqual({ kind: 'same', by: 'md5' });
    await rm(join(dir, `${DEFAULT_IDS.sopInstanceUid}.dcm`));
    expect(await target.holds(ref)).toEqual({ kind: 'absent' });
  });

  it('holds() with a recorded delivery: the same by its size while the file stands as recorded, absent once changed', async () => {
    const { target, dir } = await opened();
    const { ref, bytes } = instance();
    const put = await target.put(ref, bytes);
    if (put.kind !== 'stored') throw new Error('expected the put to store');
    // A record of an earlier run: a later run opens the folder anew (files written before it).
    const later = new FolderTarget({ dir, layout: 'flat', overwrite: false }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await later.assess();
    const recorded = { fileClass: 'dicom' as const, decodedSize: ref.size, ...put.fields };
    expect(await later.holds(ref, { recorded })).toEqual({ kind: 'same', by: 'size' });
    await writeFile(join(dir, `${DEFAULT_IDS.sopInstanceUid}.dcm`), bytes); // same bytes, a new mtime
    expect(await later.holds(ref, { recorded })).toEqual({ kind: 'absent' });
  });
});
