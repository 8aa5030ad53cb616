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

const DICOM_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const RANGE_FORMS = 'FROM..TO, FROM.., ..TO or one day, each YYYYMMDD or YYYY-MM-DD';

// Days in a month of the Gregorian calendar; 0 for a month that is not one.
const daysIn = (year: number, month: number): number => {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
};

// One end of a range, as a DICOM date (YYYYMMDD); '' stays open. A day the calendar does not have
// (2021-02-30, 20211301) is refused: compared as text, it would quietly stand for another bound.
const dicomDate = (end: string, text: string): string => {
  if (end === '') return '';
  const [, year = '', month = '', day = ''] = DICOM_DATE.exec(end) ?? ISO_DATE.exec(end) ?? [];
  if (year === '') throw new ImporterError('E_USAGE', `Expected --study-date to be ${RANGE_FORMS}, got '${text}'`);
  if (Number(day) < 1 || Number(day) > daysIn(Number(year), Number(month))) {
    throw new ImporterError('E_USAGE', `Expected --study-date to name days of the calendar, got '${end}'${end === text ? '' : ` in '${text}'`}`);
  }
  return `${year}${month}${day}`;
};

// Parses --study-date: 'FROM..TO', 'FROM..', '..TO' or one day, each end a DICOM date (YYYYMMDD)
// or an ISO one (YYYY-MM-DD); the bounds are DICOM dates, both included.
export const parseDateRange = (text: string): { from?: string; to?: string } => {
  const [first = '', last = first, ...rest] = text.includes('..') ? text.split('..') : [text, text];
  if (rest.length > 0 || (first === '' && last === '')) throw new ImporterError('E_USAGE', `Expected --study-date to be ${RANGE_FORMS}, got '${text}'`);
  const from = dicomDate(first, text);
  const to = dicomDate(last, text);
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
