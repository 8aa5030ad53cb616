// A source unchanged since a complete run spares reading the source, never asking the target:
// before a run answers from the journal, every instance the journal says was delivered is found
// on the target as it is now.
import { isDelivered, type Journal } from '../record/journal.js';
import type { Target } from '../targets/target.js';
import type { FileOutcome } from '../core/types.js';
import { seenOnTarget } from './resume.js';
import { loadListing, lookupOf } from './run-listing.js';
import { TargetListing } from '../record/target-listing.js';

/** How the delivered instances of a complete run were seen on the target by this run. */
export interface Confirmation {
  /** Listed with the same size and file (UUID) as when the run that delivered them read their MD5 back. */
  readonly listing: number;
  /** MD5 read back now (the run that delivered them had no MD5 proof). */
  readonly md5: number;
  /** Only what the target could tell: its size, or (a transcoding target) its presence. */
  readonly size: number;
  readonly presence: number;
  /** Not verified (--no-verify): listed with the same size, or not asked. */
  readonly unverified: number;
}

/** What confirmCompleteRun needs of the run's options and target. */
export interface ConfirmContext {
  readonly target: Target;
  readonly verify: boolean;
}

/**
 * The counts of how each delivery was seen, or the first one the target no longer holds as it was
 * (`unprovable`: why the target could not tell; it was asked, and did not say the instance is gone).
 */
export type ConfirmResult =
  | { readonly kind: 'confirmed'; readonly counts: Confirmation }
  | { readonly kind: 'not-held'; readonly path: string; readonly unprovable?: string };

type NotHeld = Omit<Extract<ConfirmResult, { kind: 'not-held' }>, 'kind'>;

/** Deliveries looked for at once (a folder's files are looked at a few at a time). */
const AT_ONCE = 64;

// A journal of index mode records an instance without its source path: the file it became in a
// folder, else its SOP Instance UID, names it.
const nameOf = (outcome: Partial<FileOutcome>): string =>
  outcome.path ?? outcome.output ?? (outcome.sopInstanceUid === undefined ? `the instance ${outcome.instanceId ?? 'recorded without a name'}` : `the instance ${outcome.sopInstanceUid}`);


// Why: the journal may vouch for the source, not for the target. A target with a bulk listing is
// listed once; every instance the journal says was delivered is looked for there and asked for
// (the target decides what proves it: the same file as before, its MD5 read back, a folder's file
// with its size and mtime). Stops at the first one absent, different or unprovable: the run then
// reads the source and sends again what is missing.
export const confirmCompleteRun = async (journal: Journal, context: ConfirmContext): Promise<ConfirmResult> => {
  const { target } = context;
  const listing = target.list === undefined ? undefined : TargetListing.standalone();
  try {
    if (listing !== undefined && target.list !== undefined) await loadListing(target.list(), listing);
    const lookup = listing === undefined ? undefined : lookupOf(listing, Promise.resolve());
    const counts = { listing: 0, md5: 0, size: 0, presence: 0, unverified: 0 };
    let batch: Partial<FileOutcome>[] = [];
    const look = async (): Promise<NotHeld | undefined> => {
      // --no-verify: a listed delivery counts with its size alone; a target without a listing is asked.
      const ask = context.verify || lookup === undefined;
      const seen = ask ? await Promise.all(batch.map((outcome) => seenOnTarget(outcome, { listing: lookup, target }))) : [];
      for (const [index, outcome] of batch.entries()) {
        const held = seen[index];
        const listed = held === undefined && lookup !== undefined && outcome.instanceId !== undefined ? await lookup.find(outcome.instanceId) : undefined;
        if (held === undefined && listed !== undefined && listed.size === outcome.decodedSize) counts.unverified++;
        else if (held?.kind === 'same') counts[held.by]++;
        else return held?.kind === 'unknown' ? { path: nameOf(outcome), unprovable: held.reason } : { path: nameOf(outcome) };
      }
      batch = [];
      return undefined;
    };
    for (const outcome of journal.outcomes()) {
      if (!isDelivered(outcome)) continue;
      batch.push(outcome);
      const missing = batch.length < AT_ONCE ? undefined : await look();
      if (missing !== undefined) return { kind: 'not-held', ...missing };
    }
    const missing = await look();
    return missing === undefined ? { kind: 'confirmed', counts } : { kind: 'not-held', ...missing };
  } finally {
    listing?.close();
  }
};
