import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImporterError } from '../../src/core/errors.js';
import { isNotUploaded, probeReportPath, ReportFile, reportLine, type ReportEntry } from '../../src/record/report-file.js';
import { Tally, type Summary } from '../../src/record/report.js';
import type { FileOutcome } from '../../src/core/types.js';

interface ReportDocument {
  summary: Summary;
  notUploaded: ReportEntry[];
}

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-file-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

const writeReport = async (path: string, outcomes: readonly FileOutcome[]): Promise<ReportDocument> => {
  const report = await ReportFile.open(path);
  const tally = new Tally();
  for (const outcome of outcomes) {
    tally.add(outcome);
    const line = reportLine(outcome);
    if (line !== undefined) await report.add(line);
  }
  await report.finish(tally.summarize({ source: '/src', target: 'http://host:8042', startedAt: new Date(0), elapsedSeconds: 1, warnings: [], check: false }));
  return JSON.parse(await readFile(path, 'utf8')) as ReportDocument;
};

const OUTCOMES: readonly FileOutcome[] = [
  { path: '/src/a', size: 10, fileClass: 'dicom', encoding: 'raw', status: 'stored', decodedSize: 10, instanceId: 'id-a' },
  { path: '/src/b', size: 11, fileClass: 'dicom', encoding: 'zlib', status: 'already-there' },
  { path: '/src/c', size: 12, fileClass: 'dicom', encoding: 'raw', status: 'dropped', targetAnswer: 'FilteredOut', sopInstanceUid: '1.2.3' },
  { path: '/src/d', size: 13, fileClass: 'not-dicom', encoding: 'raw', reason: 'empty file' },
  { path: '/src/e', size: 14, fileClass: 'corrupt', encoding: 'zlib', reason: 'the zlib stream does not inflate' },
  { path: '/src/f', size: 15, fileClass: 'json-summary', reason: 'summary' },
  { path: '/src/"quoted"\nname', size: 16, fileClass: 'rejected', httpStatus: 400, targetMessage: 'Bad file format', reason: 'rejected', patientId: 'P1', studyInstanceUid: '1.2', seriesInstanceUid: '1.2.9' },
  { path: '/src/h', size: 17, fileClass: 'dicom', status: 'stored' },
];

describe('isNotUploaded', () => {
  it('is true for every non-dicom class and for FilteredOut, false for stored instances', () => {
    expect(OUTCOMES.filter(isNotUploaded).map((outcome) => outcome.path)).toEqual(['/src/c', '/src/d', '/src/e', '/src/f', '/src/"quoted"\nname']);
  });
});

describe('ReportFile', () => {
  it('writes {summary, notUploaded} with exactly the files not uploaded, then removes its side file', async () => {
    const path = join(dir, 'report.json');
    const document = await writeReport(path, OUTCOMES);

    expect(document.summary.classes.dicom.files).toBe(4);
    expect(document.summary.statuses.dropped).toBe(1);
    expect(document.summary.exitCode).toBe(1);
    expect(document.notUploaded.map((entry) => entry.path)).toEqual(['/src/c', '/src/d', '/src/e', '/src/f', '/src/"quoted"\nname']);
    expect(document.notUploaded.map((entry) => entry.class)).toEqual(['dicom', 'not-dicom', 'corrupt', 'json-summary', 'rejected']);

    const filtered = document.notUploaded[0];
    expect(filtered?.reason).toMatch(/FilteredOut/);
    expect(filtered?.sopInstanceUid).toBe('1.2.3');
    const corrupt = document.notUploaded[2];
    expect(corrupt).toEqual({ path: '/src/e', class: 'corrupt', reason: 'the zlib stream does not inflate', size: 14, encoding: 'zlib' });
    const rejected = document.notUploaded[4];
    expect(rejected?.httpStatus).toBe(400);
    expect(rejected?.targetMessage).toBe('Bad file format');
    // Whose instance it is, for the reconciliation list (the series is not said: the study is what is looked up).
    expect(rejected).toMatchObject({ patientId: 'P1', studyInstanceUid: '1.2' });
    expect(rejected).not.toHaveProperty('seriesInstanceUid');

    expect(await exists(`${path}.entries.tmp`)).toBe(false);
  });

  it('writes an empty notUploaded list when everything was uploaded', async () => {
    const path = join(dir, 'clean.json');
    const document = await writeReport(path, [{ path: '/src/a', size: 1, fileClass: 'dicom', status: 'stored' }]);
    expect(document.notUploaded).toEqual([]);
    expect(document.summary.instances).toBe(1);
    expect(await exists(`${path}.entries.tmp`)).toBe(false);
  });

  it('keeps every entry of a long report', async () => {
    const path = join(dir, 'long.json');
    const outcomes: FileOutcome[] = Array.from({ length: 5000 }, (_, i) => ({
      path: `/src/${String(i).padStart(5, '0')}-${'x'.repeat(100)}`,
      size: i,
      fileClass: 'not-dicom',
      reason: 'not a DICOM file',
    }));
    const document = await writeReport(path, outcomes);
    expect(document.notUploaded).toHaveLength(5000);
    expect(document.notUploaded[4999]?.size).toBe(4999);
  });

  it('fails with E_REPORT when the report cannot be written', async () => {
    const path = join(dir, 'no-such-dir', 'deeper', 'report.json');
    const error: unknown = await ReportFile.open(path).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isImporterError(error)).toBe(true);
    if (isImporterError(error)) {
      expect(error.code).toBe('E_REPORT');
      expect(error.message).toContain('ENOENT');
    }
  });
});

describe('probeReportPath', () => {
  const problem = (path: string): string => {
    try {
      probeReportPath(path);
    } catch (error) {
      if (isImporterError(error)) return `${error.code}: ${error.message}`;
      throw error;
    }
    return 'writable';
  };

  it('refuses a directory, a missing folder and a folder that is a file, creating nothing', async () => {
    expect(problem(dir)).toBe(`E_REPORT: Cannot write the report ${dir} (it is a directory: give a file name)`);
    expect(problem(join(dir, 'missing', 'r.json'))).toBe(`E_REPORT: Cannot write the report ${join(dir, 'missing', 'r.json')} (its folder ${join(dir, 'missing')} does not exist)`);
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    expect(problem(join(file, 'r.json'))).toMatch(/^E_REPORT: .*plain-file is not a folder/);
    await expect(access(join(dir, 'missing'))).rejects.toThrow();
  });

  it('accepts a new file in a writable folder, or an existing writable file, and leaves no file behind', async () => {
    const fresh = join(dir, 'probe-fresh.json');
    expect(problem(fresh)).toBe('writable');
    await expect(access(fresh)).rejects.toThrow();
    await expect(access(`${fresh}.entries.tmp`)).rejects.toThrow();
    const existing = join(dir, 'probe-existing.json');
    await writeFile(existing, '{}');
    expect(problem(existing)).toBe('writable');
  });
});
