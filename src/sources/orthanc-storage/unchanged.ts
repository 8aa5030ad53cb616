// A second run over a stopped Orthanc's storage that nobody touched since a complete run has nothing
// to read and nothing to send: it can answer from the journal alone. This module decides whether
// the storage is untouched, from the metadata of its index files and of its directories.
import { createHash, type Hash } from 'node:crypto';
import { opendirSync, readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { VERSION } from '../../core/version.js';
import { WHOLE_LISTING_MAX_BYTES } from '../walk/walk.js';
import { errnoOrMessage } from '../../core/errno.js';
import type { ImportOptions } from '../../core/options.js';

/**
 * A timestamp this close to the moment it is read proves nothing: a change in the same tick of a
 * coarse filesystem clock (2 s on FAT, 1 s on ext3, a jiffy on ext4) would leave it as it is.
 */
const RACY_MS = 2000;

const tooRecent = (stats: Stats, now: number): boolean => Math.max(stats.mtimeMs, stats.ctimeMs) > now - RACY_MS;

/** What a source looked like, as far as the outcomes of a run over it can depend on it. */
export interface SourceFingerprint {
  readonly digest: string;
  /** False when a timestamp was too recent to rely on: the run must not be replayed later. */
  readonly trustworthy: boolean;
}


/** The metadata folded in per directory (and per index file). */
const FIELDS = 6;
/** Directories whose metadata is hashed in one update. */
const DIRECTORIES_PER_UPDATE = 1024;

interface Fold {
  readonly hash: Hash;
  readonly now: number;
  recent: boolean;
  /** Metadata not hashed yet, as numbers (formatting them as text cost more than reading them). */
  readonly values: Float64Array;
  used: number;
}

const newFold = (header: string): Fold => {
  const fold: Fold = { hash: createHash('sha256'), now: Date.now(), recent: false, values: new Float64Array(FIELDS * DIRECTORIES_PER_UPDATE), used: 0 };
  fold.hash.update(header);
  return fold;
};

const flushValues = (fold: Fold): void => {
  fold.hash.update(fold.values.subarray(0, fold.used));
  fold.used = 0;
};

// Something that is not metadata (a name, an error), in its place in the sequence.
const foldText = (fold: Fold, text: string): void => {
  flushValues(fold);
  fold.hash.update(`${text}\n`);
};

// Timestamps as numbers keep microseconds, enough to tell any two changes apart. Directories are
// met in the same order while nothing changes, so the sequence alone binds metadata to places.
const foldStats = (fold: Fold, stats: Stats): void => {
  const { values } = fold;
  let at = fold.used;
  values[at++] = stats.ino;
  values[at++] = stats.size;
  values[at++] = stats.nlink;
  values[at++] = stats.mode;
  values[at++] = stats.mtimeMs;
  values[at++] = stats.ctimeMs;
  fold.used = at;
  if (at === values.length) flushValues(fold);
  if (tooRecent(stats, fold.now)) fold.recent = true;
};


// The subdirectories of a directory, in listing order.
function* subdirectories(path: string, size: number): Generator<Dirent> {
  if (size <= WHOLE_LISTING_MAX_BYTES) {
    for (const dirent of readdirSync(path, { withFileTypes: true })) if (dirent.isDirectory()) yield dirent;
    return;
  }
  const dir = opendirSync(path);
  try {
    for (let dirent = dir.readSync(); dirent !== null; dirent = dir.readSync()) if (dirent.isDirectory()) yield dirent;
  } finally {
    dir.closeSync();
  }
}

/** Directories read between two turns of the event loop, so the run's own I/O goes on meanwhile. */
const DIRECTORIES_PER_TURN = 512;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Every directory under the root, depth-first, each folded in with its metadata: a file added,
// removed or renamed anywhere changes its directory's mtime. A Linux directory's link count is two
// plus its subdirectories, so a directory with a count of two is not listed (Orthanc's 65,536
// xx/yy folders hold only files); other filesystems (btrfs: one) make every directory listed.
const foldDirectories = async (fold: Fold, root: string): Promise<void> => {
  const stack: { path: string; relative: string }[] = [{ path: root, relative: '.' }];
  let read = 0;
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (++read % DIRECTORIES_PER_TURN === 0) await nextTurn();
    let stats: Stats;
    try {
      stats = statSync(next.path);
    } catch (error) {
      foldText(fold, `${next.relative}\0${errnoOrMessage(error)}`);
      continue;
    }
    foldStats(fold, stats);
    if (stats.nlink === 2) continue;
    try {
      for (const dirent of subdirectories(next.path, stats.size)) stack.push({ path: `${next.path}/${dirent.name}`, relative: `${next.relative}/${dirent.name}` });
    } catch (error) {
      foldText(fold, `${next.relative}\0list\0${errnoOrMessage(error)}`);
    }
  }
};

/** How a run's fingerprint is to be taken, when one is wanted. */
export interface FingerprintWanted {
  readonly root: string;
  readonly indexPath: string;
  /** outcomeOptionsKey() of the run. */
  readonly optionsKey: string;
}

/**
 * The first part of a fingerprint: the run's options and the index files' metadata, taken just
 * before the index is copied (the directories are read later, before the walk lists them).
 */
export interface IndexStamp {
  readonly text: string;
  /** A timestamp too recent to rely on. */
  readonly recent: boolean;
}

// Why: the instances a run reads come from its copy of the index; what the copy was made from must
// be what a later run compares, not what the index became while the run went on.
export const stampIndex = (root: string, indexPath: string, optionsKey: string): IndexStamp => {
  const now = Date.now();
  const lines = [optionsKey, root, indexPath];
  let recent = false;
  for (const suffix of ['', '-wal', '-journal']) {
    const stats = statSync(`${indexPath}${suffix}`, { throwIfNoEntry: false });
    lines.push(stats === undefined ? `index${suffix} absent` : `index${suffix} ${stats.ino}:${stats.size}:${stats.mode}:${stats.mtimeMs}:${stats.ctimeMs}`);
    if (stats !== undefined && tooRecent(stats, now)) recent = true;
  }
  return { text: lines.join('\n'), recent };
};

// Why: what the outcomes of an import depend on besides the source: a run with other options (or
// another version of this tool) must read the source again.
export const outcomeOptionsKey = (options: ImportOptions): string =>
  JSON.stringify({
    version: VERSION,
    verify: options.verify,
    skipExisting: options.skipExisting,
    includeOrphans: options.includeOrphans,
    maxDecodedSize: options.maxDecodedSize,
    target: options.target?.outcomeKey ?? null,
  });

// Why: reading every directory's metadata (tens of milliseconds for 17,000 folders) is what lets a
// second run over a storage of millions of files skip reading it, without trusting anything but the
// filesystem. Synchronous reads, a few hundred directories per turn of the event loop.
export const fingerprintSource = async (root: string, stamp: IndexStamp): Promise<SourceFingerprint> => {
  const fold = newFold(`${stamp.text}\n`);
  await foldDirectories(fold, root);
  flushValues(fold);
  return { digest: fold.hash.digest('hex'), trustworthy: !fold.recent && !stamp.recent };
};
