// What Orthanc knows beyond the files, carried from a stopped storage's index into a real Orthanc:
// user metadata and attachments at every level (the storage written by a real, compressing
// Orthanc), labels (a 1.12 index, simulated), and a target that cannot hold them (a folder).
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, runImport } from '../../src/index.js';
import { formatSummary } from '../../src/record/report.js';
import { orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { fixtureDicoms, uploadAll } from '../helpers/storages.js';
import { authHeaders } from '../../fixtures/orthanc-process.js';

const start = orthancsOfThisFile();

const DECLARED = { UserMetadata: { Sample: 1024 }, UserContentType: { report: [1030, 'application/octet-stream'] } };

/** A user attachment large enough to be compressed by the source (StorageCompression). */
const REPORT = Buffer.from('a report, '.repeat(2000));
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

const put = async (orthanc: RunningOrthanc, path: string, body: Uint8Array | string): Promise<void> => {
  const res = await fetch(`${orthanc.url}${path}`, { method: 'PUT', body, headers: authHeaders(orthanc.auth) });
  if (res.status !== 200) throw new Error(`PUT ${path} -> ${res.status}: ${await res.text()}`);
};

const text = async (orthanc: RunningOrthanc, path: string): Promise<string> => (await fetch(`${orthanc.url}${path}`)).text();

interface Source {
  readonly storage: string;
  readonly instances: readonly string[];
  readonly instance: string;
  readonly series: string;
  readonly study: string;
}

let source: Source;

// A storage written by a real Orthanc with compression on: user metadata on an instance (by its
// declared name) and on a series (an undeclared number), user attachments on the instance and
// on the study; then stopped.
beforeAll(async () => {
  const orthanc = await start({ compression: true, config: DECLARED });
  const instances = await uploadAll(orthanc, (await fixtureDicoms()).slice(0, 3));
  const instance = instances[0] ?? '';
  const { ParentSeries: series } = await orthancJson<{ ParentSeries: string }>(orthanc, `/instances/${instance}`);
  const { ParentStudy: study } = await orthancJson<{ ParentStudy: string }>(orthanc, `/series/${series}`);
  await put(orthanc, `/instances/${instance}/metadata/Sample`, 'instance value');
  await put(orthanc, `/series/${series}/metadata/2000`, 'series value');
  await put(orthanc, `/instances/${instance}/attachments/report`, REPORT);
  await put(orthanc, `/studies/${study}/attachments/1100`, 'study attachment');
  await orthanc.stop();
  source = { storage: orthanc.storageDir, instances, instance, series, study };
});

describe('what is carried besides the DICOM file', () => {
  it('carries user metadata and attachments from an index into an Orthanc, each attachment proven by its MD5; system metadata is reported lost', async () => {
    const target = await start({ config: DECLARED });
    const reportPath = join(await mkdtemp(join(tmpdir(), 'oi-extras-')), 'report.json');
    const summary = await runImport(resolveOptions({ source: source.storage, target: target.url, workers: 2, reportPath }));
    expect(summary.exitCode).toBe(0);
    expect(summary.extras).toMatchObject({ instances: 3, carried: 4, notCarried: 0, failed: 0 });
    expect(summary.extras?.lost).toMatchObject({ ReceptionDate: 3, Origin: 3, RemoteIP: 3, RemoteAET: 5 });
    expect(summary.extras?.lost).not.toHaveProperty('TransferSyntax'); // Orthanc recomputes it from the file
    const lines = formatSummary(summary);
    expect(lines).toContain('  beyond the files (user metadata, attachments, labels): 4 carried for 3 instances and their parents\n');
    expect(lines).toMatch(/ {2}not carried, no client may write them \(the target records its own\): .*ReceptionDate 3/);
    const { instance, series, study } = source;
    // The index knows numbers only: the target is asked with 1024, which it names Sample.
    expect(await orthancJson(target, `/instances/${instance}/metadata?expand`)).toMatchObject({ Sample: 'instance value' });
    expect(await text(target, `/series/${series}/metadata/2000`)).toBe('series value');
    expect(await text(target, `/instances/${instance}/attachments/report/md5`)).toBe(md5(REPORT));
    expect(await text(target, `/studies/${study}/attachments/1100/data`)).toBe('study attachment');
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: { extras?: unknown } };
    expect(report.summary.extras).toEqual(summary.extras);
  });

  it('carries them from a running Orthanc as well: by the names it declares, its attachments proven by their MD5', async () => {
    const served = await mkdtemp(join(tmpdir(), 'oi-extras-served-'));
    await cp(source.storage, served, { recursive: true });
    const running = await start({ storageDir: served, compression: true, config: DECLARED });
    const target = await start({ config: DECLARED });
    const summary = await runImport(resolveOptions({ source: running.url, target: target.url, workers: 2 }));
    expect(summary.exitCode).toBe(0);
    expect(summary.extras).toMatchObject({ instances: 3, carried: 4, notCarried: 0, failed: 0 });
    const { instance, series, study } = source;
    expect(await orthancJson(target, `/instances/${instance}/metadata?expand`)).toMatchObject({ Sample: 'instance value' });
    expect(await text(target, `/series/${series}/metadata/2000`)).toBe('series value');
    expect(await text(target, `/instances/${instance}/attachments/report/md5`)).toBe(md5(REPORT));
    expect(await text(target, `/studies/${study}/attachments/1100/data`)).toBe('study attachment');
  });

  it('a resumed run claims nothing of the extras of instances an earlier run delivered', async () => {
    const target = await start({ config: DECLARED });
    const journalPath = join(await mkdtemp(join(tmpdir(), 'oi-extras-')), 'journal.sqlite');
    const options = { source: source.storage, target: target.url, workers: 2, journalPath, skipExisting: false };
    expect((await runImport(resolveOptions(options))).extras?.carried).toBe(4);
    const again = await runImport(resolveOptions(options));
    expect(again.instancesThisRun).toBe(0);
    expect(again.extras).toBeUndefined();
    expect(again.exitCode).toBe(0);
  });

  it('labels of a 1.12 index are reported not carried to an Orthanc without labels; the DICOM is delivered, exit 0', async () => {
    // Orthanc 1.12's Labels table (InstallLabelsTable.sql) added to the stopped storage's index.
    const db = new Database(join(source.storage, 'index'));
    db.exec('CREATE TABLE Labels(id INTEGER REFERENCES Resources(internalId) ON DELETE CASCADE, label TEXT NOT NULL, PRIMARY KEY(id, label))');
    db.prepare("INSERT INTO Labels SELECT internalId, 'reviewed' FROM Resources WHERE publicId = ?").run(source.study);
    db.close();
    try {
      const target = await start({ config: DECLARED });
      const reportPath = join(await mkdtemp(join(tmpdir(), 'oi-extras-')), 'report.json');
      const summary = await runImport(resolveOptions({ source: source.storage, target: target.url, workers: 2, reportPath }));
      expect(summary.exitCode).toBe(0);
      expect(summary.extras).toMatchObject({ carried: 4, notCarried: 1, failed: 0 });
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: { class: string; extrasNotCarried?: string[] }[] };
      const lines = report.notUploaded.filter((line) => line.extrasNotCarried !== undefined);
      expect(lines).toHaveLength(1);
      expect(lines[0]?.class).toBe('dicom');
      expect(lines[0]?.extrasNotCarried).toEqual([`study ${source.study}: labels reviewed: the target has no labels (Orthanc 1.10.1)`]);
    } finally {
      const undo = new Database(join(source.storage, 'index'));
      undo.exec('DROP TABLE Labels');
      undo.close();
    }
  });

  it('an attachment that fails to be carried makes exit 1, and the next run does its instance again', async () => {
    const db = new Database(join(source.storage, 'index'), { readonly: true });
    const row = db.prepare('SELECT uuid, compressionType FROM AttachedFiles WHERE fileType = 1100').get() as { uuid: string; compressionType: number };
    db.close();
    expect(row.compressionType).toBe(2); // written compressed by the source: read through its zlib
    const file = join(source.storage, row.uuid.slice(0, 2), row.uuid.slice(2, 4), row.uuid);
    const original = await readFile(file);
    await writeFile(file, Buffer.concat([original.subarray(0, 8), Buffer.alloc(original.length - 8, 0x55)]));
    const target = await start({ config: DECLARED });
    const journalPath = join(await mkdtemp(join(tmpdir(), 'oi-extras-')), 'journal.sqlite');
    const options = { source: source.storage, target: target.url, workers: 2, journalPath };
    try {
      const broken = await runImport(resolveOptions(options));
      expect(broken.exitCode).toBe(1);
      // The study's attachment failed, with each instance that met it (a parent that failed is tried again).
      expect(broken.extras?.failed).toBeGreaterThan(0);
      // At least the three that do not fail. A parent carried in the same call as the failing
      // attachment is carried again with a later instance of it, when one settles after the failure
      // (two instances settle at once): each time it was written and counted.
      expect(broken.extras?.carried).toBeGreaterThanOrEqual(3);
      expect(broken.extras?.carried).toBeLessThanOrEqual(5);
    } finally {
      await writeFile(file, original);
    }
    const again = await runImport(resolveOptions(options));
    expect(again.exitCode).toBe(0);
    expect(again.extras?.failed).toBe(0);
    // Only the instances whose extras failed are done again (found on the target: not sent again).
    expect(again.extras?.instances).toBeGreaterThan(0);
    expect(again.extras?.instances).toBe(again.alreadyOnTarget);
    expect(await text(target, `/studies/${source.study}/attachments/1100/data`)).toBe('study attachment');
  });

  it('a folder target holds none of it: one line, and nothing read', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'oi-extras-folder-'));
    const summary = await runImport(resolveOptions({ source: source.storage, target: folder, workers: 2 }));
    expect(summary.exitCode).toBe(0);
    expect(summary.extras).toEqual({ instances: 0, carried: 0, notCarried: 0, failed: 0, lost: {}, notRead: 3 });
    const lines = formatSummary(summary).split('\n').filter((line) => /metadata|labels/.test(line));
    expect(lines).toEqual(["  not carried: Orthanc's user metadata, attachments and labels of 3 instances (only an Orthanc target holds them; not read)"]);
  });
});
