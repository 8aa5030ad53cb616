// Every kind of target, in the order they claim what the user typed (the most specific first).
// A new target is one folder beside this file and one line here.
import { ImporterError } from '../core/errors.js';
import type { ImportInput } from '../core/options.js';
import { redactUrl } from '../core/redact.js';
import { dicomweb } from './dicomweb/backend.js';
import { folder } from './folder/backend.js';
import { orthanc } from './orthanc/backend.js';
import { DEFAULT_TLS, type TlsSettings } from './http/tls.js';
import type { TargetSpec } from './target.js';

const BACKENDS = [orthanc, dicomweb, folder];


// Why: the one place a target's kind is decided, by what the user typed; the run only ever sees a Target.
// `tls`: how an https:// target's certificate is checked (resolveOptions reads --ca, --insecure).
export const parseTargetSpec = (text: string, input: ImportInput, tls: TlsSettings = DEFAULT_TLS): TargetSpec => {
  const backend = BACKENDS.find((candidate) => candidate.claims(text));
  if (backend === undefined) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1] ?? redactUrl(text);
    const schemes = BACKENDS.flatMap((candidate) => (candidate.written === undefined ? [] : [candidate.written])).join(', or ');
    throw new ImporterError('E_USAGE', `Expected the target URL to start with ${schemes}, got '${scheme}:'`);
  }
  const spec = backend.parse(text, input, tls);
  // Content-Encoding: gzip on an upload is Orthanc's (POST /instances, >= 1.6.0): elsewhere it would not apply.
  if (input.wireCompression === 'gzip' && backend !== orthanc) {
    throw new ImporterError('E_USAGE', `--wire-compression gzip only applies to an Orthanc target (1.6.0 or later), not to ${spec.display}: leave it out`);
  }
  // Study metadata is Orthanc's (its UserMetadata): a DICOMweb server or a folder has none.
  if (input.markComplete !== undefined && backend !== orthanc) {
    throw new ImporterError('E_USAGE', `--mark-complete sets a metadata on the target's studies, which only an Orthanc target has, not ${spec.display}: leave it out`);
  }
  return spec;
};
