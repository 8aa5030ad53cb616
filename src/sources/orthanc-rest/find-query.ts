// The filters as a running Orthanc answers them: one /tools/find query at the study level. The
// answer only narrows the listing; each instance is checked again against the filter itself.
import type { Filter } from '../../core/filter.js';

// Several values are one DICOM multi-value ('A\B'); a value holding a backslash cannot be said so,
// and is then left to the local check (the source lists more, never less).
const values = (list: readonly string[]): string | undefined => (list.length === 0 || list.some((value) => value.includes('\\')) ? undefined : list.join('\\'));

// Why: what the source is asked for, so that a partial migration lists only the studies it takes.
export const findQuery = (filter: Filter | undefined): Record<string, string> => {
  if (filter === undefined) return {};
  const query: Record<string, string> = {};
  const criteria: [string, string | undefined][] = [
    ['PatientID', values(filter.patientIds)],
    ['StudyInstanceUID', values(filter.studyUids)],
    ['AccessionNumber', values(filter.accessions)],
    ['ModalitiesInStudy', values(filter.modalities)],
    ['StudyDate', filter.studyDate === undefined ? undefined : `${filter.studyDate.from ?? ''}-${filter.studyDate.to ?? ''}`],
  ];
  for (const [tag, value] of criteria) if (value !== undefined) query[tag] = value;
  return query;
};
