// What the progress line counts, file by file, in the words an admin reads at 3 a.m.: what was
// delivered, what was skipped on purpose (already there, done by an earlier run, Orthanc's caches,
// left out by the filters), what is not DICOM, and the errors: never one "not uploaded" heap in
// which caches and the index's own files read like failures.
import type { FileClass, FileOutcome } from '../core/types.js';
import { BAD_CLASSES } from '../record/report.js';

/** Classes that are errors: those that make a run end with exit code 1. */
const ERROR_CLASSES: ReadonlySet<FileClass> = new Set(BAD_CLASSES);

/** Classes skipped on purpose. */
const SKIPPED_CLASSES: ReadonlySet<FileClass> = new Set(['pixel-data-cache', 'json-summary', 'excluded', 'orphan']);

/** What became of a file, as the progress counts it. */
export type ProgressKind = 'delivered' | 'skipped' | 'not-dicom' | 'error';

// Why: one outcome's place in the progress counts; an earlier run's error is still an error, an
// instance the target (or an earlier run) already had is skipped, one the target dropped is an error.
export const progressKind = (outcome: FileOutcome): ProgressKind => {
  if (ERROR_CLASSES.has(outcome.fileClass)) return 'error';
  if (outcome.fileClass === 'not-dicom') return 'not-dicom';
  if (SKIPPED_CLASSES.has(outcome.fileClass)) return 'skipped';
  if (outcome.status === 'dropped') return 'error';
  return outcome.resumed === true || outcome.onTarget === true ? 'skipped' : 'delivered';
};

/** The counts the progress line shows. */
export class ProgressCounts {
  delivered = 0;
  skipped = 0;
  notDicom = 0;
  errors = 0;

  // Why: counts one outcome and says what it was.
  add(outcome: FileOutcome): ProgressKind {
    const kind = progressKind(outcome);
    if (kind === 'delivered') this.delivered++;
    else if (kind === 'skipped') this.skipped++;
    else if (kind === 'not-dicom') this.notDicom++;
    else this.errors++;
    return kind;
  }
}
