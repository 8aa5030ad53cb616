import type { Summary } from '../record/report.js';

/** Stable codes for the failures that stop a whole run (per-file problems are data, see types.ts). */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_SOURCE'
  | 'E_SOURCE_LOCKED'
  | 'E_REPORT'
  | 'E_JOURNAL'
  | 'E_JOURNAL_LOCKED'
  | 'E_TARGET_UNREACHABLE'
  | 'E_TARGET_AUTH'
  | 'E_TARGET_NOT_ORTHANC'
  | 'E_TARGET_NOT_DICOMWEB'
  | 'E_TARGET_READ_ONLY'
  | 'E_TARGET_RECYCLING'
  | 'E_TARGET_FULL'
  | 'E_TARGET_FAILING'
  | 'E_TARGET_FOLDER'
  | 'E_DISK_FULL';

const EXIT_CODES: Record<ErrorCode, number> = {
  E_USAGE: 2,
  E_SOURCE: 2,
  E_SOURCE_LOCKED: 2,
  E_REPORT: 2,
  E_JOURNAL: 2,
  E_JOURNAL_LOCKED: 2,
  E_TARGET_UNREACHABLE: 3,
  E_TARGET_AUTH: 3,
  E_TARGET_NOT_ORTHANC: 3,
  E_TARGET_NOT_DICOMWEB: 3,
  E_TARGET_READ_ONLY: 3,
  E_TARGET_RECYCLING: 3,
  E_TARGET_FULL: 3,
  E_TARGET_FAILING: 3,
  E_TARGET_FOLDER: 2,
  E_DISK_FULL: 3,
};

const BRAND = Symbol.for('orthanc-import.ImporterError');

/** The one error class for run-stopping failures; callers match on `code`, never on the message. */
export class ImporterError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;
  /**
   * What the run had done when this stopped it (set by the pipeline), so that the CLI still prints
   * the summary of a run stopped half-way; undefined for a failure before any file.
   */
  summary: Summary | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ImporterError';
  }
}

// Works across module copies and realms, unlike instanceof.
export const isImporterError = (value: unknown): value is ImporterError =>
  typeof value === 'object' && value !== null && BRAND in value;

// The process exit code documented in the README for a run-stopping failure.
export const exitCodeFor = (code: ErrorCode): number => EXIT_CODES[code];

/** The exit code of a run stopped by Ctrl-C or SIGTERM (the files in flight were finished). */
export const INTERRUPTED_EXIT_CODE = 130;

// Why: the JSON report of a run stopped by a failure and the process exit code must agree; both
// take it from here (an unexpected error exits 1).
export const exitCodeOf = (error: unknown): number => (isImporterError(error) ? exitCodeFor(error.code) : 1);
