import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isImporterError } from '../../src/core/errors.js';
import { CSV_COLUMNS, CsvReport, csvCell, csvRow } from '../../src/record/report-csv.js';
import type { ReportEntry } from '../../src/record/report-file.js';
import { parseCsv } from '../helpers/csv.js';

const dir = await mkdtemp(join(tmpdir(), 'report-csv-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('csvCell', () => {
  it('leaves a plain text or a number as it is, and an absent value empty', () => {
    expect(csvCell('a/b/c.dcm')).toBe('a/b/c.dcm');
    expect(csvCell('1.2.840.113619')).toBe('1.2.840.113619');
    expect(csvCell(400)).toBe('400');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell('')).toBe('');
  });

  it('quotes a cell with a comma, a quote or a line break, doubling its quotes (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "no"')).toBe('"say ""no"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('cr\r\nlf')).toBe('"cr\r\nlf"');
  });

  it('makes plain text of a cell a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvCell('+1+1')).toBe("'+1+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    // Only at the start: inside a cell these are plain characters.
    expect(csvCell('a=b-c')).toBe('a=b-c');
  });
});

const ENTRY: ReportEntry = {
  path: 'a/b, "c".dcm',
  class: 'rejected',
  reason: 'the target answered HTTP 400: Bad file format\n(details)',
  size: 10,
  sopInstanceUid: '1.2.3',
  instanceId: 'aa-bb',
  patientId: '=cmd|calc',
  studyInstanceUid: '1.2',
  httpStatus: 400,
};

describe('csvRow', () => {
  it('writes the columns in order, one CRLF-terminated row', () => {
    const row = csvRow(ENTRY);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(parseCsv(row)).toEqual([['a/b, "c".dcm', 'rejected', "'=cmd|calc", '1.2', '1.2.3', 'aa-bb', 'the target answered HTTP 400: Bad file format\n(details)', '400']]);
  });

  it('leaves the absent fields empty and names what was not carried of a delivered instance', () => {
    const row = csvRow({ path: 'x', class: 'dicom', reason: 'delivered; not all of what Orthanc knows beyond the file was carried', size: 1, extrasNotCarried: ['label "a"'], extrasFailed: ['attachment 1025'] });
    expect(parseCsv(row)).toEqual([['x', 'dicom', '', '', '', '', 'delivered; not all of what Orthanc knows beyond the file was carried: label "a"; attachment 1025', '']]);
  });
});

describe('CsvReport', () => {
  it('writes a byte-order mark, the header and a row per entry, from single lines and from the journal\'s joined rows', async () => {
    const path = join(dir, 'rows.csv');
    const report = await CsvReport.open(path);
    const other: ReportEntry = { path: 'n.txt', class: 'not-dicom', reason: 'no DICM preamble', size: 3 };
    await report.addAll([JSON.stringify(ENTRY)]);
    await report.addAll([`${JSON.stringify(other)},\n${JSON.stringify({ ...other, path: 'm.txt' })}`]);
    await report.finish();
    const bytes = await readFile(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.startsWith(`${CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    const rows = parseCsv(text);
    expect(rows.map((row) => row[0])).toEqual(['path', 'a/b, "c".dcm', 'n.txt', 'm.txt']);
    expect(rows.every((row) => row.length === CSV_COLUMNS.length)).toBe(true);
    expect(existsSync(`${path}.rows.tmp`)).toBe(false);
  });

  it('writes the header alone when every file was delivered', async () => {
    const path = join(dir, 'empty.csv');
    const report = await CsvReport.open(path);
    await report.finish();
    expect(await readFile(path, 'utf8')).toBe(`\uFEFF${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('keeps UTF-8 names as they are', async () => {
    const path = join(dir, 'utf8.csv');
    const report = await CsvReport.open(path);
    await report.addAll([JSON.stringify({ path: 'Müller/Ærø 東京.dcm', class: 'corrupt', reason: 'x', size: 1, patientId: 'Müller^Jörg' })]);
    await report.finish();
    expect(parseCsv((await readFile(path, 'utf8')).slice(1))[1]?.slice(0, 3)).toEqual(['Müller/Ærø 東京.dcm', 'corrupt', 'Müller^Jörg']);
  });

  it('fails with one E_REPORT error naming the CSV when its folder is missing', async () => {
    const path = join(dir, 'missing', 'r.csv');
    const error: unknown = await CsvReport.open(path).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isImporterError(error) && error.code).toBe('E_REPORT');
    expect((error as Error).message).toBe(`Cannot write the CSV report ${path} (ENOENT)`);
  });

  it('fails with one E_REPORT error naming the CSV when the disk is full at the end (a link to /dev/full), leaving no side file', async (context) => {
    if (!existsSync('/dev/full')) context.skip('no /dev/full on this machine');
    const sideDir = await mkdtemp(join(tmpdir(), 'report-csv-full-'));
    const link = join(sideDir, 'r.csv');
    await symlink('/dev/full', link);
    const report = await CsvReport.open(link);
    await report.addAll([JSON.stringify(ENTRY)]);
    await expect(report.finish()).rejects.toThrow(`Cannot write the CSV report ${link} (ENOSPC)`);
    expect(existsSync(`${link}.rows.tmp`)).toBe(false);
    // Written through the link, never renamed over it.
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });
});
