// The command line's machine-readable outputs against a real Orthanc (Debian's 1.10.1): --log-file
// (JSON lines), --json (the summary on stdout) and --report-csv (the reconciliation list), after an
// import with a file corrupt in the source, its replay over the unchanged source, a resumed run,
// and a check; never a credential in any of them.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import type { Summary } from '../../src/index.js';
import { CSV_COLUMNS } from '../../src/record/report-csv.js';
import type { ReportEntry } from '../../src/record/report-file.js';
import { parseCsv } from '../helpers/csv.js';
import { buildPart10, sameSizeOtherVersion } from '../helpers/dicom-bytes.js';
import { orthancJson, orthancsOfThisFile, uploadToOrthanc, type RunningOrthanc } from '../helpers/orthanc.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { FIXTURE_DICOM_DIR, uploadAll } from '../helpers/storages.js';
import { waitUntilTimestampsSettle } from '../helpers/tree.js';

const start = orthancsOfThisFile();
const SECRET = 'pa55-Secret-word';
const AUTH = { username: 'alice', password: SECRET };
const MARKED = { UserMetadata: { ImportComplete: 1024 } };

type LogLine = Record<string, unknown> & { time: string; run: string; event: string };
interface Report {
  summary: Summary;
  notUploaded: ReportEntry[];
}

const readLog = async (path: string): Promise<LogLine[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);

const readReport = async (path: string): Promise<Report> => JSON.parse(await readFile(path, 'utf8')) as Report;

// The CSV's data rows, by column name (the byte-order mark and the header row checked).
const readCsv = async (path: string): Promise<Record<string, string>[]> => {
  const text = await readFile(path, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  const [header, ...rows] = parseCsv(text.slice(1));
  expect(header).toEqual([...CSV_COLUMNS]);
  return rows.map((row) => Object.fromEntries(CSV_COLUMNS.map((name, at) => [name, row[at] ?? ''])));
};

/** A stopped, compressed storage of 3 studies of 2 series, 3 instances each, one attachment of the second study garbled. */
const damagedStorage = async (): Promise<{ dir: string; victim: { id: string; patientId: string; studyInstanceUid: string } }> => {
  const files = await generateDicoms({ out: await mkdtemp(join(tmpdir(), 'oi-machine-')), count: 18, patients: 1, studies: 3, series: 2, rows: 8, cols: 8, prefix: 'MACH' });
  const source = await start({ compression: true });
  const ids = await uploadAll(source, files);
  const id = ids[9] ?? '';
  const { Uuid } = await orthancJson<{ Uuid: string }>(source, `/instances/${id}/attachments/dicom/info`);
  const tags = await orthancJson<{ PatientID: string; StudyInstanceUID: string }>(source, `/instances/${id}/simplified-tags`);
  await source.stop();
  const path = join(source.storageDir, Uuid.slice(0, 2), Uuid.slice(2, 4), Uuid);
  const bytes = await readFile(path);
  bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
  await writeFile(path, bytes);
  // A storage whose timestamps are a moment old cannot be proven unchanged by the next run.
  await waitUntilTimestampsSettle(source.storageDir);
  return { dir: source.storageDir, victim: { id, patientId: tags.PatientID, studyInstanceUid: tags.StudyInstanceUID } };
};

const withPassword = (orthanc: RunningOrthanc): string => orthanc.url.replace('//', `//alice:${SECRET}@`);

// Nothing of the credentials anywhere: neither the password nor the Authorization header made of it.
const expectNoCredentials = async (result: CliResult, files: readonly string[]): Promise<void> => {
  const basic = Buffer.from(`alice:${SECRET}`).toString('base64');
  for (const text of [result.stdout, result.stderr, ...(await Promise.all(files.map((file) => readFile(file, 'utf8'))))]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(basic);
    expect(text).not.toContain('alice:');
  }
};

const filesIn = (summary: Summary): number => Object.values(summary.classes).reduce((sum, count) => sum + count.files, 0);

describe('--log-file, --json and --report-csv', () => {
  it('log every file, study and the summary without credentials; print the summary as JSON; list what was not delivered; the same after a replay', async () => {
    const { dir, victim } = await damagedStorage();
    const target = await start({ auth: AUTH, config: MARKED });
    const work = await mkdtemp(join(tmpdir(), 'oi-machine-run-'));
    const [log, report, csv, journal] = ['run.log', 'r.json', 'r.csv', 'j.sqlite'].map((name) => join(work, name)) as [string, string, string, string];
    const args = [dir, withPassword(target), '--mark-complete', 'ImportComplete', '--log-file', log, '--json', '--report', report, '--report-csv', csv, '--journal', journal];

    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(1);
    const { summary, notUploaded } = await readReport(report);
    expect(JSON.parse(first.stdout)).toEqual(summary);
    expect(summary.classes['corrupt-source'].files).toBe(1);

    const lines = await readLog(log);
    expect(new Set(lines.map((line) => line.run)).size).toBe(1);
    for (const line of lines) expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[0]).toMatchObject({ event: 'run-start', command: 'import', source: dir, target: target.url, options: { markComplete: 'ImportComplete', reportCsv: csv } });
    const files = lines.filter((line) => line.event === 'file');
    expect(files).toHaveLength(filesIn(summary));
    expect(new Set(files.map((line) => line['path'])).size).toBe(files.length);
    expect(files.filter((line) => line['class'] === 'dicom' && line['status'] === 'stored' && line['verified'] === 'md5')).toHaveLength(17);
    expect(files.find((line) => line['class'] === 'corrupt-source')).toMatchObject({ instanceId: victim.id, patientId: victim.patientId, studyInstanceUid: victim.studyInstanceUid });
    const studies = lines.filter((line) => line.event === 'study-complete');
    expect(studies).toHaveLength(2);
    for (const study of studies) expect(study).toMatchObject({ instances: 6, marker: 'marked', patientId: victim.patientId });
    expect(studies.map((study) => study['studyInstanceUid'])).not.toContain(victim.studyInstanceUid);
    expect(lines.at(-1)).toMatchObject({ event: 'summary', summary });
    await expectNoCredentials(first, [log, report, csv]);

    // The CSV: the report's list, a row each, the corrupt instance named by the index.
    const rows = await readCsv(csv);
    expect(rows.map((row) => row['path'])).toEqual(notUploaded.map((entry) => entry.path));
    expect(rows.find((row) => row['class'] === 'corrupt-source')).toMatchObject({ PatientID: victim.patientId, StudyInstanceUID: victim.studyInstanceUid, instanceId: victim.id });
    expect(rows.find((row) => row['path'] === 'index')?.['class']).toBe('not-dicom');

    // Again over the unchanged source: answered from the journal; the CSV the same, the log appended.
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(1);
    const replayed = await readReport(report);
    expect(replayed.summary.unchangedSince).toBe(summary.startedAt);
    expect(JSON.parse(again.stdout)).toEqual(replayed.summary);
    expect(await readCsv(csv)).toEqual(rows);
    const both = await readLog(log);
    expect(both.slice(0, lines.length)).toEqual(lines);
    const second = both.slice(lines.length);
    expect(new Set(second.map((line) => line.run)).size).toBe(1);
    expect(second[0]?.run).not.toBe(lines[0]?.run);
    // A run answered from the journal reads no file: it logs none, its summary counts them as resumed.
    expect(second.map((line) => line.event)).toEqual(['run-start', 'target', 'info', 'summary']);
    expect(second[2]?.['message']).toMatch(/^the source is unchanged since the complete run of /);
    expect(second.at(-1)).toMatchObject({ summary: replayed.summary });
    await expectNoCredentials(again, [log, report, csv]);
  });

  it('a resumed run\'s CSV still lists what the earlier run found', async () => {
    const { dir, victim } = await damagedStorage();
    const target = await start();
    const work = await mkdtemp(join(tmpdir(), 'oi-machine-resume-'));
    const [log, csv, journal] = ['run.log', 'r.csv', 'j.sqlite'].map((name) => join(work, name)) as [string, string, string];
    // The first run takes the damaged study only (a filter); the second, all of them.
    const first = await runCli([dir, target.url, '--study-uid', victim.studyInstanceUid, '--journal', journal, '--quiet']);
    expect(first.code, first.stderr).toBe(1);
    const second = await runCli([dir, target.url, '--journal', journal, '--report-csv', csv, '--log-file', log, '--json', '--quiet']);
    expect(second.code, second.stderr).toBe(1);
    expect((JSON.parse(second.stdout) as Summary).resumed).toBeGreaterThanOrEqual(6);
    const corrupt = (await readLog(log)).find((line) => line.event === 'file' && line['class'] === 'corrupt-source');
    expect(corrupt).toMatchObject({ resumed: true, instanceId: victim.id });
    const rows = await readCsv(csv);
    expect(rows.filter((row) => row['class'] === 'corrupt-source')).toEqual([expect.objectContaining({ path: corrupt?.['path'], instanceId: victim.id, PatientID: victim.patientId })]);
  });

  it('check lists the absent and the different instances, a hostile PatientID as plain text', async () => {
    const target = await start();
    const folder = await mkdtemp(join(tmpdir(), 'oi-machine-check-'));
    const work = await mkdtemp(join(tmpdir(), 'oi-machine-check-out-'));
    const same = buildPart10({ patientId: 'P-SAME', sopInstanceUid: '2.25.5001', studyInstanceUid: '2.25.500', seriesInstanceUid: '2.25.500.1' }).bytes;
    const changed = Buffer.from(buildPart10({ patientId: 'P-CHANGED', sopInstanceUid: '2.25.5002', studyInstanceUid: '2.25.500', seriesInstanceUid: '2.25.500.1' }).bytes);
    const hostile = '=HYPERLINK("http://x","y")';
    const absent = buildPart10({ patientId: hostile, sopInstanceUid: '2.25.5003', studyInstanceUid: '2.25.501', seriesInstanceUid: '2.25.501.1' }).bytes;
    await writeFile(join(folder, 'same.dcm'), same);
    await writeFile(join(folder, 'changed.dcm'), changed);
    await writeFile(join(folder, 'absent.dcm'), absent);
    await writeFile(join(work, 'same.dcm'), same);
    await writeFile(join(work, 'other.dcm'), sameSizeOtherVersion(changed));
    await uploadToOrthanc(target, join(work, 'same.dcm'));
    await uploadToOrthanc(target, join(work, 'other.dcm'));

    const csv = join(work, 'check.csv');
    const result = await runCli(['check', folder, target.url, '--report-csv', csv, '--report', join(work, 'check.json'), '--json', '--quiet']);
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual((await readReport(join(work, 'check.json'))).summary);
    const rows = await readCsv(csv);
    expect(rows.map((row) => [row['path'], row['class'], row['PatientID'], row['SOPInstanceUID'], row['StudyInstanceUID']]).sort()).toEqual([
      ['absent.dcm', 'absent', `'${hostile}`, '2.25.5003', '2.25.501'],
      ['changed.dcm', 'conflict', 'P-CHANGED', '2.25.5002', '2.25.500'],
    ]);
    expect(rows.every((row) => row['reason'] !== '')).toBe(true);
  });

  it('a run stopped by a failure: the log ends with the error, then the summary when there is one; --json prints only that summary', async (context) => {
    const work = await mkdtemp(join(tmpdir(), 'oi-machine-stop-'));
    const target = await start({ auth: AUTH });
    const refusedLog = join(work, 'refused.log');
    const refused = await runCli([FIXTURE_DICOM_DIR, target.url.replace('//', `//alice:wrong-${SECRET}@`), '--log-file', refusedLog, '--json', '--quiet']);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    const refusedLines = await readLog(refusedLog);
    expect(refusedLines.map((line) => line.event)).toEqual(['run-start', 'error']);
    expect(refusedLines[1]).toMatchObject({ code: 'E_TARGET_AUTH', exitCode: 3, message: expect.stringContaining('refused the credentials (HTTP 401)') as unknown });
    await expectNoCredentials(refused, [refusedLog]);

    if (!existsSync('/dev/full')) context.skip('no /dev/full on this machine');
    const fullLog = join(work, 'full.log');
    const full = await runCli([FIXTURE_DICOM_DIR, '--report', '/dev/full', '--log-file', fullLog, '--json', '--quiet']);
    expect(full.code).toBe(2);
    const summary = JSON.parse(full.stdout) as Summary;
    expect(summary.instances).toBeGreaterThan(0);
    const fullLines = await readLog(fullLog);
    expect(fullLines.slice(-2).map(({ event, code }) => [event, code])).toEqual([
      ['error', 'E_REPORT'],
      ['summary', undefined],
    ]);
    expect(fullLines.at(-1)?.['summary']).toEqual(summary);
  });

  it('refuse an unwritable log file or CSV before the run, naming it; --json prints nothing else on stdout', async () => {
    const work = await mkdtemp(join(tmpdir(), 'oi-machine-refuse-'));
    const source = await mkdtemp(join(tmpdir(), 'oi-machine-src-'));
    for (const [flag, what] of [['--log-file', 'log file'], ['--report-csv', 'CSV report']] as const) {
      const path = join(work, 'missing', 'out');
      const result = await runCli([source, flag, path, '--json']);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`orthanc-import: Cannot write the ${what} ${path} (its folder ${join(work, 'missing')} does not exist)\n`);
    }
  });
});
