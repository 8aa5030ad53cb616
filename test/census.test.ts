// The inventory's census: what a migration plan needs.
import { describe, expect, it } from 'vitest';
import { Census } from '../src/census.js';
import type { FileOutcome } from '../src/types.js';

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
