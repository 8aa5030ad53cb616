// Who holds fcntl locks on a file, from Linux's /proc/locks: how a live Orthanc is told on its
// index, and the run holding a journal named.
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** One lock line of /proc/locks, reduced to what identifies the locked file and its owner. */
export interface ProcLock {
  /** Owner pid; -1 for OFD locks, which have no owning process. */
  readonly pid: number;
  readonly major: number;
  readonly minor: number;
  readonly inode: bigint;
}

const DEVICE_INODE = /^([0-9a-f]+):([0-9a-f]+):(\d+)$/i;

// Why: /proc/locks is the only way to see another process's fcntl locks without taking one
// ourselves (a test lock on the source index would itself be a modification risk).
export function parseProcLocks(text: string): ProcLock[] {
  const locks: ProcLock[] = [];
  for (const line of text.split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 19123 fe:00:2965826 1073741826 1073742335"; waiters carry "->".
    const fields = line.trim().split(/\s+/);
    const at = fields.findIndex((f) => DEVICE_INODE.test(f));
    if (at < 1) continue;
    const match = DEVICE_INODE.exec(fields[at] ?? '');
    if (match === null) continue;
    locks.push({
      pid: Number(fields[at - 1]),
      major: Number.parseInt(match[1] ?? '', 16),
      minor: Number.parseInt(match[2] ?? '', 16),
      inode: BigInt(match[3] ?? '0'),
    });
  }
  return locks;
}

// Userspace dev_t encoding (glibc gnu_dev_major/minor), as returned by stat().
const majorOf = (dev: bigint): number => Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
const minorOf = (dev: bigint): number => Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));

// The processes (other than this one) holding a lock on the file of these stats.
const ownersIn = (locks: string, stats: BigIntStats): number[] => {
  const major = majorOf(stats.dev);
  const minor = minorOf(stats.dev);
  const owners = parseProcLocks(locks).filter((lock) => lock.inode === stats.ino && lock.major === major && lock.minor === minor && lock.pid !== process.pid);
  return [...new Set(owners.map((lock) => lock.pid))];
};

// Why: Orthanc keeps its SQLite index under LOCKING_MODE=EXCLUSIVE while it runs; importing
// from a live index would read a moving target, so the importer must refuse instead.
export async function isLockedByAnotherProcess(path: string, locksFile = '/proc/locks'): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(locksFile, 'utf8');
  } catch {
    return false; // Not Linux (or no procfs): no way to tell, so do not block.
  }
  return ownersIn(text, await stat(path, { bigint: true })).length > 0;
}

// Why: a refusal names who holds the lock (the PID of the run of a job already in progress);
// empty when it cannot be told (no procfs, an OFD lock).
export function lockOwners(path: string): number[] {
  try {
    return ownersIn(readFileSync('/proc/locks', 'utf8'), statSync(path, { bigint: true })).filter((pid) => pid > 0);
  } catch {
    return [];
  }
}
