// Bulk answers per study for holds() before anything is sent (skip-existing, check, replay): one
// QIDO-RS request (paged) per study, shared by every instance asked about, kept in a bounded LRU.
// An instance just put is never asked here (fresh-lookup.ts asks the server after the put).

/** A study's instances as the server listed them (SOP Instance UID -> SOP Class UID), or why not. */
export type StudyAnswer = { readonly kind: 'listed'; readonly instances: ReadonlyMap<string, string> } | { readonly kind: 'unknown'; readonly reason: string };

interface Entry {
  answer: Promise<StudyAnswer> | undefined;
  size: number;
}

/** Studies kept, and instances across them (a study of 10,000 instances weighs about 1 MB here). */
export const CACHED_STUDIES = 300;
const CACHED_INSTANCES = 200_000;

/**
 * Why: skip-existing asks about every instance of a study, so they share one request. What the
 * server held when asked stays true of the instances this run did not put (one it put since is
 * verified through fresh-lookup.ts, never here); an instance listed as absent that the run put
 * meanwhile (the same instance twice in a source) is only sent again, which is harmless.
 */
export class StudyCache {
  readonly #fetch: (studyInstanceUid: string) => Promise<StudyAnswer>;
  readonly #entries = new Map<string, Entry>();
  #instances = 0;

  constructor(fetch: (studyInstanceUid: string) => Promise<StudyAnswer>) {
    this.#fetch = fetch;
  }

  // The study's instances, as the server listed them the first time this run asked.
  async get(studyInstanceUid: string): Promise<StudyAnswer> {
    const entry = this.#entry(studyInstanceUid);
    if (entry.answer === undefined) {
      const answer = this.#fetch(studyInstanceUid);
      entry.answer = answer;
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
    const entry = found ?? { answer: undefined, size: 0 };
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
