// check, written once for every target, here against a real recovery folder (no server needed):
// each answer of holds() becomes the outcome a user reads.
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecodedDicom } from '../../src/core/types.js';
import { orthancInstanceId } from '../../src/decode/orthanc-id.js';
import { checkOne } from '../../src/run/check.js';
import { FolderTarget } from '../../src/targets/folder/folder-target.js';
import { buildPart10, DEFAULT_IDS } from '../helpers/dicom-bytes.js';

const decoded = (pixelBytes: number): DecodedDicom => {
  const bytes = buildPart10({ pixelBytes }).bytes;
  const header = { ...DEFAULT_IDS, transferSyntaxUid: '1.2.840.10008.1.2.1', accessionNumber: '', modality: 'CT', studyDate: '20260101' };
  return { kind: 'dicom', diskSize: bytes.length, encoding: 'raw', header, decodedSize: bytes.length, md5: createHash('md5').update(bytes).digest('hex'), orthancId: orthancInstanceId(header), bytes };
};

describe('checkOne', () => {
  it('names an instance verified by its MD5, absent, or in another version there; a skipped file stays skipped', async () => {
    const target = new FolderTarget({ dir: join(await mkdtemp(join(tmpdir(), 'oi-check-')), 'out'), layout: 'flat', overwrite: false }, 1);
    await target.assess();
    const entry = { path: '/src/a.dcm', relativePath: 'a.dcm' };
    const original = decoded(64);
    expect(await checkOne(entry, original, target)).toMatchObject({ fileClass: 'absent', reason: `instance ${original.orthancId} is not on the target` });
    await target.put({ ...DEFAULT_IDS, instanceId: original.orthancId, md5: original.md5, size: original.decodedSize }, original.bytes ?? new Uint8Array());
    expect(await checkOne(entry, original, target)).toMatchObject({ fileClass: 'dicom', verified: 'md5', instanceId: original.orthancId, path: 'a.dcm' });
    expect(await checkOne(entry, decoded(128), target)).toMatchObject({ fileClass: 'conflict', reason: expect.stringContaining('another version of this instance') as string });
    const skipped = { kind: 'skipped', fileClass: 'not-dicom', diskSize: 3, reason: 'junk' } as const;
    expect(await checkOne(entry, skipped, target)).toEqual({ path: 'a.dcm', size: 3, fileClass: 'not-dicom', reason: 'junk', encoding: undefined });
  });
});
