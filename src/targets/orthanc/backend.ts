// The Orthanc backend as the registry knows it: an http:// or https:// URL.
import { parseEndpoint, refuseRecoveryOptions } from '../http/endpoint.js';
import type { TargetBackend } from '../target.js';
import { OrthancTarget } from './orthanc-target.js';

const SCHEME = /^https?:\/\//i;

// Why: one line of src/targets/registry.ts names this backend; everything Orthanc-specific stays here.
export const orthanc: TargetBackend = {
  written: 'http:// or https:// (an Orthanc)',
  claims: (text) => SCHEME.test(text),
  parse: (text, input, tls) => {
    refuseRecoveryOptions(input, 'an Orthanc URL');
    const endpoint = parseEndpoint(text, { ...input, tls });
    return {
      display: endpoint.display,
      identity: endpoint.display,
      recovery: false,
      outcomeKey: 'orthanc',
      open: (options, events) => new OrthancTarget(endpoint, options, events),
    };
  },
};
