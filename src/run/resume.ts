import { lstat } from 'node:fs/promises';
import { isDelivered, isFinal, type Journal } from '../record/journal.js';
import type { Held, InstanceRef, ListedInstance, Target } from '../targets/target.js';
import type { FileEntry, FileOutcome, SourceItem } from '../core/types.js';
import { proofFields } from './deliver.js';

/** What the run already knows before reading or sending a file. */
export interface Shortcuts {
  readonly journal: Journal | undefined;
  /** The journal held outcomes when the run began (else asking it for each file is wasted). */
  readonly replay: boolean;
  readonly verify: boolean;
  /** The target's bulk listing (Target.features.bulkListing), when the run asked for it. */
  readonly listing: ListingLookup | undefined;
  /** The target, asked for what it holds; absent for an inventory. */
  readonly target: Target | undefined;
  /** Instances the target already holds are not sent again (--skip-existing). */
  readonly skipExisting: boolean;
}

/** The target's listing as the stages ask it: what it holds for an instance (its file's size and UUID), if anything. */
export interface ListingLookup {
  find(instanceId: string): Promise<ListedInstance | undefined>;
}

/** What an outcome says of a source file on disk, beside the instance it holds. */
export interface OnDisk {
  readonly diskSize: number;
  readonly encoding: FileOutcome['encoding'];
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

// How a target is asked about an instance an earlier run recorded (its header fields as recorded).
const recordedRef = (outcome: Partial<FileOutcome>, instanceId: string, size: number): InstanceRef => ({
  instanceId,
  patientId: outcome.patientId ?? '',
  studyInstanceUid: outcome.studyInstanceUid ?? '',
  seriesInstanceUid: outcome.seriesInstanceUid ?? '',
  sopInstanceUid: outcome.sopInstanceUid ?? '',
  sopClassUid: '',
  md5: outcome.md5,
  size,
});

// Why: what the target holds now for an instance an earlier run recorded as delivered, for a
// replay and for the answer over an unchanged source alike: the journal may spare reading the
// source, never asking the target. Not in the target's bulk listing: absent; otherwise the
// target decides what proves it (its own earlier proof, or its MD5 read back now).
export const seenOnTarget = async (outcome: Partial<FileOutcome>, shortcuts: Pick<Shortcuts, 'listing' | 'target'>): Promise<Held> => {
  const { target, listing } = shortcuts;
  const { instanceId, decodedSize } = outcome;
  if (target === undefined || instanceId === undefined || decodedSize === undefined) return { kind: 'unknown', reason: 'the journal does not record which instance it was' };
  const listed = listing === undefined ? undefined : await listing.find(instanceId);
  if (listing !== undefined && listed === undefined) return { kind: 'absent' };
  return target.holds(recordedRef(outcome, instanceId, decodedSize), listed === undefined ? { recorded: outcome } : { recorded: outcome, listed });
};

// An earlier run's final outcome for this file, replayed without reading it, once this run has
// seen on the target what it claims: a delivered instance that is gone or unproven is read and
// sent again (undefined), one the target now holds in another version is a conflict.
export const replayed = async (key: string | undefined, shortcuts: Shortcuts, known?: Partial<FileOutcome>): Promise<FileOutcome | undefined> => {
  const outcome = recorded(key, shortcuts, known);
  if (outcome === undefined) return undefined;
  if (!isDelivered(outcome) || shortcuts.target === undefined) return { ...outcome, resumed: true };
  const seen = await seenOnTarget(outcome, shortcuts);
  switch (seen.kind) {
    case 'same':
      return Object.assign({}, outcome, { resumed: true }, proofFields(seen));
    case 'other':
      // not delivered after all: what the target answered then no longer stands
      return Object.assign({}, outcome, { fileClass: 'conflict', reason: seen.reason, status: undefined, targetAnswer: undefined, verified: undefined, targetFile: undefined } as const);
    case 'absent':
    case 'unknown':
      return undefined;
  }
};

// The outcome of an instance the target already holds, as this run saw it there. Literals and
// Object.assign, not spreads (V8's slow path): this runs for every instance of a second run.
const onTargetOutcome = (entry: FileEntry, ref: InstanceRef, disk: OnDisk, seen: Exclude<Held, { kind: 'absent' }>, tags: Partial<FileOutcome>): FileOutcome => {
  const base = { path: entry.relativePath, size: disk.diskSize, encoding: disk.encoding, decodedSize: ref.size, instanceId: seen.instanceId ?? ref.instanceId, md5: ref.md5 };
  const verdict: Partial<FileOutcome> =
    seen.kind === 'same'
      ? { fileClass: 'dicom', status: 'already-there', verified: seen.by, onTarget: true, targetFile: seen.file }
      : seen.kind === 'other'
        ? { fileClass: 'conflict', reason: seen.reason }
        : { fileClass: 'dicom', status: 'already-there', onTarget: true, reason: `on the target, not verified: ${seen.reason}` };
  return Object.assign(base, verdict, tags) as FileOutcome;
};

// Why: an instance already on the target is not sent again, once its MD5 is known and proven
// there (same size is not the same). The bulk listing answers "not there" at once; a target whose
// lookups are cheap (answered in bulk per study) is asked; otherwise the instance is sent (its
// put answers "already there", and is verified like any other). Undefined: send it.
export const alreadyOnTarget = async (shortcuts: Shortcuts, entry: FileEntry, ref: InstanceRef, disk: OnDisk, tags: Partial<FileOutcome> = {}): Promise<FileOutcome | undefined> => {
  const { listing, target } = shortcuts;
  if (!shortcuts.skipExisting || target === undefined || ref.md5 === undefined) return undefined;
  let held: Held;
  if (listing !== undefined) {
    const listed = await listing.find(ref.instanceId);
    if (listed === undefined) return undefined;
    held = await target.holds(ref, { listed });
  } else if (target.features.cheapLookup) {
    held = await target.holds(ref);
    // Not listed, and the target could not tell: no evidence it is there, so it is sent.
    if (held.kind === 'unknown') return undefined;
  } else {
    return undefined;
  }
  return held.kind === 'absent' ? undefined : onTargetOutcome(entry, ref, disk, held, tags);
};
