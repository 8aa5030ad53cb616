// A private, writable copy of an Orthanc SQLite index, so the source folder is never opened by SQLite.
import { chmod, copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ImporterError } from '../../../core/errors.js';
import { errnoCode, errnoOrMessage } from '../../../core/errno.js';
import { refuseIfRunning } from '../running-orthanc.js';
import { COPY_PREFIX, removeStaleCopies } from './stale-copies.js';

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

// Refuses an index path that is missing or not a file, naming it.
const refuseUnusableIndex = async (indexPath: string): Promise<void> => {
  try {
    if ((await stat(indexPath)).isFile()) return;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new ImporterError('E_SOURCE', `Orthanc index not found: ${indexPath}`);
    throw new ImporterError('E_SOURCE', `Cannot read the Orthanc index ${indexPath} (${errnoOrMessage(error)})`, { cause: error });
  }
  throw new ImporterError('E_SOURCE', `The Orthanc index ${indexPath} is not a file: give the index file itself (--index FILE), or --no-index to walk the folder`);
};

// Copies one file of the index into the private folder, writable by this process whatever the
// source's mode (a read-only index gives a read-only copy, which SQLite cannot open for writing).
const copyIndexFile = async (from: string, to: string): Promise<void> => {
  try {
    await copyFile(from, to);
  } catch (error) {
    throw new ImporterError('E_SOURCE', `Cannot read the Orthanc index ${from} (${errnoOrMessage(error)})`, { cause: error });
  }
  await chmod(to, 0o600);
};

// Why: even a read-only SQLite open creates index-wal/index-shm beside the index, and the
// source must stay byte-for-byte unchanged; a copy of index + index-wal (never index-shm, which
// SQLite rebuilds) also lets SQLite replay committed transactions a crash left in the WAL.
export async function openIndexCopy(indexPath: string): Promise<IndexCopy> {
  await refuseUnusableIndex(indexPath);
  await refuseIfRunning(indexPath);
  await removeStaleCopies(tmpdir());
  const dir = await mkdtemp(join(tmpdir(), `${COPY_PREFIX}${process.pid}-`));
  try {
    const copy = join(dir, 'index');
    await copyIndexFile(indexPath, copy);
    const walSize = await sizeOf(`${indexPath}-wal`);
    if (walSize !== undefined) await copyIndexFile(`${indexPath}-wal`, `${copy}-wal`);
    // A hot rollback journal (crash while in DELETE journal mode) must travel with the index too.
    if ((await sizeOf(`${indexPath}-journal`)) !== undefined) await copyIndexFile(`${indexPath}-journal`, `${copy}-journal`);
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
