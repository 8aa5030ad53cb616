/** --mark-complete: the metadata set on the studies completed, how many were marked, found marked, or not. */
export interface StudyMarks {
  readonly name: string;
  readonly marked: number;
  readonly present: number;
  readonly failed: number;
}

/** Per-study completeness: how many of the instances the index lists for each study arrived. */
export interface StudyCompleteness {
  readonly total: number;
  readonly complete: number;
  /** Only the studies that are not complete, with expected vs verified counts, and why. */
  readonly incomplete: readonly IncompleteStudy[];
  /**
   * The run was interrupted or stopped: it did not see every instance of a study, so none is
   * known complete (`complete` is 0, `total` counts the studies it began, `incomplete` is empty).
   */
  readonly notChecked?: true;
  /**
   * The complete studies this run delivered instances of (the others were already there), and over
   * how long their instances arrived: seconds from the first to the last stored by this run
   * (median and largest; absent when there are none).
   */
  readonly completedByThisRun?: { readonly studies: number; readonly medianSpanSeconds: number; readonly largestSpanSeconds: number };
  /** --mark-complete: the markers of the studies complete on the target. */
  readonly marks?: StudyMarks;
}

/** A study left incomplete: how many of its instances the run took on, how many are verified, and what became of the others. */
export interface IncompleteStudy {
  readonly studyId: string;
  /** Its StudyInstanceUID, when an instance that missed named it. */
  readonly studyInstanceUid?: string;
  readonly expected: number;
  readonly verified: number;
  /** The instances that were not verified, by what became of them (their class, `dropped`, or `not verified`): see the report's lines for each file. */
  readonly why: Readonly<Record<string, number>>;
}

/** One study's counts, and when this run's own deliveries into it came (ms since the epoch). */
interface Counts {
  expected: number;
  verified: number;
  firstArrival?: number;
  lastArrival?: number;
  /** The instances not verified, by what became of them (only in a study that has some). */
  missed?: Record<string, number>;
  studyInstanceUid?: string;
}

// Why: the median of sorted numbers (the mean of the two middle ones for an even count).
export const middle = (sorted: readonly number[]): number => {
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[half] ?? 0) : ((sorted[half - 1] ?? 0) + (sorted[half] ?? 0)) / 2;
};

/** Counts, per study, the instances the run took on (expected) and those safely delivered (verified). */
export class StudyTally {
  readonly #counts = new Map<string, Counts>();

  // Counts one instance of a study that this run is responsible for (filters applied).
  expect(studyId: string): void {
    const count = this.#counts.get(studyId) ?? { expected: 0, verified: 0 };
    count.expected++;
    this.#counts.set(studyId, count);
  }

  // Counts one instance of a study as safely on the target (or sound in the source, for an
  // inventory); `arrivedAt`: when this run, which stored it there (not found there, not an earlier
  // run's), finished with it.
  // Returns the study's count now, and whether this run stored any of it.
  add(studyId: string, arrivedAt?: number): { readonly verified: number; readonly arrived: boolean } {
    const count = this.#counts.get(studyId) ?? { expected: 0, verified: 0 };
    count.verified++;
    if (arrivedAt !== undefined) {
      count.firstArrival = Math.min(count.firstArrival ?? arrivedAt, arrivedAt);
      count.lastArrival = Math.max(count.lastArrival ?? arrivedAt, arrivedAt);
    }
    this.#counts.set(studyId, count);
    return { verified: count.verified, arrived: count.firstArrival !== undefined };
  }

  // Why: counts an instance of a study that is not safely delivered (`why`: what became of it), so
  // that the report says why the study is incomplete.
  miss(studyId: string, why: string, studyInstanceUid: string | undefined): void {
    const count = this.#counts.get(studyId) ?? { expected: 0, verified: 0 };
    count.missed ??= {};
    count.missed[why] = (count.missed[why] ?? 0) + 1;
    if (studyInstanceUid !== undefined && studyInstanceUid !== '') count.studyInstanceUid ??= studyInstanceUid;
    this.#counts.set(studyId, count);
  }

  // Study by study: complete when every instance taken on was verified (memory grows with studies,
  // not files). A run that stopped early only expected the instances it saw: it claims no study.
  summary(stoppedEarly = false): StudyCompleteness {
    if (stoppedEarly) return { total: this.#counts.size, complete: 0, incomplete: [], notChecked: true };
    let complete = 0;
    const incomplete: IncompleteStudy[] = [];
    const spans: number[] = [];
    for (const [studyId, { expected, verified, firstArrival, lastArrival, missed, studyInstanceUid }] of this.#counts) {
      if (verified < expected) incomplete.push({ studyId, ...(studyInstanceUid === undefined ? {} : { studyInstanceUid }), expected, verified, why: missed ?? {} });
      else {
        complete++;
        if (firstArrival !== undefined && lastArrival !== undefined) spans.push((lastArrival - firstArrival) / 1000);
      }
    }
    spans.sort((a, b) => a - b);
    const byThisRun = spans.length === 0 ? {} : { completedByThisRun: { studies: spans.length, medianSpanSeconds: middle(spans), largestSpanSeconds: spans.at(-1) ?? 0 } };
    return { total: this.#counts.size, complete, incomplete, ...byThisRun };
  }
}
