// The one message for a server that could not be reached as the run began (the target, a DICOMweb
// server, a running Orthanc as the source).
import { errnoOrMessage } from '../../core/errno.js';
import type { Endpoint } from './endpoint.js';
import { explainTlsFailure } from './tls-failure.js';
import { explainWrongScheme } from './wrong-scheme.js';

// Why: a certificate that is not trusted, or a URL whose scheme the server does not speak, is said
// as such; anything else keeps the code and the caller's hint ("Is Orthanc running, and is the URL
// right?"). `what`: the server as the message names it ('the target').
export const unreachableMessage = async (what: string, endpoint: Endpoint, error: unknown, hint: string): Promise<string> => {
  const why = explainTlsFailure(error, endpoint.tls) ?? (await explainWrongScheme(endpoint.origin, endpoint.display, error));
  return why === undefined ? `Cannot reach ${what} ${endpoint.display} (${errnoOrMessage(error)}). ${hint}` : `Cannot reach ${what} ${endpoint.display}: ${why}`;
};
