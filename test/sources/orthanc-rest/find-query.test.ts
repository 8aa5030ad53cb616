import { describe, expect, it } from 'vitest';
import { findQuery } from '../../../src/sources/orthanc-rest/find-query.js';

const none = { patientIds: [], studyUids: [], accessions: [], modalities: [], studyDate: undefined };

describe('findQuery', () => {
  it('asks nothing without a filter', () => {
    expect(findQuery(undefined)).toEqual({});
    expect(findQuery(none)).toEqual({});
  });

  it('says several values as one DICOM multi-value, modalities in the study, dates as FROM-TO', () => {
    const query = findQuery({ ...none, patientIds: ['P1', 'P2'], modalities: ['CT', 'MR'], accessions: ['A1'], studyDate: { from: '20190101' } });
    expect(query).toEqual({ PatientID: 'P1\\P2', ModalitiesInStudy: 'CT\\MR', AccessionNumber: 'A1', StudyDate: '20190101-' });
    expect(findQuery({ ...none, studyDate: { to: '20201231' } })).toEqual({ StudyDate: '-20201231' });
  });

  it('leaves a value with a backslash to the local check (the source must never list less)', () => {
    expect(findQuery({ ...none, patientIds: ['A\\B'], studyUids: ['1.2'] })).toEqual({ StudyInstanceUID: '1.2' });
  });
});
