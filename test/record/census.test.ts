// The inventory's census: what a migration plan needs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHAPE_NAMES, writeRealWorldShapes } from '../../fixtures/real-world-shapes.js';
import { Census } from '../../src/record/census.js';
import { resolveOptions, runImport } from '../../src/index.js';
import { orthancJson, orthancsOfThisFile, uploadToOrthanc } from '../helpers/orthanc.js';
import type { FileOutcome } from '../../src/core/types.js';

const dicom = (patientId: string, study: string, series: string, modality: string, studyDate: string): FileOutcome => ({
  path: `${series}/x`,
  size: 10,
  decodedSize: 100,
  fileClass: 'dicom',
  patientId,
  studyInstanceUid: study,
  seriesInstanceUid: series,
  modality,
  studyDate,
});

describe('Census', () => {
  it('counts patients, studies, series, instances, bytes, the date range and modalities', () => {
    const census = new Census();
    census.add(dicom('P1', 'S1', 'R1', 'CT', '20200101'));
    census.add(dicom('P1', 'S1', 'R1', 'CT', '20200101'));
    census.add(dicom('P1', 'S2', 'R2', 'MR', '20190505'));
    census.add(dicom('P2', 'S3', 'R3', 'CT', '20211231'));
    census.add({ path: 'junk', size: 5, fileClass: 'not-dicom', reason: 'junk' });
    expect(census.summary()).toEqual({
      patients: 2,
      studies: 3,
      series: 3,
      instances: 4,
      bytes: 400,
      studyDates: { first: '20190505', last: '20211231' },
      modalities: { CT: 3, MR: 1 },
    });
  });

  it('has no date range when no study is dated', () => {
    const census = new Census();
    census.add(dicom('P1', 'S1', 'R1', 'OT', ''));
    expect(census.summary().studyDates).toBeUndefined();
  });
});

describe('the census of an inventory agrees with the server', () => {
  const start = orthancsOfThisFile();

  it('counts patients, studies and series as Orthanc does: an empty PatientID is a patient, one study UID in two patients is two studies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oi-census-'));
    try {
      const paths = await writeRealWorldShapes(dir);
      await rm(paths['nested-10000']);
      const inventory = await runImport(resolveOptions({ source: dir }));
      const target = await start();
      for (const name of SHAPE_NAMES) if (name !== 'nested-10000') await uploadToOrthanc(target, paths[name]);
      const server = await orthancJson<{ CountPatients: number; CountStudies: number; CountSeries: number }>(target, '/statistics');
      const { patients, studies, series } = inventory.census;
      expect({ patients, studies, series }).toEqual({ patients: server.CountPatients, studies: server.CountStudies, series: server.CountSeries });
      // Not a vacuous agreement: the empty PatientID and the shared study UID both count.
      expect(server.CountStudies).toBe(SHAPE_NAMES.length - 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
