// Bulk answers per study for holds(): one QIDO-RS request (paged) per study, shared by every
// instance asked about at once, kept in a bounded LRU, and never trusted past a put into the study.

/** A study's instances as the server listed them (SOP Instance UID -> SOP Class UID), or why not. */
export type StudyAnswer = { readonly kind: 'listed'; readonly instances: ReadonlyMap<string, string> } | { readonly kind: 'unknown'; readonly reason: string };

interface Entry {
  /** Puts into the study so far (sent or answered): an answer asked for under an older count is stale. */
  puts: number;
  answer: Promise<StudyAnswer> | undefined;
  answerPuts: number;
  size: number;
}

/** Studies kept, and instances across them (a study of 10,000 instances weighs about 1 MB here). */
export const CACHED_STUDIES = 300;
export const CACHED_INSTANCES = 200_000;

/**
 * Why: verification must rest on what the server said after the instance was put, so a put into
 * a study (when sent and when answered) makes its cached answer stale; skip-existing asks many
 * instances of one study at once, so they share one request.
 */
export class StudyCache {
  readonly #fetch: (studyInstanceUid: string) => Promise<StudyAnswer>;
  readonly #entries = new Map<string, Entry>();
  #instances = 0;

  constructor(fetch: (studyInstanceUid: string) => Promise<StudyAnswer>) {
    this.#fetch = fetch;
  }

  // A put into the study was sent or answered: what was listed before is no proof of it.
  touch(studyInstanceUid: string): void {
    this.#entry(studyInstanceUid).puts++;
  }

  // The study's instances, listed after the last put into it that this process made.
  async get(studyInstanceUid: string): Promise<StudyAnswer> {
    const entry = this.#entry(studyInstanceUid);
    if (entry.answer === undefined || entry.answerPuts !== entry.puts) {
      const answer = this.#fetch(studyInstanceUid);
      entry.answer = answer;
      entry.answerPuts = entry.puts;
      void answer.then((settled) => { this.#weigh(studyInstanceUid, entry, answer, settled); });
    }
    return entry.answer;
  }

  // The entry of a study, made the most recent; the least recent go beyond the bounds.
  #entry(studyInstanceUid: string): Entry {
    const found = this.#entries.get(studyInstanceUid);
    const entry = found ?? { puts: 0, answer: undefined, answerPuts: 0, size: 0 };
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
