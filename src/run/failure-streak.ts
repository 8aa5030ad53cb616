import { ImporterError } from '../core/errors.js';

/**
 * Uploads that failed for good (retries exhausted, not found on the target) one after the other
 * with the same cause before the run stops: a target that fails every upload the same way (its
 * index's disk full, a proxy refusing everything) would otherwise be tried file after file through
 * a whole storage. 50 is far beyond the few failures a healthy target gives in a row, and little
 * against the files a migration moves.
 */
export const FAILURES_IN_A_ROW = 50;

/** Counts consecutive upload failures of one cause (same HTTP status and Orthanc message, or same socket error). */
export class FailureStreak {
  #cause: string | undefined;
  #count = 0;

  // A delivered file ends the streak.
  reset(): void {
    this.#cause = undefined;
    this.#count = 0;
  }

  // Counts one file failed for good; the FAILURES_IN_A_ROW-th in a row with the same cause stops the run.
  add(cause: string, reason: string): void {
    this.#count = cause === this.#cause ? this.#count + 1 : 1;
    this.#cause = cause;
    if (this.#count < FAILURES_IN_A_ROW) return;
    const index = /SQLite/i.test(cause) ? ' (Orthanc could not write its index database: is the disk of its index full?)' : '';
    throw new ImporterError(
      'E_TARGET_FAILING',
      `${this.#count} uploads in a row failed the same way: ${reason}${index}. The run stops rather than fail every file that follows; ` +
        'put the target right, then run the same command again to resume',
    );
  }
}
