import { lstat } from 'node:fs/promises';
import { isFinal, type Journal } from './journal.js';
import type { DecodedDicom, FileEntry, FileOutcome, SourceItem } from './types.js';

/** What the run already knows before reading or sending a file. */
export interface Shortcuts {
  readonly journal: Journal | undefined;
  /** The journal held outcomes when the run began (else asking it for each file is wasted). */
  readonly replay: boolean;
  readonly verify: boolean;
  /** The target's listing; absent: do not skip existing instances. */
  readonly listing: ListingLookup | undefined;
}

/** The target's listing as the stages ask it: complete once ready() settles, then one size per instance. */
export interface ListingLookup {
  ready(): Promise<void>;
  size(instanceId: string): number | undefined;
}

/** An instance as the target's listing is compared with it. */
export interface ComparedInstance {
  readonly instanceId: string;
  readonly decodedSize: number;
  readonly diskSize: number;
  readonly encoding: DecodedDicom['encoding'];
  readonly md5?: string;
}

const OVERWRITE_HINT = 'set "OverwriteInstances": true on the target and run again with --no-skip-existing to replace it';

// The journal key of a file: the attachment UUID in index mode, path + size + mtime in walk mode
// (a file changed since is read again).
export const journalKey = async (item: SourceItem): Promise<string | undefined> => {
  if (item.kind === 'indexed') return item.key;
  if (item.kind !== 'file') return undefined;
  try {
    const stats = await lstat(item.entry.path);
    return `file:${item.entry.relativePath}\u0000${stats.size}\u0000${Math.trunc(stats.mtimeMs)}`;
  } catch {
    return undefined;
  }
};

// An earlier run's final outcome for this file, replayed without reading it (`known`: what the
// index says of it, which its record may leave out).
export const replayed = (key: string | undefined, shortcuts: Shortcuts, known?: Partial<FileOutcome>): FileOutcome | undefined => {
  if (key === undefined || shortcuts.journal === undefined || !shortcuts.replay) return undefined;
  const outcome = shortcuts.journal.lookup(key, known);
  return outcome !== undefined && isFinal(outcome, shortcuts.verify) ? { ...outcome, resumed: true } : undefined;
};

// The outcome for an instance the target's listing shows with a file of `size` bytes: skipped when
// its file has the same size, a conflict when it differs (a pixel-less copy from an earlier naive
// import, say). `tags` (the instance's tree fields) join the outcome.
export const onTargetOutcome = (entry: FileEntry, instance: ComparedInstance, size: number, tags: Partial<FileOutcome> = {}): FileOutcome => {
  const { instanceId, decodedSize, diskSize, encoding, md5 } = instance;
  // Literals and Object.assign, not spreads (V8's slow path): this runs for every instance of a
  // second run.
  const base = { path: entry.relativePath, size: diskSize, encoding, decodedSize, instanceId, md5 };
  const verdict: Partial<FileOutcome> =
    size === decodedSize
      ? { fileClass: 'dicom', status: 'AlreadyStored', verified: 'size', onTarget: true }
      : {
          fileClass: 'conflict',
          reason: `the target already holds another version of this instance (${size} bytes, source ${decodedSize}), perhaps a pixel-less copy; ${OVERWRITE_HINT}`,
        };
  return Object.assign(base, verdict, tags) as FileOutcome;
};

// The outcome for an instance the target's listing already shows, once the listing is complete;
// undefined when the target does not hold it (or the run does not skip what the target holds).
export const alreadyOnTarget = async (shortcuts: Shortcuts, entry: FileEntry, instance: ComparedInstance, tags: Partial<FileOutcome> = {}): Promise<FileOutcome | undefined> => {
  if (shortcuts.listing === undefined) return undefined;
  await shortcuts.listing.ready();
  const size = shortcuts.listing.size(instance.instanceId);
  return size === undefined ? undefined : onTargetOutcome(entry, instance, size, tags);
};
