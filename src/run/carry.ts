// Carries what the source knows of a delivered instance beyond its file (user metadata, user
// attachments, labels), and of its parents once per run, before its outcome is final: an
// instance whose outcome the journal never recorded (kill -9) is done again, extras included.
import { isImporterError } from '../core/errors.js';
import { ExtrasGone, type CarryResult, type ExtrasSummary, type ResourceExtras, type ResourceLevel } from '../core/extras.js';
import type { ExtrasReader, FileOutcome } from '../core/types.js';
import type { Target } from '../targets/target.js';

/**
 * Parents (patients, studies, series) whose extras this run carried, remembered so that each is
 * carried once, not once per instance; the oldest are forgotten beyond this (carrying one again
 * only writes the same values again).
 */
const PARENTS_REMEMBERED = 50_000;

// An instance this run saw on the target (stored or already there, verified unless --no-verify):
// an earlier run's outcome (resumed) claims nothing of its extras, as they are not carried again.
const onTargetNow = (outcome: FileOutcome, verify: boolean): boolean =>
  outcome.fileClass === 'dicom' &&
  outcome.resumed !== true &&
  (outcome.status === 'stored' || outcome.status === 'already-there') &&
  (!verify || outcome.verified !== undefined);

const hasAny = (resource: ResourceExtras): boolean => resource.metadata.length + resource.attachments.length + resource.labels.length > 0;

// Why: one place decides when extras are read and carried, and counts what became of them.
export class ExtrasCarrier {
  readonly #target: Target;
  readonly #verify: boolean;
  /** Parent resources carried (or being carried), oldest first. */
  readonly #parents = new Map<string, true>();
  #instances = 0;
  #carried = 0;
  #notCarried = 0;
  #failed = 0;
  #notRead = 0;
  readonly #lost = new Map<string, number>();

  constructor(target: Target, verify: boolean) {
    this.#target = target;
    this.#verify = verify;
  }

  // The outcome of an instance, its extras carried once it is on the target.
  async settle(outcome: FileOutcome, extras: ExtrasReader | undefined): Promise<FileOutcome> {
    if (extras === undefined || !onTargetNow(outcome, this.#verify)) return outcome;
    if (this.#target.carry === undefined) {
      this.#notRead++;
      return outcome;
    }
    this.#instances++;
    const result = await this.#carry(extras, this.#target.carry.bind(this.#target));
    this.#carried += result.carried;
    this.#notCarried += result.notCarried.length;
    this.#failed += result.failed.length;
    const fields: { extrasCarried?: number; extrasNotCarried?: readonly string[]; extrasFailed?: readonly string[] } = {};
    if (result.carried > 0) fields.extrasCarried = result.carried;
    if (result.notCarried.length > 0) fields.extrasNotCarried = result.notCarried;
    if (result.failed.length > 0) fields.extrasFailed = result.failed;
    return { ...outcome, ...fields };
  }

  async #carry(extras: ExtrasReader, carry: NonNullable<Target['carry']>): Promise<CarryResult> {
    let fresh: ResourceExtras[];
    // A resource is wanted once per run; asked twice in one call (by the source, then here), the same answer.
    const granted = new Set<string>();
    try {
      const wanted = (level: ResourceLevel, orthancId: string): boolean => {
        const key = `${level}:${orthancId}`;
        if (granted.has(key)) return true;
        if (!this.#firstTime(level, key)) return false;
        granted.add(key);
        return true;
      };
      fresh = (await extras(wanted)).filter((resource) => wanted(resource.level, resource.orthancId));
    } catch (error) {
      if (isImporterError(error)) throw error;
      if (error instanceof ExtrasGone) {
        // Its parents are carried with the next instance of them that the source still holds.
        for (const key of granted) this.#parents.delete(key);
        return { carried: 0, notCarried: [error.message], failed: [] };
      }
      return { carried: 0, notCarried: [], failed: [`reading what the source knows beyond the file: ${(error as Error).message}`] };
    }
    for (const resource of fresh) for (const name of resource.lost) this.#lost.set(name, (this.#lost.get(name) ?? 0) + 1);
    const wanted = fresh.filter(hasAny);
    if (wanted.length === 0) return { carried: 0, notCarried: [], failed: [] };
    try {
      const result = await carry(wanted);
      // A parent that failed is carried again with the next instance of it.
      if (result.failed.length > 0) for (const resource of wanted) this.#parents.delete(`${resource.level}:${resource.orthancId}`);
      return result;
    } catch (error) {
      if (isImporterError(error)) throw error;
      for (const resource of wanted) this.#parents.delete(`${resource.level}:${resource.orthancId}`);
      return { carried: 0, notCarried: [], failed: [`carrying what the source knows beyond the file: ${(error as Error).message}`] };
    }
  }

  // The instance always; a parent only the first time this run meets it (remembered in a bounded memo).
  #firstTime(level: ResourceLevel, key: string): boolean {
    if (level === 'instance') return true;
    if (this.#parents.has(key)) return false;
    this.#parents.set(key, true);
    if (this.#parents.size > PARENTS_REMEMBERED) {
      const oldest = this.#parents.keys().next();
      if (oldest.done !== true) this.#parents.delete(oldest.value);
    }
    return true;
  }

  // What the summary says, once every outcome is in; undefined when the source offered no extras.
  summary(): ExtrasSummary | undefined {
    if (this.#instances === 0 && this.#notRead === 0) return undefined;
    const counts = { instances: this.#instances, carried: this.#carried, notCarried: this.#notCarried, failed: this.#failed, lost: Object.fromEntries(this.#lost) };
    return this.#notRead === 0 ? counts : { ...counts, notRead: this.#notRead };
  }
}
