// The DICOMweb backend as the target registry lists it: which URLs are its, and how to open one.
import type { ImportEvents } from '../../core/events.js';
import type { ImportOptions } from '../../core/options.js';
import { HttpClient } from '../http/client.js';
import type { TargetCredentials } from '../http/endpoint.js';
import type { Target } from '../target.js';
import { DEFAULT_BOUNDS } from './batcher.js';
import { dicomwebPolicy } from './answer-policy.js';
import { DicomwebTarget } from './dicomweb-target.js';
import { isDicomwebUrl, parseDicomwebUrl } from './url.js';

/** Why: one registration line adds DICOMweb (STOW-RS, QIDO-RS, WADO-RS) to the targets. */
export const dicomweb = {
  test: isDicomwebUrl,
  open(text: string, credentials: TargetCredentials, options: ImportOptions, events: ImportEvents): Target {
    const endpoint = parseDicomwebUrl(text, credentials);
    const client = new HttpClient(endpoint, options, {
      policy: dicomwebPolicy(endpoint.display),
      probePath: '/studies?limit=1',
      events: {
        onDown: (reason: string) => events.onWarning?.(`the target stopped answering (${reason}); pausing`),
        onUp: (ms: number) => events.onWarning?.(`the target answers again after ${(ms / 1000).toFixed(0)} s; carrying on`),
      },
    });
    return new DicomwebTarget(endpoint, client, { bounds: DEFAULT_BOUNDS, connections: options.concurrency, verifyFull: options.verifyFull }) satisfies Target;
  },
};
