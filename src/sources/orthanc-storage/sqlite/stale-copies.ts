// Private index copies left in the temporary folder by runs that were killed (kill -9, power loss).
import { opendir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../../core/errno.js';

/** The prefix of a copy's folder: the owner's PID follows, then mkdtemp's random suffix. */
export const COPY_PREFIX = 'oi-index-';

const OWNED_COPY = new RegExp(`^${COPY_PREFIX}(\\d+)-`);

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM'; // alive, but another user's
  }
};

// Why: a run killed with kill -9 cannot remove its copy (as large as the index: gigabytes on a big
// storage); the next run removes every copy whose owner process is gone. The folder is streamed,
// and a copy that cannot be removed (another user's) is left to its owner.
export const removeStaleCopies = async (dir: string): Promise<void> => {
  let entries;
  try {
    entries = await opendir(dir);
  } catch {
    return;
  }
  for await (const entry of entries) {
    const pid = Number(OWNED_COPY.exec(entry.name)?.[1] ?? Number.NaN);
    if (!entry.isDirectory() || !Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, entry.name), { recursive: true, force: true }).catch(() => undefined);
  }
};
