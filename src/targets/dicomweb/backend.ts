// The DICOMweb backend as the target registry lists it: which URLs are its, and how to open one.
import { outageWarnings } from '../http/outage.js';
import { HttpClient } from '../http/client.js';
import { refuseRecoveryOptions } from '../http/endpoint.js';
import type { TargetBackend } from '../target.js';
import { DEFAULT_BOUNDS } from './batcher.js';
import { dicomwebPolicy } from './answer-policy.js';
import { DicomwebTarget } from './dicomweb-target.js';
import { isDicomwebUrl, parseDicomwebUrl } from './url.js';

// Why: one line of src/targets/registry.ts names this backend; everything DICOMweb stays here.
export const dicomweb: TargetBackend = {
  written: 'dicomweb+http:// or dicomweb+https:// (a DICOMweb server)',
  claims: isDicomwebUrl,
  parse: (text, input, tls) => {
    refuseRecoveryOptions(input, 'a DICOMweb URL');
    const endpoint = parseDicomwebUrl(text, { ...input, tls });
    const verifyFull = input.verifyFull === true;
    return {
      display: endpoint.display,
      identity: endpoint.display,
      recovery: false,
      // What each instance's proof can be: presence (QIDO-RS), or its MD5 (WADO-RS) with --verify full.
      outcomeKey: verifyFull ? 'dicomweb verify-full' : 'dicomweb',
      open: (options, events) => {
        const client = new HttpClient(endpoint, options, {
          policy: dicomwebPolicy(endpoint.display),
          probePath: '/studies?limit=1',
          events: outageWarnings(endpoint.display, events.onWarning),
        });
        return new DicomwebTarget(endpoint, client, { bounds: DEFAULT_BOUNDS, connections: options.concurrency, verifyFull }, events);
      },
    };
  },
};
