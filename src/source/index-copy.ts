// A private, writable copy of an Orthanc SQLite index, so the source folder is never opened by SQLite.
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ImporterError } from '../errors.js';
import { refuseIfRunning } from './running-orthanc.js';


/** The opened copy and what was copied. */
export interface IndexCopy {
  readonly db: Database.Database;
  readonly dir: string;
  /** A non-empty index-wal was copied and replayed by SQLite. */
  readonly walReplayed: boolean;
}

const sizeOf = async (path: string): Promise<number | undefined> => {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
};


// Why: even a read-only SQLite open creates index-wal/index-shm beside the index, and the
// source must stay byte-for-byte unchanged; a copy of index + index-wal (never index-shm, which
// SQLite rebuilds) also lets SQLite replay committed transactions a crash left in the WAL.
export async function openIndexCopy(indexPath: string): Promise<IndexCopy> {
  if ((await sizeOf(indexPath)) === undefined) {
    throw new ImporterError('E_SOURCE', `Orthanc index not found: ${indexPath}`);
  }
  await refuseIfRunning(indexPath);
  const dir = await mkdtemp(join(tmpdir(), 'oi-index-'));
  try {
    const copy = join(dir, 'index');
    await copyFile(indexPath, copy);
    const walSize = await sizeOf(`${indexPath}-wal`);
    if (walSize !== undefined) await copyFile(`${indexPath}-wal`, `${copy}-wal`);
    // A hot rollback journal (crash while in DELETE journal mode) must travel with the index too.
    if ((await sizeOf(`${indexPath}-journal`)) !== undefined) await copyFile(`${indexPath}-journal`, `${copy}-journal`);
    // Orthanc may have started while we copied: the copy would then be a torn snapshot.
    await refuseIfRunning(indexPath);
    let db: Database.Database;
    try {
      db = new Database(copy, { fileMustExist: true });
      db.pragma('schema_version'); // Forces the header read (and WAL recovery) now.
    } catch (err) {
      throw new ImporterError('E_SOURCE', `${indexPath} is not a readable SQLite database: ${(err as Error).message}`, { cause: err });
    }
    return { db, dir, walReplayed: (walSize ?? 0) > 0 };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
