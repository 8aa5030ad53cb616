import type { TargetSystem } from '../targets/orthanc/preflight.js';
import type { Tally } from '../record/report.js';
import type { FileOutcome } from './types.js';

/** Callbacks through which the core reports progress; the CLI draws them, the core never prints. */
export interface ImportEvents {
  readonly onTarget?: (system: TargetSystem) => void;
  readonly onWarning?: (message: string) => void;
  readonly onInfo?: (message: string) => void;
  readonly onOutcome?: (outcome: FileOutcome, tally: Tally) => void;
}
