import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexExtras } from '../../../../src/sources/orthanc-storage/sqlite/index-extras.js';
import { SAMPLE_STORAGE } from '../../../helpers/storages.js';

// Orthanc's index has no statistics: SQLite chose a plan that read every instance, or every
// Metadata row, for each instance's extras (quadratic in the storage's size). Each query of an
// instance's extras must find its rows by key: the only tables scanned are the chain's own.
describe('indexExtras query plans', () => {
  let dir: string;
  let db: Database.Database;
  const prepared: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oi-extras-plan-'));
    await copyFile(join(SAMPLE_STORAGE, 'index'), join(dir, 'index'));
    db = new Database(join(dir, 'index'));
    // Orthanc 1.12's Labels table, so that its query is prepared too.
    db.exec('CREATE TABLE Labels(id INTEGER REFERENCES Resources(internalId) ON DELETE CASCADE, label TEXT NOT NULL, PRIMARY KEY(id, label))');
  });

  afterAll(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('looks each instance up by its public ID and its parents and their rows by key, scanning no table', () => {
    const recording = new Proxy(db, {
      get(target, name, receiver) {
        if (name !== 'prepare') return Reflect.get(target, name, receiver) as unknown;
        return (sql: string) => {
          prepared.push(sql);
          return target.prepare(sql);
        };
      },
    });
    const instanceId = db.prepare<[], { publicId: string }>('SELECT publicId FROM Resources WHERE resourceType = 4 LIMIT 1').get()?.publicId ?? '';
    const extras = indexExtras(recording, dir, new Set(['uncompressedMD5']))(instanceId);
    expect(extras.map((resource) => resource.level).sort()).toEqual(['instance', 'patient', 'series', 'study']);
    const queries = prepared.filter((sql) => sql.includes('chain'));
    expect(queries).toHaveLength(4);
    for (const sql of queries) {
      const plan = db.prepare<[string], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(instanceId).map((row) => row.detail);
      expect(plan, sql).toContain('SEARCH Resources USING INDEX PublicIndex (publicId=?)');
      expect(plan.filter((step) => step.startsWith('SCAN ') && step !== 'SCAN c' && step !== 'SCAN chain'), sql).toEqual([]);
    }
  });
});
