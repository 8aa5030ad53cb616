// A running Orthanc as the source (`orthanc-import http://old:8042 http://new:8042`), between two
// real Orthancs: the source compressed, every instance's MD5 on the target equal to the source's;
// a half-full target, kill -9 and resume, the source restarted mid-copy, a filter, refusals,
// inventory and check, and an instance deleted from the source after it was listed.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import { resolveOptions, runImport } from '../../src/index.js';
import { findFreePort } from '../../fixtures/orthanc-process.js';
import { instanceMd5s, listInstances, orthancJson, orthancsOfThisFile, uploadToOrthanc, waitForInstances, type RunningOrthanc } from '../helpers/orthanc.js';
import { exitOf, runCli, spawnCli } from '../helpers/run-cli.js';

const COUNT = 120;
const start = orthancsOfThisFile();
let files: string[];
let source: RunningOrthanc;
let sourceMd5s: Map<string, string>;

beforeAll(async () => {
  const folder = await mkdtemp(join(tmpdir(), 'oi-rest-'));
  await generateDicoms({ out: folder, count: COUNT, rows: 64, cols: 64, patients: 3, studies: 2, series: 2, seed: 77, prefix: 'RST' });
  files = (await readdir(folder)).sort().map((name) => join(folder, name));
  source = await start({ compression: true });
  for (const file of files) await uploadToOrthanc(source, file);
  sourceMd5s = await instanceMd5s(source);
});

const journalIn = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-rest-j-')), 'journal.sqlite');

describe('a running Orthanc as the source', () => {
  it('copies a compressed source into a target: every MD5 on the target is the source\'s, and a second run reads nothing again', async () => {
    const target = await start();
    const journal = await journalIn();
    const reportPath = join(tmpdir(), `oi-rest-report-${process.pid}.json`);
    const { code, stdout } = await runCli([source.url, target.url, '--journal', journal, '--report', reportPath]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/a running Orthanc 1\.\d+\.\d+ .* read over its REST API/);
    expect(stdout).toMatch(new RegExp(`studies complete on the target: 6/6`));
    expect(await instanceMd5s(target)).toEqual(sourceMd5s);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: { classes: { dicom: { files: number } } } };
    expect(report.summary.classes.dicom.files).toBe(COUNT);
    const again = await runImport(resolveOptions({ source: source.url, target: target.url, journalPath: journal }));
    expect(again).toMatchObject({ exitCode: 0, resumed: COUNT });
  });

  it('skips on evidence what a half-full target already holds, and sends the rest', async () => {
    const target = await start();
    for (const file of files.slice(0, COUNT / 2)) await uploadToOrthanc(target, file);
    const summary = await runImport(resolveOptions({ source: source.url, target: target.url, journalPath: await journalIn() }));
    expect(summary.exitCode).toBe(0);
    expect(summary.alreadyOnTarget).toBe(COUNT / 2);
    expect(summary.statuses.stored).toBe(COUNT / 2);
    expect(await instanceMd5s(target)).toEqual(sourceMd5s);
  });

  it('after kill -9 of the importer, the next run completes and downloads nothing the journal recorded as final', async () => {
    const target = await start();
    const journal = await journalIn();
    const child = spawnCli([source.url, target.url, '--concurrency', '1', '--source-concurrency', '1', '--journal', journal, '--quiet']);
    const exited = exitOf(child);
    await waitForInstances(target, 30);
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    const before = (await listInstances(target)).length;
    expect(before).toBeLessThan(COUNT);
    const resumed = await runImport(resolveOptions({ source: source.url, target: target.url, journalPath: journal }));
    expect(resumed.exitCode).toBe(0);
    expect(resumed.resumed).toBeGreaterThan(0);
    // Only what was neither recorded final nor found on the target was downloaded and sent.
    expect(resumed.resumed + resumed.alreadyOnTarget).toBeGreaterThanOrEqual(before);
    expect(resumed.statuses.stored + resumed.statuses.alreadyThere).toBe(COUNT - resumed.resumed - resumed.alreadyOnTarget);
    expect(await instanceMd5s(target)).toEqual(sourceMd5s);
  });

  it('pauses while the source Orthanc is stopped, and completes once it is back', async () => {
    const own = await start({ compression: true });
    for (const file of files) await uploadToOrthanc(own, file);
    const target = await start();
    const child = spawnCli([own.url, target.url, '--concurrency', '1', '--source-concurrency', '1', '--journal', await journalIn()]);
    const exited = exitOf(child);
    await waitForInstances(target, 30);
    await own.stop();
    await sleep(1500);
    const back = await start({ compression: true, storageDir: own.storageDir, port: own.port });
    const { code, stderr } = await exited;
    expect(stderr).toMatch(/the source http:\/\/127\.0\.0\.1:\d+ stopped answering .*; pausing/);
    expect(code).toBe(0);
    expect(await instanceMd5s(target)).toEqual(await instanceMd5s(back));
  });

  it('takes only what the filter keeps, as the source answers it', async () => {
    const target = await start();
    const [patient] = await orthancJson<{ ID: string; MainDicomTags: { PatientID: string } }[]>(source, '/patients?expand');
    if (patient === undefined) throw new Error('the source has no patient');
    const expected = await orthancJson<{ ID: string }[]>(source, `/patients/${patient.ID}/instances`);
    const summary = await runImport(resolveOptions({ source: source.url, target: target.url, patientIds: [patient.MainDicomTags.PatientID], journalPath: await journalIn() }));
    expect(summary.exitCode).toBe(0);
    expect(summary.classes.excluded.files).toBe(0); // the others were never listed
    expect((await listInstances(target)).sort()).toEqual(expected.map((instance) => instance.ID).sort());
  });

  it('takes an inventory, and checks a target, with a URL source', async () => {
    const inventory = await runCli([source.url]);
    expect(inventory.code).toBe(0);
    expect(inventory.stdout).toMatch(new RegExp(`Inventory of ${source.url}`));
    expect(inventory.stdout).toMatch(new RegExp(`${COUNT} instances`));
    const target = await start();
    for (const file of files.slice(0, 10)) await uploadToOrthanc(target, file);
    const check = await runCli(['check', source.url, target.url]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/absent/);
    expect(await listInstances(target)).toHaveLength(10); // a check sends nothing
  });

  it('says in one line, no stack, that the source is unreachable, or refuses the credentials (never printing them)', async () => {
    const port = await findFreePort();
    const unreachable = await runCli([`http://127.0.0.1:${port}`]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr.trim()).toMatch(/^orthanc-import: Cannot reach the source http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Is Orthanc running there, and is the URL right\?$/);
    const guarded = await start({ auth: { username: 'alice', password: 'wonderland' } });
    const url = new URL(guarded.url);
    const refused = await runCli([`http://alice:wrong-secret@${url.host}`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^orthanc-import: The source http:\/\/127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)\. .*--source-username/);
    expect(refused.stderr + refused.stdout).not.toMatch(/wrong-secret/);
    const notOrthanc = await runCli([`${guarded.url}/nothing-here`], { ORTHANC_SOURCE_USERNAME: 'alice', ORTHANC_SOURCE_PASSWORD: 'wonderland' });
    expect(notOrthanc.code).toBe(2);
    expect(notOrthanc.stderr.trim()).toMatch(/^orthanc-import: The source .* answered HTTP 404 to GET \/system: is it an Orthanc/);
    const allowed = await runCli([guarded.url, '--source-username', 'alice', '--source-password', 'wonderland']);
    expect(allowed.code).toBe(1); // an empty Orthanc: no DICOM at all
    expect(allowed.stdout).toMatch(/read over its REST API/);
  });

  it('reports an instance deleted from the source after it was listed as missing, and carries on', async () => {
    const own = await start({ compression: true });
    for (const file of files.slice(0, 40)) await uploadToOrthanc(own, file);
    // The last instance of the study the source lists first (listed whole before its first instance is read).
    const study = (await orthancJson<string[]>(own, '/tools/find', { method: 'POST', body: new TextEncoder().encode('{"Level":"Study","Query":{}}') })).at(0);
    const inStudy = await orthancJson<{ ID: string }[]>(own, `/studies/${study ?? ''}/instances?expand`);
    const victim = inStudy.at(-1)?.ID ?? '';
    expect(inStudy.length).toBeGreaterThan(10);
    const reportPath = join(await mkdtemp(join(tmpdir(), 'oi-rest-r-')), 'report.json');
    let deleted = false;
    const summary = await runImport(resolveOptions({ source: own.url, workers: 1, sourceConcurrency: 1, reportPath }), {
      // Once the first instance is settled, the victim (the last of its study, of some 20) is far
      // from being described: it is deleted now, the run held still meanwhile (a synchronous child process).
      onOutcome: () => {
        if (deleted) return;
        deleted = true;
        const script = `fetch(${JSON.stringify(`${own.url}/instances/${victim}`)}, { method: 'DELETE' }).then((r) => process.exit(r.ok ? 0 : 1))`;
        execFileSync(process.execPath, ['-e', script]);
      },
    });
    const { notUploaded } = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: { path: string; class: string; reason: string }[] };
    expect(notUploaded.filter((entry) => entry.class === 'missing')).toEqual([
      expect.objectContaining({ path: `instances/${victim}`, reason: `instance ${victim} was deleted from the source after it was listed` }),
    ]);
    expect(summary.classes.dicom.files).toBe(39);
    expect(summary.exitCode).toBe(1);
  });

  it('--follow (--until-idle) copies what the source stores after the bulk copy, then ends once it is quiet', async () => {
    const own = await start({ compression: true });
    for (const file of files.slice(0, 20)) await uploadToOrthanc(own, file);
    const target = await start();
    const child = spawnCli([own.url, target.url, '--until-idle', '3', '--journal', await journalIn()]);
    const exited = exitOf(child);
    // The whole bulk copy delivered while the run waits for the source's next change (none held back).
    await waitForInstances(target, 20);
    for (const file of files.slice(20, 30)) await uploadToOrthanc(own, file);
    const { code, stdout } = await exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/followed: 10 new instances/);
    expect(await instanceMd5s(target)).toEqual(await instanceMd5s(own));
  });
});
