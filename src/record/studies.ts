/** Per-study completeness: how many of the instances the index lists for each study arrived. */
export interface StudyCompleteness {
  readonly total: number;
  readonly complete: number;
  /** Only the studies that are not complete, with expected vs verified counts. */
  readonly incomplete: readonly { readonly studyId: string; readonly expected: number; readonly verified: number }[];
  /**
   * The run was interrupted or stopped: it did not see every instance of a study, so none is
   * known complete (`complete` is 0, `total` counts the studies it began, `incomplete` is empty).
   */
  readonly notChecked?: true;
}

/** Counts, per study, the instances the run took on (expected) and those safely delivered (verified). */
export class StudyTally {
  readonly #counts = new Map<string, { expected: number; verified: number }>();

  // Counts one instance of a study that this run is responsible for (filters applied).
  expect(studyId: string): void {
    const count = this.#counts.get(studyId) ?? { expected: 0, verified: 0 };
    count.expected++;
    this.#counts.set(studyId, count);
  }

  // Counts one instance of a study as safely on the target (or sound in the source, for an inventory).
  add(studyId: string): void {
    const count = this.#counts.get(studyId) ?? { expected: 0, verified: 0 };
    count.verified++;
    this.#counts.set(studyId, count);
  }

  // Study by study: complete when every instance taken on was verified (memory grows with studies,
  // not files). A run that stopped early only expected the instances it saw: it claims no study.
  summary(stoppedEarly = false): StudyCompleteness {
    if (stoppedEarly) return { total: this.#counts.size, complete: 0, incomplete: [], notChecked: true };
    let complete = 0;
    const incomplete: { studyId: string; expected: number; verified: number }[] = [];
    for (const [studyId, { expected, verified }] of this.#counts) {
      if (verified >= expected) complete++;
      else incomplete.push({ studyId, expected, verified });
    }
    return { total: this.#counts.size, complete, incomplete };
  }
}
