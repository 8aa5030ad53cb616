// How spread the studies were over a run that could not send them a study at a time (a folder
// walked: a file's study is known only once it is parsed). Each study, by its patient and
// StudyInstanceUID, keeps when this run stored its first and last instance on the target; the
// summary gives the median and largest span, in seconds and as a share of the run.
import { middle } from './studies.js';

/** The spread of the studies this run stored instances of. */
export interface StudySpread {
  /** Studies (a patient's StudyInstanceUID) this run stored at least one instance of. */
  readonly studies: number;
  /** Seconds from a study's first instance stored by this run to its last: median and largest. */
  readonly medianSpanSeconds: number;
  readonly largestSpanSeconds: number;
  /** The same spans as shares of the run's time (0 to 1). */
  readonly medianShare: number;
  readonly largestShare: number;
}

/** First and last arrival per study (memory grows with studies, not files). */
export class StudySpreadTally {
  readonly #arrivals = new Map<string, { first: number; last: number }>();

  // Why: notes an instance this run stored, when (ms since the epoch), under its patient and study
  // (two patients sharing a StudyInstanceUID are two studies, as Orthanc counts them).
  arrived(patientId: string, studyInstanceUid: string, at: number): void {
    const key = `${patientId}\u0000${studyInstanceUid}`;
    const seen = this.#arrivals.get(key);
    if (seen === undefined) this.#arrivals.set(key, { first: at, last: at });
    else {
      seen.first = Math.min(seen.first, at);
      seen.last = Math.max(seen.last, at);
    }
  }

  // Why: the summary's figures, over a run of `elapsedSeconds`; undefined when nothing arrived.
  summary(elapsedSeconds: number): StudySpread | undefined {
    if (this.#arrivals.size === 0) return undefined;
    const spans = [...this.#arrivals.values()].map(({ first, last }) => (last - first) / 1000).sort((a, b) => a - b);
    const median = middle(spans);
    const largest = spans.at(-1) ?? 0;
    const share = (seconds: number): number => (elapsedSeconds > 0 ? Math.min(1, Number((seconds / elapsedSeconds).toFixed(3))) : 0);
    return { studies: spans.length, medianSpanSeconds: median, largestSpanSeconds: largest, medianShare: share(median), largestShare: share(largest) };
  }
}
