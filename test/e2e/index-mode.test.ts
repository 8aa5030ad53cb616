// Index mode end to end: storages written (and mistreated) by a real Orthanc are imported through
// their SQLite index into a fresh real Orthanc.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDicomHeader } from '../../src/decode/dicom-header.js';
import { resolveOptions, runImport, type ImportInput } from '../../src/index.js';
import type { IndexSummary } from '../../src/sources/orthanc-storage/index-reader.js';
import { instanceMd5s, listInstances, orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { runCli } from '../helpers/run-cli.js';
import { fixtureDicoms, killOrthanc, uploadAll } from '../helpers/storages.js';
import { md5File, snapshotTree } from '../helpers/tree.js';

const start = orthancsOfThisFile();

let files: string[];
/** Orthanc instance ID -> MD5 of its original file. */
const md5ById = new Map<string, string>();

beforeAll(async () => {
  files = await fixtureDicoms();
});

const upload = async (orthanc: RunningOrthanc, some: readonly string[]): Promise<string[]> => {
  const ids = await uploadAll(orthanc, some);
  for (const [index, id] of ids.entries()) md5ById.set(id, await md5File(some[index] ?? ''));
  return ids;
};

const attachmentPath = async (orthanc: RunningOrthanc, id: string): Promise<string> => {
  const { Uuid } = await orthancJson<{ Uuid: string }>(orthanc, `/instances/${id}/attachments/dicom/info`);
  return join(orthanc.storageDir, Uuid.slice(0, 2), Uuid.slice(2, 4), Uuid);
};

const importInto = async (storage: string, extra: Partial<ImportInput> = {}) => {
  const target = await start();
  const before = await snapshotTree(storage);
  const summary = await runImport(resolveOptions({ source: storage, target: target.url, workers: 2, ...extra }));
  expect(await snapshotTree(storage)).toEqual(before); // never touched, not even index-wal/-shm
  return { target, summary };
};

const only = (ids: readonly string[]): Map<string, string> => new Map(ids.map((id) => [id, md5ById.get(id) ?? '']));

describe('index mode', () => {
  it('imports a storage whose compression was toggled between restarts, byte for byte', async () => {
    const first = await start({ compression: false });
    const ids = await upload(first, files.slice(0, 4));
    await first.stop();
    const second = await start({ compression: true, storageDir: first.storageDir });
    ids.push(...(await upload(second, files.slice(4))));
    await second.stop();

    const { target, summary } = await importInto(first.storageDir);
    expect(await instanceMd5s(target)).toEqual(only(ids));
    expect(summary.exitCode).toBe(0);
    expect((summary.index as IndexSummary | undefined)?.instances).toBe(files.length);
    expect(summary.classes.dicom.files).toBe(files.length);
    expect(summary.verified).toBe(files.length);
    expect(summary.studies?.incomplete).toEqual([]);
    expect(summary.studies?.complete).toBe(summary.studies?.total);
    const caches = (summary.index as IndexSummary | undefined)?.attachmentTypes.find((type) => type.fileType === 3)?.files ?? 0;
    expect(caches).toBeGreaterThan(0);
    expect(summary.classes['pixel-data-cache'].files).toBe(caches);
  });

  it('sends a study at a time: the target stores each study whole before the next, and the summary counts them', async () => {
    // 3 studies of 2 series, 3 instances each, stored by the source in the order of the files.
    const dicoms = await generateDicoms({ out: await mkdtemp(join(tmpdir(), 'oi-studies-')), count: 18, patients: 1, studies: 3, series: 2, rows: 8, cols: 8 });
    const source = await start({ compression: true });
    await uploadAll(source, dicoms);
    await source.stop();
    // One upload at a time, decoded on the main thread (decode threads finish in any order), so
    // the target stores them in the order the source gave them.
    const { target, summary } = await importInto(source.storageDir, { studiesInFlight: 1, concurrency: 1, workers: 0 });
    expect(summary.exitCode).toBe(0);
    const { Changes } = await orthancJson<{ Changes: { ChangeType: string; ID: string }[] }>(target, '/changes?since=0&limit=1000');
    const stored = Changes.filter((change) => change.ChangeType === 'NewInstance').map((change) => change.ID);
    expect(stored).toHaveLength(18);
    const parents = async (level: string, key: string): Promise<Map<string, string>> =>
      new Map((await orthancJson<Record<string, string>[]>(target, `/${level}?expand`)).map((item) => [item['ID'] ?? '', item[key] ?? '']));
    const [seriesOf, studyOf] = [await parents('instances', 'ParentSeries'), await parents('series', 'ParentStudy')];
    const studies = stored.map((id) => studyOf.get(seriesOf.get(id) ?? ''));
    const runs = studies.filter((study, at) => at === 0 || studies[at - 1] !== study);
    expect(runs).toHaveLength(3); // each study whole, one after the other
    const series = stored.map((id) => seriesOf.get(id));
    expect(series.every((one, at) => at === 0 || series[at - 1] !== one)).toBe(true); // the series took turns
    expect(summary.studies?.completedByThisRun?.studies).toBe(3);
    // A second run finds them all there: it completes none.
    const second = await runImport(resolveOptions({ source: source.storageDir, target: target.url, workers: 2, studiesInFlight: 1 }));
    expect(second.studies).toMatchObject({ total: 3, complete: 3 });
    expect(second.studies?.completedByThisRun).toBeUndefined();
  });

  it('never brings deleted instances back (orphans), unless --include-orphans', async () => {
    const source = await start({ compression: true });
    const ids = await upload(source, files);
    const deleted = ids.slice(0, 2);
    const saved = await Promise.all(deleted.map(async (id) => ({ path: await attachmentPath(source, id), bytes: await readFile(await attachmentPath(source, id)) })));
    for (const id of deleted) await orthancJson(source, `/instances/${id}`, { method: 'DELETE' });
    await source.stop();
    for (const { path, bytes } of saved) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, bytes);
    }

    const { target, summary } = await importInto(source.storageDir);
    expect(new Set(await listInstances(target))).toEqual(new Set(ids.slice(2)));
    expect(summary.classes.orphan.files).toBe(2);
    expect(summary.exitCode).toBe(0);

    const withOrphans = await importInto(source.storageDir, { includeOrphans: true });
    expect(await instanceMd5s(withOrphans.target)).toEqual(only(ids));
    expect(withOrphans.summary.classes.orphan.files).toBe(0);
  });

  it('honours the write-ahead log of an Orthanc killed with kill -9', async () => {
    const source = await start({ compression: true });
    const ids = await upload(source, files);
    await killOrthanc(source);
    const { target, summary } = await importInto(source.storageDir);
    expect((summary.index as IndexSummary | undefined)?.walReplayed).toBe(true);
    expect(await instanceMd5s(target)).toEqual(only(ids));
    expect(summary.exitCode).toBe(0);
  });

  it('reports a file altered after the stop as corrupt-source and a vanished one as missing, and uploads neither', async () => {
    const source = await start({ compression: true });
    const ids = await upload(source, files);
    const [alteredId = '', missingId = ''] = ids;
    const altered = await attachmentPath(source, alteredId);
    const missing = await attachmentPath(source, missingId);
    await source.stop();
    const bytes = await readFile(altered);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    await writeFile(altered, bytes);
    await rm(missing);

    const reportPath = `${source.storageDir}-report.json`;
    const { target, summary } = await importInto(source.storageDir, { reportPath });
    expect(new Set(await listInstances(target))).toEqual(new Set(ids.slice(2)));
    expect(summary.classes['corrupt-source'].files).toBe(1);
    expect(summary.classes.missing.files).toBe(1);
    expect(summary.exitCode).toBe(1);
    expect(summary.studies?.incomplete.length).toBeGreaterThanOrEqual(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: { studies: { incomplete: { expected: number; verified: number; why: Record<string, number> }[] } }; notUploaded: { class: string; reason: string }[] };
    expect(report.notUploaded.find((entry) => entry.class === 'corrupt-source')?.reason).toMatch(new RegExp(`instance ${alteredId}: .*(MD5|inflate|decodes)`));
    expect(report.notUploaded.find((entry) => entry.class === 'missing')?.reason).toMatch(new RegExp(`instance ${missingId} but its file is not on disk`));
    expect(report.summary.studies.incomplete.every((study) => study.verified < study.expected)).toBe(true);
    // Each incomplete study says what became of the instances it lacks: one corrupt, one missing in all.
    const why = report.summary.studies.incomplete.flatMap((study) => Object.entries(study.why));
    expect(why.sort()).toEqual([['corrupt-source', 1], ['missing', 1]]);
    for (const study of report.summary.studies.incomplete) expect(Object.values(study.why).reduce((sum, n) => sum + n, 0)).toBe(study.expected - study.verified);
  });

  it('sends an instance whose MD5 record was altered in the index, then reports it as differing, never verified', async () => {
    // Its file is intact (it inflates, Adler-32 and length right): the record is taken, not hashed
    // again, so it is sent, and the target's MD5 read back disagrees with the record.
    const source = await start({ compression: true });
    const ids = await upload(source, files.slice(0, 3));
    const [alteredId = ''] = ids;
    const { Uuid } = await orthancJson<{ Uuid: string }>(source, `/instances/${alteredId}/attachments/dicom/info`);
    await source.stop();
    const db = new Database(join(source.storageDir, 'index'));
    db.prepare('UPDATE AttachedFiles SET uncompressedMD5 = ? WHERE uuid = ? AND fileType = 1').run('0'.repeat(32), Uuid);
    db.close();

    const reportPath = `${source.storageDir}-report.json`;
    const { summary } = await importInto(source.storageDir, { reportPath });
    expect(summary.exitCode).toBe(1);
    expect(summary.verified).toBe(2);
    expect(summary.classes.conflict.files).toBe(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: { class: string; reason: string; instanceId?: string }[] };
    const entry = report.notUploaded.find((item) => item.instanceId === alteredId);
    // An inventory reads nothing back: it hashes, and calls the file corrupt-source.
    const inventory = await runImport(resolveOptions({ source: source.storageDir }));
    expect(inventory.classes['corrupt-source'].files).toBe(1);
    expect(entry?.reason).toBe(`the target stored bytes other than the source's (MD5 ${md5ById.get(alteredId) ?? ''}, source ${'0'.repeat(32)}): does it transcode or modify incoming files, or does the source's MD5 record disagree with its file?`);
  });

  it('walks instead with --no-index (and then counts the index file as not DICOM)', async () => {
    const source = await start({ compression: true });
    const ids = await upload(source, files.slice(0, 3));
    await source.stop();
    const { target, summary } = await importInto(source.storageDir, { useIndex: false });
    expect(summary.index).toBeUndefined();
    expect(await instanceMd5s(target)).toEqual(only(ids));
  });

  it('refuses the storage of a running Orthanc, with exit code 2 and a clear message', async () => {
    const source = await start();
    await upload(source, files.slice(0, 1));
    const { code, stderr } = await runCli([source.storageDir]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Orthanc appears to be running on this storage: stop it first/);
  });

  it('refuses it whatever the options: --no-index, or --index naming a copy of its index', async () => {
    const source = await start();
    await upload(source, files.slice(0, 1));
    const copy = `${source.storageDir}-index-copy`;
    await writeFile(copy, await readFile(join(source.storageDir, 'index')));
    for (const options of [['--no-index'], ['--index', copy]]) {
      const target = await start();
      const { code, stdout, stderr } = await runCli([source.storageDir, target.url, ...options]);
      expect(code).toBe(2);
      expect(stderr).toContain(`Orthanc appears to be running on this storage: stop it first (${join(source.storageDir, 'index')} is locked by another process)`);
      expect(stdout).toBe('');
      expect(await listInstances(target)).toEqual([]);
    }
    await source.stop();
    await writeFile(copy, await readFile(join(source.storageDir, 'index'))); // now a whole copy
    const stopped = await runCli([source.storageDir, '--index', copy, '--quiet']); // stopped: the copy is read
    expect(stopped.stderr).toBe('');
    expect(stopped.code).toBe(0);
  });
});

describe('a target that already holds part of the storage', () => {
  const PIXEL_DATA = Buffer.from([0xe0, 0x7f, 0x10, 0x00]);

  it('settles what its listing names without reading it, sends the rest, and calls a pixel-less copy a conflict', async () => {
    const source = await start({ compression: true });
    const ids = await upload(source, files);
    const withPixels = [];
    for (const file of files) if ((await readFile(file)).indexOf(PIXEL_DATA) > 0) withPixels.push(file);
    const [held1 = '', held2 = '', cutOne = ''] = withPixels;
    const heldFile = await attachmentPath(source, ids[files.indexOf(held1)] ?? '');
    await source.stop();
    // Garbled in place: read, it would be corrupt-source; settled from the listing, it is never read.
    await writeFile(heldFile, Buffer.alloc((await readFile(heldFile)).length));
    const target = await start();
    await upload(target, [held1, held2]);
    const whole = await readFile(cutOne);
    const pixelLess = (await orthancJson<{ ID: string }>(target, '/instances', { body: whole.subarray(0, whole.indexOf(PIXEL_DATA)) })).ID;
    const journalPath = `${source.storageDir}-journal.sqlite`;
    const reportPath = `${source.storageDir}-report.json`;
    const options = { source: source.storageDir, target: target.url, workers: 2, journalPath, reportPath };

    const first = await runImport(resolveOptions(options));
    expect(first.alreadyOnTarget).toBe(2);
    expect(first.classes.conflict.files).toBe(1);
    expect(first.statuses.stored).toBe(files.length - 3);
    expect(first.classes.dicom.files).toBe(files.length - 1);
    expect(first.studies?.incomplete.length).toBe(1); // the study of the conflicting instance
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: { class: string; reason: string; instanceId?: string }[] };
    expect(report.notUploaded.filter((entry) => entry.class === 'conflict')).toEqual([expect.objectContaining({ instanceId: pixelLess })]);
    // what the target says of its copy, not a guess
    expect(report.notUploaded.find((entry) => entry.class === 'conflict')?.reason).toMatch(/another version of this instance \(\d+ bytes there, \d+ in the source; the copy there: transfer syntax [0-9.]+, without pixel data\)/);
    const onTarget = await instanceMd5s(target);
    expect(new Map([...onTarget].filter(([id]) => id !== pixelLess))).toEqual(new Map([...only(ids)].filter(([id]) => id !== pixelLess)));

    // Every outcome was journaled: the next run replays all but the conflict, which it asks the listing about again.
    const second = await runImport(resolveOptions(options));
    expect(second.resumed).toBe(files.length - 1);
    expect(second.classes.conflict.files).toBe(1);
    expect(second.statuses.stored + second.alreadyOnTarget).toBe(0);
    expect(second.census).toEqual(first.census); // replayed records give back what the index says of each instance

    // Filters apply to what the listing names: another patient's instances are excluded, not skipped.
    const parsed = parseDicomHeader(whole, whole.length);
    const patient = parsed.ok ? parsed.facts.header.patientId : '';
    const filtered = await runImport(resolveOptions({ ...options, restart: true, patientIds: [patient] }));
    expect(filtered.classes.excluded.files).toBeGreaterThan(0);
    expect(filtered.classes.excluded.files + filtered.classes.dicom.files + filtered.classes.conflict.files).toBe(files.length);
    expect(filtered.classes.conflict.files).toBe(1);
    expect(filtered.statuses.stored).toBe(0);
  });
});

describe('check (uploads nothing)', () => {
  it('proves a complete import, then names what is absent or different on the target', async () => {
    const source = await start({ compression: true });
    const ids = await upload(source, files);
    await source.stop();
    const { target } = await importInto(source.storageDir);
    const before = await listInstances(target);

    const clean = await runImport(resolveOptions({ source: source.storageDir, target: target.url, check: true }));
    expect(clean).toMatchObject({ check: true, exitCode: 0, verified: files.length });
    expect(clean.classes.dicom.files).toBe(files.length);
    expect(clean.studies?.incomplete).toEqual([]);
    expect(await listInstances(target)).toEqual(before); // nothing uploaded

    const [goneId = '', changedId = ''] = ids;
    await orthancJson(target, `/instances/${goneId}`, { method: 'DELETE' });
    await orthancJson(target, `/instances/${changedId}`, { method: 'DELETE' });
    const original = await readFile(files[ids.indexOf(changedId)] ?? '');
    const pixelTag = original.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
    await orthancJson(target, '/instances', { method: 'POST', body: original.subarray(0, pixelTag) });

    const reportPath = `${source.storageDir}-check.json`;
    const broken = await runImport(resolveOptions({ source: source.storageDir, target: target.url, check: true, reportPath }));
    expect(broken.exitCode).toBe(1);
    expect(broken.classes.absent.files).toBe(1);
    expect(broken.classes.conflict.files).toBe(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: { class: string; instanceId?: string }[] };
    expect(report.notUploaded.filter((entry) => entry.class === 'absent').map((entry) => entry.instanceId)).toEqual([goneId]);
    expect(report.notUploaded.filter((entry) => entry.class === 'conflict').map((entry) => entry.instanceId)).toEqual([changedId]);
  });

  it('checks a raw folder by content through the CLI, exit 0 only when everything is there', async () => {
    const target = await start();
    await uploadAll(target, files.slice(0, files.length - 1));
    const incomplete = await runCli(['check', join(files[0] ?? '', '..'), target.url]);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stdout).toMatch(/absent\s+1 file\b/);
    await uploadAll(target, files.slice(-1));
    const complete = await runCli(['check', join(files[0] ?? '', '..'), target.url]);
    expect(complete.stdout).toMatch(/Checked .* \(nothing uploaded\)/);
    expect(complete.code).toBe(0);
  });
});

describe('partial migrations (filters)', () => {
  it('moves one patient first, records only what it handled, and a later unfiltered run completes the rest without re-sending', async () => {
    const source = await start({ compression: true });
    const ids = await upload(source, files);
    await source.stop();
    const target = await start();
    const journalPath = `${source.storageDir}-journal.sqlite`;
    const first = await readFile(files[0] ?? '');
    const parsed = parseDicomHeader(first, first.length);
    const onePatient = parsed.ok ? parsed.facts.header.patientId : '';
    expect(onePatient).not.toBe('');
    const partial = await runImport(resolveOptions({ source: source.storageDir, target: target.url, journalPath, patientIds: [onePatient] }));
    const taken = partial.classes.dicom.files;
    expect(taken).toBeGreaterThan(0);
    expect(partial.classes.excluded.files).toBe(files.length - taken);
    expect(partial.exitCode).toBe(0);
    expect(partial.studies?.incomplete).toEqual([]);
    expect((await listInstances(target)).length).toBe(taken);

    const rest = await runImport(resolveOptions({ source: source.storageDir, target: target.url, journalPath }));
    expect(rest.resumed).toBe(taken); // what the filtered run handled is not read or sent again
    expect(rest.statuses.stored).toBe(files.length - taken);
    expect(await instanceMd5s(target)).toEqual(only(ids));

    // Filters still apply to what the journal holds: the other patients are excluded, not replayed.
    const again = await runImport(resolveOptions({ source: source.storageDir, target: target.url, journalPath, patientIds: [onePatient] }));
    expect(again).toMatchObject({ resumed: taken, exitCode: 0 });
    expect(again.classes.excluded.files).toBe(files.length - taken);
  });

  it('filters a raw folder by the parsed header (walk mode), e.g. by modality', async () => {
    const target = await start();
    const folder = join(files[0] ?? '', '..');
    const summary = await runImport(resolveOptions({ source: folder, target: target.url, modalities: ['ot'] }));
    expect(summary.classes.dicom.files).toBe(1); // the one multi-frame secondary capture
    expect(summary.classes.excluded.files).toBe(files.length - 1);
    expect(summary.census.modalities).toEqual({ OT: 1 });
  });
});
