import { lstat } from 'node:fs/promises';
import { isFinal, type Journal } from '../record/journal.js';
import type { TargetInstance } from '../record/target-listing.js';
import type { StoredAttachment, Uploader } from '../targets/orthanc/upload.js';
import { compareStored, otherVersion, type StoredCopy } from './verify.js';
import type { DecodedDicom, FileEntry, FileOutcome, SourceItem } from '../core/types.js';

/** What the run can ask the target about one instance it holds. */
export interface TargetProbe {
  storedAttachment(instanceId: string): Promise<StoredAttachment>;
  storedCopy(instanceId: string): Promise<StoredCopy | undefined>;
  /** The target rewrites incoming files: only presence can be proven. */
  readonly transcoding: boolean;
}

// Why: the stages and the answer over an unchanged source ask the target through the same probe.
export const targetProbe = (uploader: Uploader, transcoding: boolean): TargetProbe => ({
  storedAttachment: (id) => uploader.storedAttachment(id),
  storedCopy: (id) => uploader.storedCopy(id),
  transcoding,
});

/** What the run already knows before reading or sending a file. */
export interface Shortcuts {
  readonly journal: Journal | undefined;
  /** The journal held outcomes when the run began (else asking it for each file is wasted). */
  readonly replay: boolean;
  readonly verify: boolean;
  /** The target's listing; absent: do not skip existing instances. */
  readonly listing: ListingLookup | undefined;
  /** The target, asked for what it holds; absent for an inventory or a folder. */
  readonly target: TargetProbe | undefined;
}

/** The target's listing as the stages ask it: what it holds for an instance (its file's size and UUID), if anything. */
export interface ListingLookup {
  find(instanceId: string): Promise<TargetInstance | undefined>;
}

/** An instance as the target's listing is compared with it. */
export interface ComparedInstance {
  readonly instanceId: string;
  readonly decodedSize: number;
  readonly diskSize: number;
  readonly encoding: DecodedDicom['encoding'];
  /** The source's MD5 of the decoded file; undefined while unknown (an index that stores none, unread). */
  readonly md5: string | undefined;
  /** The source's transfer syntax, when its header was read (to say how another version differs). */
  readonly transferSyntax?: string;
}

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

// An earlier run's final outcome for this file, as the journal holds it (`known`: what the index
// says of it, which its record may leave out); no claim about the target yet.
export const recorded = (key: string | undefined, shortcuts: Shortcuts, known?: Partial<FileOutcome>): FileOutcome | undefined => {
  if (key === undefined || shortcuts.journal === undefined || !shortcuts.replay) return undefined;
  const outcome = shortcuts.journal.lookup(key, known);
  return outcome !== undefined && isFinal(outcome, shortcuts.verify) ? outcome : undefined;
};

/** What the target holds for an instance an earlier run delivered, as this run sees it. */
export type Seen =
  | { readonly kind: 'same'; readonly by: NonNullable<FileOutcome['verified']>; readonly file?: string }
  | { readonly kind: 'other'; readonly reason: string }
  | { readonly kind: 'gone' }
  | { readonly kind: 'unknown' };

// Asks the target for the MD5 of what it holds under this ID and compares it with the source's.
const readBack = async (target: TargetProbe, instanceId: string, md5: string, size: number, transferSyntax?: string): Promise<Seen> => {
  const verdict = compareStored('AlreadyStored', { md5, size }, await target.storedAttachment(instanceId), target.transcoding);
  switch (verdict.kind) {
    case 'verified':
      return { kind: 'same', by: verdict.by, file: verdict.file };
    case 'conflict':
      return { kind: 'other', reason: otherVersion(verdict.what, await target.storedCopy(instanceId), transferSyntax) };
    case 'absent':
      return { kind: 'gone' };
    case 'unverified':
      return { kind: 'unknown' };
  }
};

const otherSize = async (target: TargetProbe, instanceId: string, listed: number, source: number, transferSyntax?: string): Promise<Seen> => ({
  kind: 'other',
  reason: otherVersion(`${listed} bytes there, ${source} in the source`, await target.storedCopy(instanceId), transferSyntax),
});

// Listed with the same file (UUID) as the one whose MD5 an earlier run read back, and the same size.
const provenBefore = (outcome: Partial<FileOutcome>, listed: TargetInstance): boolean =>
  listed.size === outcome.decodedSize && listed.file !== '' && listed.file === outcome.targetFile && (outcome.verified === 'md5' || outcome.verified === 'listing');

// Why: what the target holds now for an instance an earlier run recorded as delivered, for a
// replay and for the answer over an unchanged source alike: the journal may spare reading the
// source, never asking the target. Proven before (above): the same; otherwise its MD5 is read back now.
export const seenOnTarget = async (outcome: Partial<FileOutcome>, shortcuts: Pick<Shortcuts, 'listing' | 'target'>): Promise<Seen> => {
  const { target, listing } = shortcuts;
  const { instanceId, decodedSize, md5 } = outcome;
  if (target === undefined || instanceId === undefined || decodedSize === undefined) return { kind: 'unknown' };
  if (listing !== undefined) {
    const listed = await listing.find(instanceId);
    if (listed === undefined) return { kind: 'gone' };
    if (listed.size !== decodedSize) return otherSize(target, instanceId, listed.size, decodedSize);
    if (provenBefore(outcome, listed)) return { kind: 'same', by: 'listing' };
  }
  return md5 === undefined ? { kind: 'unknown' } : readBack(target, instanceId, md5, decodedSize);
};

// An earlier run's final outcome for this file, replayed without reading it, once this run has
// seen on the target what it claims: a delivered instance that is gone or unproven is read and
// sent again (undefined), one the target now holds in another version is a conflict.
export const replayed = async (key: string | undefined, shortcuts: Shortcuts, known?: Partial<FileOutcome>): Promise<FileOutcome | undefined> => {
  const outcome = recorded(key, shortcuts, known);
  if (outcome === undefined) return undefined;
  const delivered = outcome.fileClass === 'dicom' && outcome.status !== undefined && outcome.status !== 'FilteredOut';
  if (!delivered || shortcuts.target === undefined) return { ...outcome, resumed: true };
  const seen = await seenOnTarget(outcome, shortcuts);
  switch (seen.kind) {
    case 'same':
      return Object.assign({}, outcome, { resumed: true, verified: seen.by }, seen.file === undefined ? {} : { targetFile: seen.file });
    case 'other':
      // not delivered after all: what the target answered then no longer stands
      return Object.assign({}, outcome, { fileClass: 'conflict', reason: seen.reason, status: undefined, verified: undefined, targetFile: undefined } as const);
    case 'gone':
    case 'unknown':
      return undefined;
  }
};

// The outcome of an instance the target already holds, as this run saw it there. Literals and
// Object.assign, not spreads (V8's slow path): this runs for every instance of a second run.
const onTargetOutcome = (entry: FileEntry, instance: ComparedInstance, seen: Exclude<Seen, { kind: 'gone' }>, tags: Partial<FileOutcome>): FileOutcome => {
  const { instanceId, decodedSize, diskSize, encoding, md5 } = instance;
  const base = { path: entry.relativePath, size: diskSize, encoding, decodedSize, instanceId, md5 };
  const verdict: Partial<FileOutcome> =
    seen.kind === 'same'
      ? { fileClass: 'dicom', status: 'AlreadyStored', verified: seen.by, onTarget: true, targetFile: seen.file }
      : seen.kind === 'other'
        ? { fileClass: 'conflict', reason: seen.reason }
        : { fileClass: 'dicom', status: 'AlreadyStored', onTarget: true, reason: 'on the target with the same size; its MD5 could not be read back (not verified)' };
  return Object.assign(base, verdict, tags) as FileOutcome;
};

// The outcome for an instance the target's listing already shows, once its MD5 is known and read
// back from the target (same size is not the same: only the MD5 proves it); undefined when the
// target does not hold it (or the run does not skip what the target holds), so it is sent.
export const alreadyOnTarget = async (shortcuts: Shortcuts, entry: FileEntry, instance: ComparedInstance, tags: Partial<FileOutcome> = {}): Promise<FileOutcome | undefined> => {
  const { listing, target } = shortcuts;
  if (listing === undefined || target === undefined || instance.md5 === undefined) return undefined;
  const listed = await listing.find(instance.instanceId);
  if (listed === undefined) return undefined;
  const { instanceId, md5, decodedSize, transferSyntax } = instance;
  const seen = listed.size === decodedSize ? await readBack(target, instanceId, md5, decodedSize, transferSyntax) : await otherSize(target, instanceId, listed.size, decodedSize, transferSyntax);
  return seen.kind === 'gone' ? undefined : onTargetOutcome(entry, instance, seen, tags);
};
