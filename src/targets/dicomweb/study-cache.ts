// Bulk answers per study for holds(): one QIDO-RS request (paged) per study, shared by every
// instance asked about at once, kept in a bounded LRU, and never trusted for an instance put since.

/** A study's instances as the server listed them (SOP Instance UID -> SOP Class UID), or why not. */
export type StudyAnswer = { readonly kind: 'listed'; readonly instances: ReadonlyMap<string, string> } | { readonly kind: 'unknown'; readonly reason: string };

interface Entry {
  /** Puts into the study so far (sent or answered). */
  puts: number;
  /** The count of puts when each instance put since the answer was asked was last put: the answer is stale for them. */
  putSince: Map<string, number>;
  answer: Promise<StudyAnswer> | undefined;
  answerPuts: number;
  size: number;
}

/** Studies kept, and instances across them (a study of 10,000 instances weighs about 1 MB here). */
export const CACHED_STUDIES = 300;
export const CACHED_INSTANCES = 200_000;

/**
 * Why: what is said of an instance must rest on what the server said after this process put it,
 * so a put (when sent and when answered) makes the cached answer stale for that instance; for the
 * others of the study it still holds (asking the whole study again after every put would cost a
 * listing of the study per batch: quadratic in its size). Skip-existing asks many instances of
 * one study at once, so they share one request.
 */
export class StudyCache {
  readonly #fetch: (studyInstanceUid: string) => Promise<StudyAnswer>;
  readonly #entries = new Map<string, Entry>();
  #instances = 0;

  constructor(fetch: (studyInstanceUid: string) => Promise<StudyAnswer>) {
    this.#fetch = fetch;
  }

  // A put of this instance was sent or answered: what was listed before is no proof of it.
  touch(studyInstanceUid: string, sopInstanceUid: string): void {
    const entry = this.#entry(studyInstanceUid);
    entry.puts++;
    entry.putSince.set(sopInstanceUid, entry.puts);
  }

  // The study's instances, listed after the last put of this instance that this process made.
  async get(studyInstanceUid: string, sopInstanceUid: string): Promise<StudyAnswer> {
    const entry = this.#entry(studyInstanceUid);
    if (entry.answer === undefined || (entry.putSince.get(sopInstanceUid) ?? 0) > entry.answerPuts) {
      const answer = this.#fetch(studyInstanceUid);
      entry.answer = answer;
      entry.answerPuts = entry.puts;
      entry.putSince.clear();
      // A rejection (the run stops: the server stayed away) reaches the callers; here it is only forgotten.
      void answer.then(
        (settled) => { this.#weigh(studyInstanceUid, entry, answer, settled); },
        () => { if (entry.answer === answer) entry.answer = undefined; },
      );
    }
    return entry.answer;
  }

  // The entry of a study, made the most recent; the least recent go beyond the bounds.
  #entry(studyInstanceUid: string): Entry {
    const found = this.#entries.get(studyInstanceUid);
    const entry = found ?? { puts: 0, putSince: new Map<string, number>(), answer: undefined, answerPuts: 0, size: 0 };
    this.#entries.delete(studyInstanceUid);
    this.#entries.set(studyInstanceUid, entry);
    if (found === undefined) this.#evict();
    return entry;
  }

  // Counts a settled answer's instances against the bound; a failure is not kept (asked again).
  #weigh(studyInstanceUid: string, entry: Entry, answer: Promise<StudyAnswer>, settled: StudyAnswer): void {
    if (this.#entries.get(studyInstanceUid) !== entry || entry.answer !== answer) return;
    if (settled.kind === 'unknown') {
      entry.answer = undefined;
      return;
    }
    this.#instances += settled.instances.size - entry.size;
    entry.size = settled.instances.size;
    this.#evict();
  }

  #evict(): void {
    for (const [uid, entry] of this.#entries) {
      if (this.#entries.size <= CACHED_STUDIES && this.#instances <= CACHED_INSTANCES) return;
      if (this.#entries.size === 1) return; // the one just asked for stays, whatever its size
      this.#entries.delete(uid);
      this.#instances -= entry.size;
    }
  }
}
