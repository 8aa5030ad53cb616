// What a failed TLS handshake means for the user, from the code Node gives (the same through
// node:https and undici): which certificate check failed, and what to do about it.
import { errnoCode } from '../../core/errno.js';
import type { TlsSettings } from './tls.js';

/** The server's certificate chain ends at a CA this run does not trust. */
const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED']);
/** The certificate is outside its validity period (or this machine's clock is). */
const OUT_OF_DATE: Readonly<Record<string, string>> = { CERT_HAS_EXPIRED: 'has expired', CERT_NOT_YET_VALID: 'is not valid yet' };

const SKIP = 'or --insecure to skip the check';

/** What Node's ERR_TLS_CERT_ALTNAME_INVALID carries. */
interface AltnameError {
  readonly host?: unknown;
  readonly cert?: { readonly subjectaltname?: unknown; readonly subject?: { readonly CN?: unknown } };
}

// The names the certificate holds, as Node lists them ('DNS:example.org, IP Address:10.0.0.1').
const namesOf = (error: AltnameError): string | undefined => {
  const names = error.cert?.subjectaltname ?? error.cert?.subject?.CN;
  return typeof names === 'string' && names !== '' ? names : undefined;
};

// Why: "Cannot reach the target (DEPTH_ZERO_SELF_SIGNED_CERT). Is Orthanc running?" sends an admin
// to a server that runs; this says which check failed and how to pass it. undefined: not a
// certificate failure.
export const explainTlsFailure = (error: unknown, tls: TlsSettings): string | undefined => {
  const code = errnoCode(error);
  if (code === undefined) return undefined;
  if (UNTRUSTED.has(code)) {
    return tls.caPath === undefined
      ? `certificate not trusted (${code}): pass --ca FILE with the CA that signed it (or set NODE_EXTRA_CA_CERTS), ${SKIP}`
      : `certificate not trusted (${code}), not even with --ca ${tls.caPath}: give --ca the CA that signed it (the root of the server's chain)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const altname = error as AltnameError;
    const host = typeof altname.host === 'string' ? altname.host : 'the name in the URL';
    const names = namesOf(altname);
    return `the certificate is for ${names ?? 'other names'}, not ${host} (${code}): use a URL with a name the certificate holds, ${SKIP}`;
  }
  const when = OUT_OF_DATE[code];
  if (when !== undefined) return `the certificate ${when} (${code}): renew it on the server (or check this machine's clock), ${SKIP}`;
  return undefined;
};
