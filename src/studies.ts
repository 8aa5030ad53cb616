/** Per-study completeness: how many of the instances the index lists for each study arrived. */
export interface StudyCompleteness {
  readonly total: number;
  readonly complete: number;
  /** Only the studies that are not complete, with expected vs verified counts. */
  readonly incomplete: readonly { readonly studyId: string; readonly expected: number; readonly verified: number }[];
}

/** Counts delivered-and-verified instances per study (memory grows with studies, not files). */
export class StudyTally {
  readonly #verified = new Map<string, number>();

  // Counts one instance of a study as safely on the target (or sound in the source, for an inventory).
  add(studyId: string): void {
    this.#verified.set(studyId, (this.#verified.get(studyId) ?? 0) + 1);
  }

  // Compares the counts with what the index expects, study by study.
  compare(expected: Iterable<{ readonly studyId: string; readonly instances: number }>): StudyCompleteness {
    let total = 0;
    let complete = 0;
    const incomplete: { studyId: string; expected: number; verified: number }[] = [];
    for (const { studyId, instances } of expected) {
      total++;
      const verified = this.#verified.get(studyId) ?? 0;
      if (verified >= instances) complete++;
      else incomplete.push({ studyId, expected: instances, verified });
    }
    return { total, complete, incomplete };
  }
}
