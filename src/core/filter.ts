import { ImporterError } from './errors.js';

/** What a partial migration keeps: every given criterion must match (values within one are alternatives). */
export interface Filter {
  readonly patientIds: readonly string[];
  readonly studyUids: readonly string[];
  readonly accessions: readonly string[];
  readonly modalities: readonly string[];
  /** Inclusive bounds, YYYYMMDD; either may be open. */
  readonly studyDate: { readonly from?: string; readonly to?: string } | undefined;
}

/** The tags a filter looks at, from the index (MainDicomTags) or from the parsed header. */
export interface FilterTags {
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly accessionNumber: string;
  readonly modality: string;
  readonly studyDate: string;
}

const DICOM_DATE = /^\d{8}$/;

// Parses --study-date: 'FROM..TO', 'FROM..', '..TO' or one date, as DICOM dates (YYYYMMDD).
export const parseDateRange = (text: string): { from?: string; to?: string } => {
  const [from = '', to = from, ...rest] = text.includes('..') ? text.split('..') : [text, text];
  const bad = rest.length > 0 || (from !== '' && !DICOM_DATE.test(from)) || (to !== '' && !DICOM_DATE.test(to)) || (from === '' && to === '');
  if (bad) throw new ImporterError('E_USAGE', `Expected --study-date to be YYYYMMDD, FROM..TO, FROM.. or ..TO (DICOM dates), got '${text}'`);
  if (from !== '' && to !== '' && from > to) throw new ImporterError('E_USAGE', `Expected --study-date FROM..TO with FROM <= TO, got '${text}'`);
  return { ...(from === '' ? {} : { from }), ...(to === '' ? {} : { to }) };
};

// True when no criterion is given: the run takes everything.
export const isEmptyFilter = (filter: Filter): boolean =>
  filter.patientIds.length + filter.studyUids.length + filter.accessions.length + filter.modalities.length === 0 && filter.studyDate === undefined;

const oneOf = (values: readonly string[], value: string, fold = false): boolean =>
  values.length === 0 || values.some((candidate) => (fold ? candidate.toUpperCase() === value.toUpperCase() : candidate === value));

// Decides whether an instance belongs to the partial migration.
export const matchesFilter = (tags: FilterTags, filter: Filter): boolean => {
  if (!oneOf(filter.patientIds, tags.patientId)) return false;
  if (!oneOf(filter.studyUids, tags.studyInstanceUid)) return false;
  if (!oneOf(filter.accessions, tags.accessionNumber)) return false;
  if (!oneOf(filter.modalities, tags.modality, true)) return false;
  const range = filter.studyDate;
  if (range !== undefined) {
    if (tags.studyDate === '') return false;
    if (range.from !== undefined && tags.studyDate < range.from) return false;
    if (range.to !== undefined && tags.studyDate > range.to) return false;
  }
  return true;
};

// Says what the filter keeps, for the summary.
export const describeFilter = (filter: Filter): string => {
  const parts = [
    ...(filter.patientIds.length > 0 ? [`PatientID ${filter.patientIds.join('|')}`] : []),
    ...(filter.studyUids.length > 0 ? [`StudyInstanceUID ${filter.studyUids.join('|')}`] : []),
    ...(filter.accessions.length > 0 ? [`AccessionNumber ${filter.accessions.join('|')}`] : []),
    ...(filter.modalities.length > 0 ? [`Modality ${filter.modalities.join('|')}`] : []),
    ...(filter.studyDate === undefined ? [] : [`StudyDate ${filter.studyDate.from ?? ''}..${filter.studyDate.to ?? ''}`]),
  ];
  return parts.join(', ');
};
