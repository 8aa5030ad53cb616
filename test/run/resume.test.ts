// The journal may spare reading the source, never asking the target (src/resume.ts): against real
// Orthancs, what an earlier run delivered is found on the target again before it is replayed, and a
// copy of the same size is not taken for the same.
import { copyFile, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, runImport, type ImportInput, type Summary } from '../../src/index.js';
import { instanceMd5s, listInstances, orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { runCli } from '../helpers/run-cli.js';
import { writeRealWorldShapes } from '../../fixtures/real-world-shapes.js';
import { sameSizeOtherVersion } from '../helpers/dicom-bytes.js';
import { fixtureDicoms } from '../helpers/storages.js';
import { md5File } from '../helpers/tree.js';

const start = orthancsOfThisFile();
let files: string[];

beforeAll(async () => {
  files = await fixtureDicoms();
});

// A raw folder holding copies of the committed fixtures.
const rawFolder = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'oi-resume-source-'));
  for (const file of files) await copyFile(file, join(dir, file.slice(file.lastIndexOf('/') + 1)));
  return dir;
};

const newJournal = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-resume-journal-')), 'journal.sqlite');

const run = (source: string, target: RunningOrthanc, journalPath: string, extra: Partial<ImportInput> = {}): Promise<Summary> =>
  runImport(resolveOptions({ source, target: target.url, journalPath, workers: 2, ...extra }));

const instanceIdOf = async (target: RunningOrthanc, file: string): Promise<string> => {
  const md5 = await md5File(file);
  for (const [id, stored] of await instanceMd5s(target)) if (stored === md5) return id;
  throw new Error(`${file} is not on the target`);
};

const replaceOnTarget = async (target: RunningOrthanc, id: string, body: Uint8Array): Promise<void> => {
  await orthancJson(target, `/instances/${id}`, { method: 'DELETE' });
  await orthancJson(target, '/instances', { method: 'POST', body });
};

describe('a re-run with a journal', () => {
  it('finds every delivered instance on the target again: sends what is gone, calls another version a conflict, on every run', async () => {
    const source = await rawFolder();
    const target = await start();
    const journal = await newJournal();
    const first = await run(source, target, journal);
    expect(first).toMatchObject({ exitCode: 0, verified: files.length });
    expect(first.verifiedBy.md5).toBe(files.length);

    const [gone, changed] = [files[0] ?? '', files[4] ?? ''];
    await orthancJson(target, `/instances/${await instanceIdOf(target, gone)}`, { method: 'DELETE' });
    const changedId = await instanceIdOf(target, changed);
    await replaceOnTarget(target, changedId, sameSizeOtherVersion(await readFile(changed)));

    const second = await run(source, target, journal);
    expect(second.statuses.stored).toBe(1); // the deleted one, sent again
    expect(second.classes.conflict.files).toBe(1);
    expect(second.resumed).toBe(files.length - 2);
    // each replayed delivery was found listed with its size; its MD5 had been read back by the first run
    expect(second.verifiedBy).toEqual({ md5: 1, listing: files.length - 2, size: 0, presence: 0 });
    expect(second.exitCode).toBe(1);
    expect(await instanceIdOf(target, gone)).toBeDefined();

    const third = await run(source, target, journal);
    expect(third.classes.conflict.files).toBe(1);
    expect(third.exitCode).toBe(1);
  });

  it('sends again what a wiped target lost, without being told to restart', async () => {
    const source = await rawFolder();
    const target = await start();
    const journal = await newJournal();
    await run(source, target, journal);
    for (const id of await listInstances(target)) await orthancJson(target, `/instances/${id}`, { method: 'DELETE' });
    const again = await run(source, target, journal);
    expect(again.statuses.stored).toBe(files.length);
    expect(again.verifiedBy.md5).toBe(files.length);
    expect(again.resumed).toBe(0);
    expect(again.exitCode).toBe(0);
    expect((await listInstances(target)).length).toBe(files.length);
  });

  it('reads each replayed delivery back one by one with --no-skip-existing (no listing)', async () => {
    const source = await rawFolder();
    const target = await start();
    const journal = await newJournal();
    await run(source, target, journal);
    const changed = files[5] ?? '';
    await replaceOnTarget(target, await instanceIdOf(target, changed), sameSizeOtherVersion(await readFile(changed)));
    const again = await run(source, target, journal, { skipExisting: false });
    expect(again.classes.conflict.files).toBe(1);
    expect(again.verifiedBy.md5).toBe(files.length - 1);
    expect(again.resumed).toBe(files.length - 1);
  });
});

describe('a first run against a target that already holds instances', () => {
  it('reads back the MD5 of what it lists: a same-size other version is a conflict, the rest verified; exit 1 until resolved', async () => {
    const source = await rawFolder();
    const target = await start();
    const [same, changed] = [files[6] ?? '', files[7] ?? ''];
    await orthancJson(target, '/instances', { method: 'POST', body: await readFile(same) });
    await orthancJson(target, '/instances', { method: 'POST', body: sameSizeOtherVersion(await readFile(changed)) });
    const journal = await newJournal();
    const report = join(await mkdtemp(join(tmpdir(), 'oi-resume-report-')), 'report.json');
    const first = await run(source, target, journal, { reportPath: report });
    expect(first.alreadyOnTarget).toBe(1);
    expect(first.classes.conflict.files).toBe(1);
    expect(first.statuses.stored).toBe(files.length - 2);
    expect(first.verified).toBe(files.length - 1);
    expect(first.exitCode).toBe(1);
    const { notUploaded } = JSON.parse(await readFile(report, 'utf8')) as { notUploaded: { class: string; reason: string; path: string }[] };
    const conflict = notUploaded.find((entry) => entry.class === 'conflict');
    expect(conflict?.path).toBe(changed.slice(changed.lastIndexOf('/') + 1));
    expect(conflict?.reason).toMatch(/another version of this instance \(MD5 [0-9a-f]{32}, source [0-9a-f]{32}; the copy there: transfer syntax [0-9.]+ as in the source, with pixel data\)/);
    expect(conflict?.reason).not.toMatch(/pixel-less/);

    // without a journal too (the same run, as a second run that lost it would be)
    const cli = await runCli([source, target.url, '--journal', await newJournal(), '--quiet']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/conflict\s+1 file\b/);
    expect((await readdir(source)).length).toBe(files.length);
  });

  it('says what the other version is when it can: a deflated copy there is another transfer syntax, not a pixel-less copy', async () => {
    const shapes = await writeRealWorldShapes(await mkdtemp(join(tmpdir(), 'oi-resume-shapes-')));
    const source = await mkdtemp(join(tmpdir(), 'oi-resume-explicit-'));
    await copyFile(shapes.explicit, join(source, 'explicit.dcm'));
    const target = await start();
    await orthancJson(target, '/instances', { method: 'POST', body: await readFile(shapes['deflated-copy']) });
    const report = join(source, '..', `${source.slice(source.lastIndexOf('/') + 1)}-report.json`);
    const summary = await run(source, target, await newJournal(), { reportPath: report });
    expect(summary.classes.conflict.files).toBe(1);
    const { notUploaded } = JSON.parse(await readFile(report, 'utf8')) as { notUploaded: { class: string; reason: string }[] };
    const reason = notUploaded.find((entry) => entry.class === 'conflict')?.reason ?? '';
    expect(reason).toMatch(/the copy there: transfer syntax 1\.2\.840\.10008\.1\.2\.1\.99, the source's 1\.2\.840\.10008\.1\.2\.1, with pixel data/);
    expect(reason).not.toMatch(/pixel-less/);
  });
});
