import { copyFile, cp, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../../src/core/errors.js';
import { OrthancIndex } from '../../../../src/sources/orthanc-storage/sqlite/orthanc-index.js';
import type { IndexedInstance, StoredAttachment } from '../../../../src/sources/orthanc-storage/index-reader.js';
import { generateDicoms } from '../../../../fixtures/make-dicoms.js';
import { listFiles, md5File, snapshotTree } from '../../../helpers/tree.js';
import { SAMPLE_STORAGE, fixtureDicoms, killOrthanc, uploadAll, withOrthanc } from '../../../helpers/storages.js';
import { orthancJson, startOrthanc } from '../../../helpers/orthanc.js';

// One attachment by UUID, through the cursor the storage walk uses (closed after use).
const attachmentOf = (index: OrthancIndex, uuid: string): StoredAttachment | undefined => {
  const cursor = index.attachmentsInOrder();
  try {
    return cursor.find(uuid);
  } finally {
    cursor.close();
  }
};

const tempDir = (name: string): Promise<string> => mkdtemp(join(tmpdir(), `oi-${name}-`));

// Opens, reads everything, closes, and proves the source folder did not change at all.
async function readIndex(storageRoot: string, indexPath = join(storageRoot, 'index')) {
  const before = await snapshotTree(storageRoot);
  const index = await OrthancIndex.open({ indexPath, storageRoot });
  try {
    const instances = [...index.instances()];
    return { summary: index.summary, instances, index, before };
  } finally {
    await index.close();
    expect(await snapshotTree(storageRoot)).toEqual(before);
  }
}

async function expectRefused(options: { indexPath: string; storageRoot: string }, message: string | RegExp, code = 'E_SOURCE'): Promise<void> {
  const error: unknown = await OrthancIndex.open(options).then(
    () => new Error('open succeeded'),
    (err: unknown) => err,
  );
  expect(isImporterError(error)).toBe(true);
  if (!isImporterError(error)) return;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
}

async function expectFilesMatch(instances: readonly IndexedInstance[]): Promise<void> {
  for (const instance of instances) {
    expect((await stat(instance.path)).size).toBe(instance.compressedSize);
    expect(await md5File(instance.path)).toBe(instance.compressedMd5);
    if (instance.compressionType === 1) expect(instance.uncompressedMd5).toBe(instance.compressedMd5);
  }
}

describe('OrthancIndex on the committed sample storage', () => {
  it('lists the 9 DICOM attachments with sizes and MD5s of the files on disk, and leaves the folder as it was', async () => {
    const snapshot = await snapshotTree(SAMPLE_STORAGE);
    const index = await OrthancIndex.open({ indexPath: join(SAMPLE_STORAGE, 'index'), storageRoot: SAMPLE_STORAGE });
    try {
      expect(index.summary).toMatchObject({ schemaVersion: 6, walReplayed: false, instances: 9, studies: 4 });
      expect(index.summary.optionalColumns).toEqual(['uncompressedMD5', 'compressedMD5']);
      expect(index.summary.attachmentTypes).toEqual([
        { fileType: 1, name: 'dicom', files: 9, bytes: 40_291 + 30_866 },
        { fileType: 3, name: 'dicom-until-pixel-data', files: 3, bytes: 1_531 },
      ]);
      const instances = [...index.instances()];
      expect(instances).toHaveLength(9);
      expect(new Set(instances.map((i) => i.compressionType))).toEqual(new Set([1, 2]));
      expect(new Set(instances.map((i) => i.instanceId)).size).toBe(9);
      for (const i of instances) {
        expect(i.path).toBe(join(SAMPLE_STORAGE, i.uuid.slice(0, 2), i.uuid.slice(2, 4), i.uuid));
        expect(i.layoutProblem).toBeUndefined();
        expect(i.uncompressedMd5).toMatch(/^[0-9a-f]{32}$/);
        expect(attachmentOf(index, i.uuid)?.fileType).toBe(1);
      }
      await expectFilesMatch(instances);
      expect(new Set(instances.map((i) => i.studyId)).size).toBe(4);
      expect(new Set(instances.map((i) => i.tags.studyInstanceUid)).size).toBe(4);
      expect(instances.every((i) => i.tags.patientId !== '' && i.tags.modality !== '' && /^\d{8}$/.test(i.tags.studyDate))).toBe(true);
      // Every attachment file (type 1 and type 3) is known; nothing else is.
      const files = (await listFiles(SAMPLE_STORAGE)).filter((f) => !f.endsWith('/index'));
      expect(files).toHaveLength(12);
      const types = files.map((f) => attachmentOf(index, f.slice(f.lastIndexOf('/') + 1))?.fileType);
      expect(types.filter((t) => t === 3)).toHaveLength(3);
      expect(types.every((t) => t === 1 || t === 3)).toBe(true);
      expect(attachmentOf(index, '00000000-0000-0000-0000-000000000000') !== undefined).toBe(false);
    } finally {
      await index.close();
    }
    expect(await snapshotTree(SAMPLE_STORAGE)).toEqual(snapshot);
    expect((await readdir(SAMPLE_STORAGE)).filter((n) => n.startsWith('index'))).toEqual(['index']);
  });

  it('closes cleanly with an abandoned iterator and removes its private copy', async () => {
    const previous = process.env['TMPDIR'];
    const privateTmp = await tempDir('private-tmp');
    process.env['TMPDIR'] = privateTmp;
    try {
      const index = await OrthancIndex.open({ indexPath: join(SAMPLE_STORAGE, 'index'), storageRoot: SAMPLE_STORAGE });
      expect(await readdir(privateTmp)).toHaveLength(1);
      const iterator = index.instances();
      expect(iterator.next().done).toBe(false);
      const second = iterator.next();
      if (second.done === true) throw new Error('expected a second instance');
      expect(attachmentOf(index, second.value.uuid) !== undefined).toBe(true); // reads while iterating
      await index.close();
      expect(await readdir(privateTmp)).toEqual([]);
      expect(iterator.next().done).toBe(true);
    } finally {
      process.env['TMPDIR'] = previous;
    }
  });

  it('finds the instances a page of the target listing names (each once), then streams only those no page named', async () => {
    const index = await OrthancIndex.open({ indexPath: join(SAMPLE_STORAGE, 'index'), storageRoot: SAMPLE_STORAGE });
    try {
      const all = [...index.instances()];
      expect([...index.instances('unlisted')]).toEqual(all); // nothing listed yet
      const [one, two, ...rest] = all;
      if (one === undefined || two === undefined) throw new Error('expected instances');
      const page = [{ id: two.instanceId, size: 1, file: 'f' }, { id: 'not-in-this-index', size: 2, file: 'f' }, { id: one.instanceId, size: 3, file: 'f' }];
      const found = index.addListingPage(page);
      expect(found.map((instance) => instance.uuid).sort()).toEqual([one.uuid, two.uuid].sort());
      expect(found.find((instance) => instance.uuid === one.uuid)).toEqual(one); // the same instance, tags and all
      expect(index.listing().find(one.instanceId)?.size).toBe(3);
      expect([...index.instances('unlisted')]).toEqual(rest); // still in UUID order
      // A target that changed while listed may name an instance again: it is not found twice.
      expect(index.addListingPage([{ id: one.instanceId, size: 9, file: 'f' }])).toEqual([]);
      expect(index.listing().find(one.instanceId)?.size).toBe(3);
      expect(index.addListingPage([])).toEqual([]);
      index.addListingPage(rest.map((instance) => ({ id: instance.instanceId, size: 1, file: 'f' })));
      expect([...index.instances('unlisted')]).toEqual([]);
    } finally {
      await index.close();
    }
  });

  it('reads an index kept apart from the storage (IndexDirectory) with paths under the storage root', async () => {
    const indexDir = await tempDir('index-dir');
    await copyFile(join(SAMPLE_STORAGE, 'index'), join(indexDir, 'index'));
    const { instances } = await readIndex(SAMPLE_STORAGE, join(indexDir, 'index'));
    expect(instances).toHaveLength(9);
    await expectFilesMatch(instances);
    expect(await readdir(indexDir)).toEqual(['index']);
  });
});

describe('OrthancIndex on storages written by a real Orthanc', () => {
  it('reads both compression types after StorageCompression was toggled between restarts', async () => {
    const storageDir = await tempDir('toggled');
    const files = await fixtureDicoms();
    const ids = [
      ...(await withOrthanc({ storageDir, compression: true }, (o) => uploadAll(o, files.slice(0, 4)))),
      ...(await withOrthanc({ storageDir, compression: false }, (o) => uploadAll(o, files.slice(4)))),
    ];
    const { summary, instances } = await readIndex(storageDir);
    expect(instances.map((i) => i.instanceId).sort()).toEqual([...ids].sort()); // listed in attachment-UUID order
    const compression = new Map(instances.map((i) => [i.instanceId, i.compressionType]));
    expect(ids.slice(0, 4).every((id) => compression.get(id) === 2)).toBe(true);
    expect(ids.slice(4).every((id) => compression.get(id) === 1)).toBe(true);
    expect(summary.walReplayed).toBe(false);
    await expectFilesMatch(instances);
  });

  it('gives the instances a few studies at a time in the order Orthanc stored them, series taking turns', async () => {
    const storageDir = await tempDir('studies');
    // 2 patients x 3 studies x 2 series, 3 instances per series.
    const files = await generateDicoms({ out: await tempDir('studies-dicoms'), count: 36, patients: 2, studies: 3, series: 2, rows: 8, cols: 8 });
    const ids = await withOrthanc({ storageDir, compression: true }, (o) => uploadAll(o, files));
    const read = async (studiesInFlight: number): Promise<IndexedInstance[]> => {
      const index = await OrthancIndex.open({ indexPath: join(storageDir, 'index'), storageRoot: storageDir, studiesInFlight });
      try {
        return [...index.instances()];
      } finally {
        await index.close();
      }
    };
    const uuidOrder = await read(0);
    expect(uuidOrder.map((i) => i.uuid)).toEqual(uuidOrder.map((i) => i.uuid).sort());
    const studyOf = new Map(uuidOrder.map((i) => [i.instanceId, i.studyId]));
    // The studies in the order their first instance was stored.
    const stored = [...new Set(ids.map((id) => studyOf.get(id)))];
    expect(stored).toHaveLength(6);
    const runs = (instances: readonly IndexedInstance[], key: (i: IndexedInstance) => string): string[] =>
      instances.map(key).filter((value, at, all) => at === 0 || all[at - 1] !== value);
    for (const inFlight of [1, 2, 3]) {
      const instances = await read(inFlight);
      expect(instances.map((i) => i.instanceId).sort()).toEqual([...ids].sort());
      // Groups of `inFlight` studies, one after the other, in the order they were stored.
      const groupOf = (i: IndexedInstance): string => String(Math.floor(stored.indexOf(i.studyId) / inFlight));
      expect(runs(instances, groupOf)).toEqual(Array.from({ length: 6 / inFlight }, (_, k) => String(k)));
      // Within a group the series take turns: no two instances of a series one after the other.
      expect(runs(instances, (i) => i.tags.seriesInstanceUid)).toHaveLength(36);
    }
    expect(runs(await read(1), (i) => i.studyId)).toEqual(stored);
  });

  it('ignores instances deleted through REST even when their files are put back', async () => {
    const storageDir = await tempDir('deleted');
    const files = await fixtureDicoms();
    const ids = await withOrthanc({ storageDir }, (o) => uploadAll(o, files));
    const saved = await tempDir('saved');
    await cp(storageDir, saved, { recursive: true });
    const deleted = [ids[1], ids[5]].filter((id) => id !== undefined);
    await withOrthanc({ storageDir }, async (o) => {
      for (const id of deleted) await orthancJson(o, `/instances/${id}`, { method: 'DELETE' });
    });
    // Put the deleted attachment files back, as a crash between commit and unlink would leave them.
    const restored: string[] = [];
    for (const file of await listFiles(saved)) {
      const rel = file.slice(saved.length + 1);
      const target = join(storageDir, rel);
      if (rel.startsWith('index') || (await stat(target).catch(() => undefined)) !== undefined) continue;
      await mkdir(join(target, '..'), { recursive: true });
      await copyFile(file, target);
      restored.push(rel.slice(rel.lastIndexOf('/') + 1));
    }
    expect(restored).toHaveLength(2);
    const before = await snapshotTree(storageDir);
    const index = await OrthancIndex.open({ indexPath: join(storageDir, 'index'), storageRoot: storageDir });
    try {
      for (const uuid of restored) expect(attachmentOf(index, uuid) !== undefined).toBe(false);
      const listed = [...index.instances()];
      expect(listed.map((i) => i.instanceId).sort()).toEqual(ids.filter((id) => !deleted.includes(id)).sort());
      for (const i of listed) expect(attachmentOf(index, i.uuid) !== undefined).toBe(true);
    } finally {
      await index.close();
    }
    expect(await snapshotTree(storageDir)).toEqual(before);
  });

  it('replays the WAL left by a killed Orthanc and leaves index and index-wal untouched', async () => {
    const storageDir = await tempDir('killed');
    const data = await tempDir('killed-data');
    const files = await generateDicoms({ out: data, count: 30, patients: 3, studies: 2, prefix: 'KILL', seed: 7 });
    const orthanc = await startOrthanc({ storageDir, compression: true });
    let ids: string[];
    try {
      ids = await uploadAll(orthanc, files);
    } finally {
      await killOrthanc(orthanc);
    }
    const wal = await stat(join(storageDir, 'index-wal'));
    expect(wal.size).toBeGreaterThan(0);
    const indexHash = await md5File(join(storageDir, 'index'));
    const walHash = await md5File(join(storageDir, 'index-wal'));

    const { summary, instances } = await readIndex(storageDir);
    const studies = new Map<string, number>();
    for (const instance of instances) studies.set(instance.studyId, (studies.get(instance.studyId) ?? 0) + 1);
    expect(summary.walReplayed).toBe(true);
    expect(instances.map((i) => i.instanceId).sort()).toEqual([...new Set(ids)].sort());
    expect(studies.size).toBe(6);
    expect([...studies.values()].every((count) => count === 5)).toBe(true);
    await expectFilesMatch(instances);
    expect(await md5File(join(storageDir, 'index'))).toBe(indexHash);
    expect(await md5File(join(storageDir, 'index-wal'))).toBe(walHash);
    expect(await stat(join(storageDir, 'index-shm')).catch(() => undefined)).toBeUndefined();

    // Evidence for the WAL rule: the index alone misses committed instances.
    const alone = await tempDir('index-alone');
    await copyFile(join(storageDir, 'index'), join(alone, 'index'));
    const db = new Database(join(alone, 'index'));
    let withoutWal = 0;
    try {
      withoutWal = (db.prepare('SELECT COUNT(*) AS n FROM Resources WHERE resourceType = 4').get() as { n: number }).n;
    } catch {
      withoutWal = 0; // Even the schema may still be only in the WAL.
    } finally {
      db.close();
    }
    expect(withoutWal).toBeLessThan(ids.length);
  });

  it('refuses to open the index of a running Orthanc and touches nothing', async () => {
    const storageDir = await tempDir('running');
    const [first] = await fixtureDicoms();
    if (first === undefined) throw new Error('no fixture DICOM');
    await withOrthanc({ storageDir }, async (orthanc) => {
      await uploadAll(orthanc, [first]);
      const names = [...(await snapshotTree(storageDir)).keys()];
      await expectRefused(
        { indexPath: join(storageDir, 'index'), storageRoot: storageDir },
        'Orthanc appears to be running on this storage: stop it first',
        'E_SOURCE_LOCKED',
      );
      expect([...(await snapshotTree(storageDir)).keys()]).toEqual(names);
    });
    const { instances } = await readIndex(storageDir);
    expect(instances).toHaveLength(1);
  });
});

describe('OrthancIndex schema checks', () => {
  async function copyOfSample(edit: (db: Database.Database) => void): Promise<string> {
    const dir = await tempDir('edited-index');
    await copyFile(join(SAMPLE_STORAGE, 'index'), join(dir, 'index'));
    const db = new Database(join(dir, 'index'));
    try {
      edit(db);
    } finally {
      db.close();
    }
    return join(dir, 'index');
  }

  it('refuses a schema version outside 3..6', async () => {
    for (const version of ['2', '7']) {
      const indexPath = await copyOfSample((db) => db.prepare('UPDATE GlobalProperties SET value = ? WHERE property = 1').run(version));
      const before = await snapshotTree(join(indexPath, '..'));
      await expectRefused({ indexPath, storageRoot: SAMPLE_STORAGE }, `unsupported Orthanc database schema version "${version}"`);
      expect(await snapshotTree(join(indexPath, '..'))).toEqual(before);
    }
  });

  it('refuses a file that is not an Orthanc index', async () => {
    const indexPath = await copyOfSample((db) => db.exec('DROP TABLE GlobalProperties'));
    await expectRefused({ indexPath, storageRoot: SAMPLE_STORAGE }, 'not an Orthanc index (no GlobalProperties table)');
    const notSqlite = join(await tempDir('not-sqlite'), 'index');
    await copyFile(join(SAMPLE_STORAGE, '23/fa/23fa3caf-7fb5-4966-bd5e-0544eccc9188'), notSqlite);
    await expectRefused({ indexPath: notSqlite, storageRoot: SAMPLE_STORAGE }, 'is not a readable SQLite database');
    await expectRefused({ indexPath: join(SAMPLE_STORAGE, 'no-index-here'), storageRoot: SAMPLE_STORAGE }, 'Orthanc index not found');
  });

  it('follows customData paths (advanced-storage) and flags layouts it cannot follow', async () => {
    const rows: { id: number; uuid: string }[] = [];
    const indexPath = await copyOfSample((db) => {
      db.exec('ALTER TABLE AttachedFiles ADD COLUMN customData TEXT');
      rows.push(...(db.prepare('SELECT id, uuid FROM AttachedFiles WHERE fileType = 1 ORDER BY id LIMIT 5').all() as { id: number; uuid: string }[]));
      const set = db.prepare('UPDATE AttachedFiles SET customData = ? WHERE id = ? AND fileType = 1');
      const values = [
        '{"v":1,"p":"custom/dir/file.dcm"}',
        '{"v":1,"p":"/elsewhere/adopted.dcm","o":false}',
        '{"v":1,"p":"a/b.dcm.cmp","s":"archive","o":true}',
        'not json',
        '',
      ];
      values.forEach((value, n) => set.run(value, rows[n]?.id));
    });
    const root = await tempDir('custom-root');
    const index = await OrthancIndex.open({ indexPath, storageRoot: root });
    try {
      expect(index.summary.optionalColumns).toContain('customData');
      const byUuid = new Map([...index.instances()].map((i) => [i.uuid, i]));
      const at = (n: number): IndexedInstance | undefined => byUuid.get(rows[n]?.uuid ?? '');
      const legacy = (n: number): string => {
        const uuid = rows[n]?.uuid ?? '';
        return join(root, uuid.slice(0, 2), uuid.slice(2, 4), uuid);
      };
      expect(at(0)).toMatchObject({ path: join(root, 'custom/dir/file.dcm') });
      expect(at(0)?.layoutProblem).toBeUndefined();
      expect(at(1)).toMatchObject({ path: '/elsewhere/adopted.dcm' });
      expect(at(2)).toMatchObject({ path: legacy(2), layoutProblem: expect.stringContaining('not supported') as unknown });
      expect(at(3)).toMatchObject({ path: legacy(3), layoutProblem: expect.stringContaining('not JSON') as unknown });
      expect(at(4)).toMatchObject({ path: legacy(4) });
      expect(at(4)?.layoutProblem).toBeUndefined();
    } finally {
      await index.close();
    }
    await rm(root, { recursive: true });
  });
});
