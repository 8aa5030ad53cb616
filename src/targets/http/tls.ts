// How the certificate of an https:// server (the target, a running Orthanc as the source) is
// checked: Node's CAs (with NODE_EXTRA_CA_CERTS), plus those of --ca FILE, or no check (--insecure).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ImporterError } from '../../core/errors.js';
import { errnoOrMessage } from '../../core/errno.js';

/** Resolved once per run and shared by every connection to an https:// server. */
export interface TlsSettings {
  /** The CAs trusted with --ca (made once: about 20 ms); undefined: Node's own. */
  readonly secureContext?: SecureContext;
  /** --insecure: any certificate is taken. */
  readonly insecure: boolean;
  /** --ca FILE as given, for messages. */
  readonly caPath?: string;
}

/** Node's own checks, as without --ca or --insecure (NODE_TLS_REJECT_UNAUTHORIZED=0 included). */
export const DEFAULT_TLS: TlsSettings = { insecure: false };

/** Said as the run starts and kept in its summary. */
export const INSECURE_WARNING = 'certificate checks are off (--insecure): anyone on the path could read or alter what is sent';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

// Why: the options of tls.connect (node:https, undici's connect) that apply these settings; none
// for Node's defaults, so that what Node reads from its environment still holds.
export const connectOptions = (tls: TlsSettings): { readonly rejectUnauthorized?: false; readonly secureContext?: SecureContext } => {
  if (tls.insecure) return { rejectUnauthorized: false };
  return tls.secureContext === undefined ? {} : { secureContext: tls.secureContext };
};

// The certificates of a PEM file, each checked; anything else in the file (a key) is left aside.
const readCertificates = (path: string): string[] => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ImporterError('E_USAGE', `Cannot read the --ca file ${path} (${errnoOrMessage(error)})`);
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new ImporterError('E_USAGE', `The --ca file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate in PEM form (a DER one: openssl x509 -inform der -in FILE)`);
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ImporterError('E_USAGE', `The --ca file ${path}: its certificate ${index + 1} of ${blocks.length} is not a valid certificate (${(error as Error).message})`);
    }
  }
  return blocks;
};

// Node reads NODE_EXTRA_CA_CERTS at start-up into its default CAs, which a `ca` list replaces: it is
// read again here to stay trusted beside --ca (Node has already warned if it cannot be read).
const extraCertificates = (): string[] => {
  const path = process.env['NODE_EXTRA_CA_CERTS'];
  if (path === undefined || path === '') return [];
  try {
    return readFileSync(path, 'utf8').match(PEM_CERTIFICATE) ?? [];
  } catch {
    return [];
  }
};

// Why: --ca and --insecure, checked before anything is sent (one line naming the file and the
// reason). `https`: the run connects to an https:// server; otherwise either would be silently ignored.
export const resolveTls = (input: { readonly caPath?: string | undefined; readonly insecure?: boolean | undefined }, https: boolean): TlsSettings => {
  const { caPath, insecure } = input;
  if (caPath === undefined && insecure !== true) return DEFAULT_TLS;
  if (caPath !== undefined && insecure === true) {
    throw new ImporterError('E_USAGE', 'Expected either --ca FILE (trust this CA) or --insecure (trust any certificate), not both');
  }
  const flag = caPath === undefined ? '--insecure' : '--ca';
  if (!https) throw new ImporterError('E_USAGE', `${flag} applies to https:// URLs (the target, or a running Orthanc as the source), and this run connects to none: leave it out`);
  if (caPath === undefined) return { insecure: true };
  const secureContext = createSecureContext({ ca: [...rootCertificates, ...extraCertificates(), ...readCertificates(caPath)] });
  return { secureContext, insecure: false, caPath };
};
