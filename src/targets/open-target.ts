// The target side of a run: what the target says of itself, and the uploader that talks to it.
import type { ImportEvents } from '../core/events.js';
import type { ImportOptions } from '../core/options.js';
import { prepareTarget, type TargetAssessment } from './orthanc/preflight.js';
import { Uploader } from './orthanc/upload.js';

/** The target of a run, as soon as the run knows it will read the source. */
export interface OpenedTarget {
  /** What GET /system said, judged (undefined without a target); a refusal rejects it. */
  readonly assessment: Promise<TargetAssessment | undefined>;
  readonly uploader: Uploader | undefined;
}

// Why: the target is asked who it is, and the uploader made (it opens no connection until used),
// before anything else of the run, so that the first pages of the target's listing can be asked
// for at once. `preflight` is the assessment when the run asked for it already.
export const openTarget = (options: ImportOptions, events: ImportEvents, preflight: Promise<TargetAssessment | undefined> | undefined): OpenedTarget => {
  const assessment = preflight ?? prepareTarget(options, events);
  assessment.catch(() => undefined); // met where the run awaits it
  if (options.target === undefined) return { assessment, uploader: undefined };
  const outageEvents = {
    onDown: (reason: string) => events.onWarning?.(`the target stopped answering (${reason}); pausing`),
    onUp: (ms: number) => events.onWarning?.(`the target answers again after ${(ms / 1000).toFixed(0)} s; carrying on`),
  };
  return { assessment, uploader: new Uploader(options.target, options, outageEvents) };
};
