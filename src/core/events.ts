import type { Tally } from '../record/report.js';
import type { FileOutcome } from './types.js';

/** Callbacks through which the core reports progress; the CLI draws them, the core never prints. */
export interface ImportEvents {
  /** The target said who it is, in its backend's words (e.g. 'Orthanc 1.10.1 (NAME)'). */
  readonly onTarget?: (about: string) => void;
  readonly onWarning?: (message: string) => void;
  readonly onInfo?: (message: string) => void;
  readonly onOutcome?: (outcome: FileOutcome, tally: Tally) => void;
}
