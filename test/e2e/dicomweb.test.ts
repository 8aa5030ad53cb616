// The DICOMweb target from the command line, against Orthanc with Debian's DICOMweb plugin 1.7:
// a storage with its pixel-data caches, a raw folder with junk and a rejected instance, check,
// --verify full, and kill -9 then resume.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import type { Summary } from '../../src/index.js';
import type { ReportEntry } from '../../src/record/report-file.js';
import { dicomwebOptions, dicomwebUrl, instanceWithoutStudy } from '../helpers/dicomweb.js';
import { instanceMd5s, orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { FIXTURE_DICOM_DIR, SAMPLE_STORAGE, fixtureDicoms } from '../helpers/storages.js';
import { md5File } from '../helpers/tree.js';

const start = orthancsOfThisFile();

const report = async (path: string): Promise<{ summary: Summary; notUploaded: ReportEntry[] }> => JSON.parse(await readFile(path, 'utf8')) as { summary: Summary; notUploaded: ReportEntry[] };

const countInstances = async (orthanc: RunningOrthanc): Promise<number> => (await orthancJson<{ CountInstances: number }>(orthanc, '/statistics')).CountInstances;

const workDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'oi-dicomweb-e2e-'));

let fixtureMd5s: string[];
beforeAll(async () => {
  fixtureMd5s = (await Promise.all((await fixtureDicoms()).map((file) => md5File(file)))).sort();
});

describe('DICOMweb target (CLI)', () => {
  it('imports a storage with pixel-data caches: every instance stored as it was, caches not sent, verified by presence; a second run and check send nothing', async () => {
    const orthanc = await start(dicomwebOptions());
    const work = await workDir();
    const storage = join(work, 'storage');
    await cp(SAMPLE_STORAGE, storage, { recursive: true });
    const url = dicomwebUrl(orthanc);
    const first = await runCli([storage, url, '--report', join(work, 'first.json'), '--journal', join(work, 'j.sqlite'), '--quiet']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const { summary } = await report(join(work, 'first.json'));
    expect(summary.classes['pixel-data-cache'].files).toBeGreaterThan(0);
    expect(summary.verified).toBe(summary.classes.dicom.files);
    expect(summary.verifiedBy.presence).toBe(summary.classes.dicom.files);
    expect(await countInstances(orthanc)).toBe(summary.classes.dicom.files);
    expect([...(await instanceMd5s(orthanc)).values()].sort()).toEqual(fixtureMd5s);

    const again = await runCli([storage, url, '--restart', '--journal', join(work, 'j.sqlite'), '--report', join(work, 'again.json'), '--quiet']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await report(join(work, 'again.json'))).summary.alreadyOnTarget).toBe(summary.classes.dicom.files);

    const check = await runCli(['check', storage, url, '--quiet']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('a raw folder with junk and an instance the server rejects: the junk explained, the rejection in words, exit 1; check says what is missing', async () => {
    const orthanc = await start(dicomwebOptions());
    const work = await workDir();
    const folder = join(work, 'raw');
    await cp(FIXTURE_DICOM_DIR, folder, { recursive: true });
    await writeFile(join(folder, 'notes.txt'), 'not DICOM at all\n');
    await writeFile(join(folder, 'no-study.dcm'), instanceWithoutStudy('3001', 1).bytes);
    const url = dicomwebUrl(orthanc);
    const run = await runCli([folder, url, '--report', join(work, 'r.json'), '--quiet']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const { notUploaded } = await report(join(work, 'r.json'));
    expect(notUploaded.find((entry) => entry.path.endsWith('notes.txt'))?.class).toBe('not-dicom');
    expect(notUploaded.find((entry) => entry.path.endsWith('no-study.dcm'))?.reason).toMatch(/0xC000 \(cannot understand\)/);
    expect(await countInstances(orthanc)).toBe(fixtureMd5s.length);

    const check = await runCli(['check', folder, url, '--verify', 'full', '--report', join(work, 'check.json'), '--quiet']);
    expect(check.code, check.stdout + check.stderr).toBe(1);
    const checked = await report(join(work, 'check.json'));
    expect(checked.summary.verifiedBy.md5).toBe(fixtureMd5s.length);
    expect(checked.notUploaded.find((entry) => entry.path.endsWith('no-study.dcm'))).toBeDefined();
  });

  it('after kill -9 of the importer, the same command completes, sending only what is missing', async () => {
    const orthanc = await start(dicomwebOptions());
    const work = await workDir();
    const folder = join(work, 'many');
    const files = await generateDicoms({ out: folder, count: 240, rows: 64, cols: 64, patients: 3, studies: 2, series: 2, seed: 43, prefix: 'DW' });
    const expected = (await Promise.all(files.map((file) => md5File(file)))).sort();
    const args = [folder, dicomwebUrl(orthanc), '--concurrency', '1', '--journal', join(work, 'j.sqlite'), '--quiet'];
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', XDG_STATE_HOME: process.env['XDG_STATE_HOME'] ?? '' }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => { resolve(signal); }));
    while ((await countInstances(orthanc)) < 40) await sleep(20);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = await countInstances(orthanc);
    expect(before).toBeLessThan(files.length);

    const resumed = await runCli([...args, '--report', join(work, 'r.json')]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const { summary } = await report(join(work, 'r.json'));
    expect(summary.resumed + summary.alreadyOnTarget).toBeGreaterThanOrEqual(before);
    expect([...(await instanceMd5s(orthanc)).values()].sort()).toEqual(expected);
  });
});
