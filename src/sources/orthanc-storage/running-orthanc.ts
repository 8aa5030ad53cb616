// Detects a live Orthanc on a storage by the fcntl locks SQLite holds on its index (Linux /proc/locks).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImporterError } from '../../core/errors.js';
import { isLockedByAnotherProcess } from '../../core/file-locks.js';

export const RUNNING_MESSAGE = 'Orthanc appears to be running on this storage: stop it first';

const isFile = async (path: string): Promise<boolean> => {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
};

// Why: importing from a live Orthanc would read a moving target; its SQLite locks give it away.
export async function refuseIfRunning(indexPath: string): Promise<void> {
  for (const path of [indexPath, `${indexPath}-wal`, `${indexPath}-shm`]) {
    if (!(await isFile(path))) continue;
    if (await isLockedByAnotherProcess(path)) {
      throw new ImporterError('E_SOURCE_LOCKED', `${RUNNING_MESSAGE} (${path} is locked by another process)`);
    }
  }
}

// Why: a walk (--no-index) or another index (--index naming a copy) must not read the storage of a
// live Orthanc either: the storage's own index, held by it, gives it away whatever the options.
// (Index mode over that very index is checked where the index is copied.)
export async function refuseIfStorageRunning(located: { readonly root: string; readonly isDirectory: boolean; readonly indexPath: string | undefined }): Promise<void> {
  const ownIndex = join(located.root, 'index');
  if (located.isDirectory && located.indexPath !== ownIndex) await refuseIfRunning(ownIndex);
}
