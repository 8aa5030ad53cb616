import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../src/record/report-file.js';
import { Tally } from '../../src/record/report.js';
import { RunReports } from '../../src/record/run-reports.js';
import { parseCsv } from '../helpers/csv.js';

const dir = await mkdtemp(join(tmpdir(), 'run-reports-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const SUMMARY = new Tally().summarize({ source: '/src', target: null, startedAt: new Date(0), elapsedSeconds: 1, warnings: [], check: false });

const entry = (i: number): ReportEntry => ({ path: `f${String(i)}-${'y'.repeat(400)}`, class: 'not-dicom', reason: 'no DICM preamble', size: i });

// The journal's rows: a few hundred lines each, joined as the report's array needs them.
function* journalRows(count: number, perRow: number): Generator<string> {
  for (let first = 0; first < count; first += perRow) {
    yield Array.from({ length: Math.min(perRow, count - first) }, (_, i) => JSON.stringify(entry(first + i))).join(',\n');
  }
}

describe('RunReports', () => {
  it('is undefined when no report is asked for', async () => {
    expect(await RunReports.open({ reportPath: undefined, reportCsvPath: undefined })).toBeUndefined();
  });

  it('feeds the JSON report and the CSV the same lines, single or from the journal, in order', async () => {
    const reportPath = join(dir, 'r.json');
    const reportCsvPath = join(dir, 'r.csv');
    const reports = await RunReports.open({ reportPath, reportCsvPath });
    await reports?.addAll([JSON.stringify(entry(-1))]);
    await reports?.addAll(journalRows(3000, 512));
    await reports?.finish(SUMMARY);
    const json = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: ReportEntry[] };
    const rows = parseCsv((await readFile(reportCsvPath, 'utf8')).slice(1)).slice(1);
    expect(json.notUploaded.map((line) => line.path)).toEqual([-1, ...Array.from({ length: 3000 }, (_, i) => i)].map((i) => entry(i).path));
    expect(rows.map((row) => row[0])).toEqual(json.notUploaded.map((line) => line.path));
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('writes the CSV alone when only it is asked for', async () => {
    const reportCsvPath = join(dir, 'alone.csv');
    const reports = await RunReports.open({ reportPath: undefined, reportCsvPath });
    await reports?.addAll(journalRows(3, 2));
    await reports?.finish(SUMMARY);
    expect(parseCsv((await readFile(reportCsvPath, 'utf8')).slice(1))).toHaveLength(4);
  });

  it('leaves no side file of the JSON report when the CSV cannot be opened', async () => {
    const sub = await mkdtemp(join(dir, 'half-'));
    const reportPath = join(sub, 'r.json');
    await expect(RunReports.open({ reportPath, reportCsvPath: join(sub, 'missing', 'r.csv') })).rejects.toThrow(/^Cannot write the CSV report .*missing\/r\.csv \(ENOENT\)$/);
    expect(existsSync(`${reportPath}.entries.tmp`)).toBe(false);
    expect(await readdir(sub)).toEqual([]);
  });
});
