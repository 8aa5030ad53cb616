// A study is complete once every instance of it that the source knows is verified on the target:
// the run then says so (onStudyComplete) and, with --mark-complete, marks it there, so that scripts
// on the target act on whole studies. Never before: a study with an instance rejected, missing or
// left out by a filter never reaches its count.
import type { CompletedStudy, ImportEvents } from '../core/events.js';
import type { FileOutcome } from '../core/types.js';
import type { MarkResult, Target } from '../targets/target.js';
import type { StudyMarks } from '../record/studies.js';

/** --mark-complete: where and what to set. */
export interface StudyMarker {
  readonly target: Target;
  readonly name: string;
  /** The run's time (ISO 8601), the value every study it marks gets. */
  readonly value: string;
}

/** Completes studies as their instances are counted; one marker at a time, in completion order. */
export class StudyCompletion {
  readonly #sizeOf: (studyId: string) => number | undefined;
  readonly #marker: StudyMarker | undefined;
  readonly #events: ImportEvents;
  /** Each study's size, asked of the source once; studies completed are kept as -1 (memory grows with studies, not files). */
  readonly #sizes = new Map<string, number>();
  #marking: Promise<void> = Promise.resolve();
  readonly #marks = { marked: 0, present: 0, failed: 0 };

  constructor(sizeOf: (studyId: string) => number | undefined, marker: StudyMarker | undefined, events: ImportEvents) {
    this.#sizeOf = sizeOf;
    this.#marker = marker;
    this.#events = events;
  }

  // Why: takes an instance counted for its study (`verified`: the study's count now; `arrived`:
  // this run stored some of it); the count reaching the study's size completes it, once.
  counted(studyId: string, verified: number, arrived: boolean, outcome: FileOutcome): void {
    let size = this.#sizes.get(studyId);
    if (size === undefined) {
      // Unknown: never complete.
      size = this.#sizeOf(studyId) ?? Number.POSITIVE_INFINITY;
      this.#sizes.set(studyId, size);
    }
    if (size < 0 || verified < size) return;
    this.#sizes.set(studyId, -1);
    const study: CompletedStudy = { studyId, studyInstanceUid: outcome.studyInstanceUid ?? '', patientId: outcome.patientId ?? '', instances: size };
    const marker = this.#marker;
    if (marker === undefined) {
      this.#events.onStudyComplete?.(study);
      return;
    }
    // A study this run sent nothing to may have been marked by an earlier run: left as it is.
    this.#marking = this.#marking.then(async () => {
      const result = await this.#mark(marker, studyId, !arrived);
      this.#marks[result.kind]++;
      if (result.kind === 'failed') this.#events.onWarning?.(result.reason);
      this.#events.onStudyComplete?.({ ...study, marker: result.kind });
    });
  }

  async #mark({ target, name, value }: StudyMarker, studyId: string, unlessPresent: boolean): Promise<MarkResult> {
    try {
      return (await target.markStudy?.(studyId, name, value, unlessPresent)) ?? { kind: 'failed', reason: `study ${studyId}: the target cannot take a marker` };
    } catch (error) {
      return { kind: 'failed', reason: `study ${studyId}: its metadata ${name} was not set (${error instanceof Error ? error.message : String(error)})` };
    }
  }

  // Why: the summary waits for the markers of every study completed, and counts them.
  async settled(): Promise<StudyMarks | undefined> {
    await this.#marking;
    return this.#marker === undefined ? undefined : { name: this.#marker.name, ...this.#marks };
  }
}
