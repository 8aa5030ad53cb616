// A source unchanged since a complete run spares reading the source, never asking the target:
// before a run answers from the journal, every instance the journal says was delivered is found
// on the target as it is now.
import type { Journal } from '../record/journal.js';
import { seenOnTarget, targetProbe } from './resume.js';
import { TargetListing } from '../record/target-listing.js';
import type { Uploader } from '../targets/orthanc/upload.js';
import type { FileOutcome } from '../core/types.js';

/** How the delivered instances of a complete run were seen on the target by this run. */
export interface Confirmation {
  /** Listed with the same size and file (UUID) as when the run that delivered them read their MD5 back. */
  readonly listing: number;
  /** MD5 read back now (the run that delivered them had no MD5 proof). */
  readonly md5: number;
  /** Only what the target could tell: its size, or (a transcoding target) its presence. */
  readonly size: number;
  readonly presence: number;
  /** Listed with the same size, not verified (--no-verify). */
  readonly unverified: number;
}

/** What confirmCompleteRun needs of the run's options and target. */
export interface ConfirmContext {
  readonly uploader: Uploader;
  readonly verify: boolean;
  readonly transcoding: boolean;
}

const delivered = (outcome: Partial<FileOutcome>): boolean => outcome.fileClass === 'dicom' && (outcome.status === 'Success' || outcome.status === 'AlreadyStored');

// Why: the journal may vouch for the source, not for the target. Lists the target once (bulk) and
// finds every instance the journal says was delivered there with the same size; one whose MD5 was
// never read back has it read back now. Undefined as soon as one is absent, different or
// unprovable: the run then reads the source and sends again what is missing.
export const confirmCompleteRun = async (journal: Journal, context: ConfirmContext): Promise<Confirmation | undefined> => {
  const listing = TargetListing.standalone();
  try {
    for await (const page of context.uploader.listInstances()) listing.add(page);
    const counts = { listing: 0, md5: 0, size: 0, presence: 0, unverified: 0 };
    // The same look as a replay's (resume.ts), on this listing.
    const shortcuts = { listing: { find: (id: string) => Promise.resolve(listing.find(id)) }, target: targetProbe(context.uploader, context.transcoding) };
    for (const outcome of journal.outcomes()) {
      if (!delivered(outcome)) continue;
      const { instanceId, decodedSize } = outcome;
      // Absent or of another size: no need to ask more, the source is read again.
      if (instanceId === undefined || decodedSize === undefined || listing.find(instanceId)?.size !== decodedSize) return undefined;
      if (!context.verify) {
        counts.unverified++;
        continue;
      }
      const seen = await seenOnTarget(outcome, shortcuts);
      if (seen.kind !== 'same') return undefined;
      counts[seen.by]++;
    }
    return counts;
  } finally {
    listing.close();
  }
};
