// Partial migrations: which instances a set of filters keeps.
import { describe, expect, it } from 'vitest';
import { ImporterError } from '../../src/core/errors.js';
import { describeFilter, isEmptyFilter, matchesFilter, parseDateRange, type Filter } from '../../src/core/filter.js';

const none: Filter = { patientIds: [], studyUids: [], accessions: [], modalities: [], studyDate: undefined };
const tags = { patientId: 'P1', studyInstanceUid: '1.2.3', accessionNumber: 'A7', modality: 'CT', studyDate: '20200615' };

describe('parseDateRange', () => {
  it('reads closed, open and single-day ranges', () => {
    expect(parseDateRange('20200101..20201231')).toEqual({ from: '20200101', to: '20201231' });
    expect(parseDateRange('20200101..')).toEqual({ from: '20200101' });
    expect(parseDateRange('..20201231')).toEqual({ to: '20201231' });
    expect(parseDateRange('20200615')).toEqual({ from: '20200615', to: '20200615' });
  });

  it.each(['2020', '..', '20201231..20200101', '1..2..3', '2020/01/01', '2020-1-1', '2020-01-01T00:00'])('refuses %j with E_USAGE', (text) => {
    expect(() => parseDateRange(text)).toThrow(ImporterError);
  });

  it('reads ISO dates (YYYY-MM-DD) as DICOM dates, either end, open or not, mixed or not', () => {
    expect(parseDateRange('2020-01-01..2021-12-31')).toEqual({ from: '20200101', to: '20211231' });
    expect(parseDateRange('2020-01-01..')).toEqual({ from: '20200101' });
    expect(parseDateRange('..2021-12-31')).toEqual({ to: '20211231' });
    expect(parseDateRange('2021-03-04')).toEqual({ from: '20210304', to: '20210304' });
    expect(parseDateRange('2020-01-01..20211231')).toEqual({ from: '20200101', to: '20211231' });
    expect(() => parseDateRange('2021-12-31..2020-01-01')).toThrow('Expected --study-date FROM..TO with FROM <= TO');
  });

  it('refuses, in one line naming it, a day the calendar does not have, in either form', () => {
    expect(() => parseDateRange('2021-02-30..2021-03-01')).toThrow("Expected --study-date to name days of the calendar, got '2021-02-30' in '2021-02-30..2021-03-01'");
    expect(() => parseDateRange('20211301')).toThrow("Expected --study-date to name days of the calendar, got '20211301'");
    expect(() => parseDateRange('..2021-04-31')).toThrow(/got '2021-04-31'/);
    expect(() => parseDateRange('2021-01-00')).toThrow(/got '2021-01-00'/);
    expect(() => parseDateRange('1900-02-29')).toThrow(/got '1900-02-29'/);
    expect(parseDateRange('2000-02-29..2024-02-29')).toEqual({ from: '20000229', to: '20240229' });
  });
});

describe('matchesFilter', () => {
  it('keeps everything without criteria', () => {
    expect(isEmptyFilter(none)).toBe(true);
    expect(matchesFilter(tags, none)).toBe(true);
  });

  it('needs every criterion to match, any value within one', () => {
    expect(matchesFilter(tags, { ...none, patientIds: ['P0', 'P1'] })).toBe(true);
    expect(matchesFilter(tags, { ...none, patientIds: ['P0'] })).toBe(false);
    expect(matchesFilter(tags, { ...none, modalities: ['ct'] })).toBe(true); // modality is case-insensitive
    expect(matchesFilter(tags, { ...none, modalities: ['CT'], accessions: ['A8'] })).toBe(false);
    expect(matchesFilter(tags, { ...none, studyUids: ['1.2.3'] })).toBe(true);
  });

  it('compares study dates inclusively, and leaves out undated studies when a range is asked', () => {
    expect(matchesFilter(tags, { ...none, studyDate: { from: '20200615' } })).toBe(true);
    expect(matchesFilter(tags, { ...none, studyDate: { to: '20200614' } })).toBe(false);
    expect(matchesFilter({ ...tags, studyDate: '' }, { ...none, studyDate: { from: '19000101' } })).toBe(false);
  });

  it('describes itself for the summary', () => {
    expect(describeFilter({ ...none, modalities: ['CT', 'MR'], studyDate: { from: '20200101' } })).toBe('Modality CT|MR, StudyDate 20200101..');
  });
});
