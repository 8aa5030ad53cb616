// A storage unchanged since a complete run spares reading the source, never asking the target
// (src/confirm-complete.ts, src/run.ts): against real Orthancs, the journal's answer is given only
// once every delivered instance was found on the target as it was.
import Database from 'better-sqlite3';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, runImport, type ImportInput, type Summary } from '../../src/index.js';
import { listInstances, orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { sameSizeOtherVersion } from '../helpers/dicom-bytes.js';
import { runCli } from '../helpers/run-cli.js';
import { dicomwebOptions, dicomwebUrl } from '../helpers/dicomweb.js';
import { fixtureDicoms, uploadAll } from '../helpers/storages.js';
import { waitUntilTimestampsSettle } from '../helpers/tree.js';

const start = orthancsOfThisFile();
let files: string[];

beforeAll(async () => {
  files = await fixtureDicoms();
});

// A compressed storage written by a real Orthanc, stopped, old enough to be trusted unchanged;
// with the instance IDs of the files, in their order.
const buildStorage = async (): Promise<{ storage: string; ids: string[] }> => {
  const source = await start({ compression: true });
  const ids = await uploadAll(source, files);
  await source.stop();
  await waitUntilTimestampsSettle(source.storageDir);
  return { storage: source.storageDir, ids };
};

const newJournal = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-confirm-journal-')), 'journal.sqlite');
const run = (storage: string, target: RunningOrthanc, journalPath: string, extra: Partial<ImportInput> = {}): Promise<Summary> =>
  runImport(resolveOptions({ source: storage, target: target.url, journalPath, workers: 2, ...extra }));

describe('a run over a storage unchanged since a complete run', () => {
  it('is answered from the journal only once each delivered instance is found on the target, as the run that sent it left it', async () => {
    const { storage } = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    const first = await run(storage, target, journal);
    expect(first.studies?.completedByThisRun).toBeDefined();
    expect(first.uploadsInFlight).toBeDefined();
    const answered = await run(storage, target, journal);
    expect(answered.unchangedSince).toBeDefined();
    expect(answered.verifiedBy).toEqual({ md5: 0, listing: files.length, size: 0, presence: 0 });
    expect(answered.exitCode).toBe(0);
    // What the first run saw as it sent is not this run's to claim; the studies' completeness is.
    expect(answered.studies).toEqual({ ...first.studies, completedByThisRun: undefined });
    expect(answered.uploadsInFlight).toBeUndefined();
  });

  it('is answered from the journal for a DICOMweb server too: the journal of index mode keeps the study each instance is asked by', async () => {
    const { storage } = await buildStorage();
    const target = await start(dicomwebOptions());
    const journal = await newJournal();
    expect((await runImport(resolveOptions({ source: storage, target: dicomwebUrl(target), journalPath: journal, workers: 2 }))).statuses.stored).toBe(files.length);
    const infos: string[] = [];
    const answered = await runImport(resolveOptions({ source: storage, target: dicomwebUrl(target), journalPath: journal, workers: 2 }), { onInfo: (text) => infos.push(text) });
    expect(infos.join('\n')).not.toMatch(/no longer holds/);
    expect(answered.unchangedSince).toBeDefined();
    expect(answered.verifiedBy).toEqual({ md5: 0, listing: 0, size: 0, presence: files.length });
    expect(answered.exitCode).toBe(0);

    // a journal written before the records kept the study: the server cannot be asked, which is not "no longer holds"
    const db = new Database(journal);
    db.prepare("UPDATE outcomes SET outcome = json_remove(outcome, '$.studyInstanceUid', '$.seriesInstanceUid')").run();
    db.close();
    const unprovable: string[] = [];
    const again = await runImport(resolveOptions({ source: storage, target: dicomwebUrl(target), journalPath: journal, workers: 2 }), { onInfo: (text) => unprovable.push(text) });
    expect(unprovable.join('\n')).toMatch(/the target cannot tell whether it still holds the instance [0-9.]+ \(.*Study Instance UID is not known.*\): reading the source again/);
    expect(unprovable.join('\n')).not.toMatch(/no longer holds/);
    expect(again.unchangedSince).toBeUndefined();
    expect(again.verified).toBe(files.length);
    expect(again.exitCode).toBe(0);
  });

  it('reads the source again and sends what a wiped target lost', async () => {
    const { storage } = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    const first = await run(storage, target, journal);
    for (const id of await listInstances(target)) await orthancJson(target, `/instances/${id}`, { method: 'DELETE' });
    const infos: string[] = [];
    const again = await runImport(resolveOptions({ source: storage, target: target.url, journalPath: journal, workers: 2 }), { onInfo: (text) => infos.push(text) });
    // the instance not found is named (index mode records no source path): never 'undefined' or a placeholder
    expect(infos.join('\n')).toMatch(/no longer holds everything it delivered as it was \(the instance [0-9.]+\): reading the source again/);
    expect(again.unchangedSince).toBeUndefined();
    expect(again.statuses.stored).toBe(files.length);
    expect(again.verifiedBy.md5).toBe(files.length);
    expect(again.classes).toEqual(first.classes);
    expect(again.exitCode).toBe(0);
    // and, all there again, the next run may answer from the journal
    expect((await run(storage, target, journal)).unchangedSince).toBe(again.startedAt);
  });

  it('sends what `check` found absent, and calls an instance replaced by another version a conflict', async () => {
    const { storage, ids } = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    await run(storage, target, journal);
    const [gone, replaced] = [ids[0] ?? '', ids[4] ?? ''];
    await orthancJson(target, `/instances/${gone}`, { method: 'DELETE' });
    await orthancJson(target, `/instances/${replaced}`, { method: 'DELETE' });
    await orthancJson(target, '/instances', { method: 'POST', body: sameSizeOtherVersion(await readFile(files[4] ?? '')) });

    const check = await runCli(['check', storage, target.url, '--quiet']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/absent\s+1 file\b/);
    expect(check.stdout).toMatch(/conflict\s+1 file\b/);

    const again = await run(storage, target, journal);
    expect(again.unchangedSince).toBeUndefined();
    expect(again.statuses.stored).toBe(1);
    expect(again.classes.conflict.files).toBe(1);
    expect(again.exitCode).toBe(1);
    expect(await listInstances(target)).toContain(gone);
    // a conflict is never answered from the journal: each run finds it again
    const third = await run(storage, target, journal);
    expect(third.unchangedSince).toBeUndefined();
    expect(third.classes.conflict.files).toBe(1);
    expect(third.exitCode).toBe(1);
  });
});
