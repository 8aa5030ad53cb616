import { ImporterError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import { DEFAULT_TLS, type TlsSettings } from './tls.js';

/** A parsed HTTP target (an Orthanc, a DICOMweb server): where to send, and the headers every request carries. */
export interface Endpoint {
  /** scheme://host:port */
  readonly origin: string;
  /** URL path prefix without a trailing slash ('' for none), e.g. '/orthanc'. */
  readonly prefix: string;
  /** Authorization and --header values; never printed. */
  readonly headers: Readonly<Record<string, string>>;
  /** The URL without credentials, for messages and reports. */
  readonly display: string;
  /** How an https:// server's certificate is checked (--ca, --insecure), on every connection to it. */
  readonly tls: TlsSettings;
}

/** Credentials and extra headers from flags or the environment. */
export interface TargetCredentials {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly headers?: readonly string[] | undefined;
  /** Not a credential, but it goes where they go: how the server's certificate is checked. @default Node's CAs */
  readonly tls?: TlsSettings | undefined;
}

const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/;

// Parses "Name: value" flags, refusing malformed ones with the flag's own text (without its value).
const parseHeaders = (lines: readonly string[], flag: string): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [index, line] of lines.entries()) {
    const match = HEADER_LINE.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) {
      // The value may be a secret: the message names neither it nor the rest of the line.
      throw new ImporterError('E_USAGE', `Expected every ${flag} to look like 'Name: value' (header ${index + 1} does not)`);
    }
    headers[match[1].toLowerCase()] = match[2];
  }
  return headers;
};

// A user or password of the URL, percent-decoded; a malformed escape is refused without echoing it.
const decodeCredential = (text: string, role: Role): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ImporterError('E_USAGE', `Expected the credentials of the ${role} URL to be percent-encoded (a % must start an escape like %40)`);
  }
};

// What makes a URL that does not parse wrong, when it can be told (read from its redacted form).
const whyNotUrl = (redacted: string): string => {
  const port = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(redacted)?.[1];
  return port !== undefined && Number(port) > 65535 ? ` (its port ${port} is out of range: 1 to 65535)` : '';
};

/** Which end of the run a URL names: the target, or a running Orthanc as the source. */
type Role = 'target' | 'source';

// Turns the user's target URL (or an Orthanc source's) and credentials into an Endpoint,
// credentials in the URL winning over flags, and flags over the environment (the CLI resolves that
// order before calling).
export const parseEndpoint = (raw: string, credentials: TargetCredentials, role: Role = 'target'): Endpoint => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ImporterError('E_USAGE', `Expected the ${role} to be an http(s):// URL of an Orthanc or a directory, got '${redactUrl(raw)}'${whyNotUrl(redactUrl(raw))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImporterError('E_USAGE', `Expected the ${role} URL to start with http:// or https://, got '${url.protocol}'`);
  }
  const username = url.username !== '' ? decodeCredential(url.username, role) : credentials.username;
  const password = url.password !== '' ? decodeCredential(url.password, role) : credentials.password;
  const headers = parseHeaders(credentials.headers ?? [], role === 'source' ? '--source-header' : '--header');
  if (username !== undefined && username !== '' && headers['authorization'] === undefined) {
    headers['authorization'] = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  }
  const prefix = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin, prefix, headers, display: `${url.origin}${prefix}`, tls: credentials.tls ?? DEFAULT_TLS };
};

// Why: --layout and --overwrite shape files written into a folder; anywhere else they would be
// silently ignored, and the user would believe they applied. The flags given, and the verb that fits.
export const recoveryOptionsGiven = (input: { readonly layout?: string | undefined; readonly overwrite?: boolean | undefined }): { readonly flags: string; readonly count: number } | undefined => {
  const given = [input.layout === undefined ? undefined : '--layout', input.overwrite === true ? '--overwrite' : undefined].filter((name) => name !== undefined);
  return given.length === 0 ? undefined : { flags: `${given.join(' and ')} only ${given.length === 1 ? 'applies' : 'apply'} to a recovery into a folder`, count: given.length };
};

// Why: a server target refuses the folder's options. `what`: the target, as the message names it.
export const refuseRecoveryOptions = (input: { readonly layout?: string | undefined; readonly overwrite?: boolean | undefined }, what: string): void => {
  const given = recoveryOptionsGiven(input);
  if (given === undefined) return;
  throw new ImporterError('E_USAGE', `${given.flags}, not to ${what}: leave ${given.count === 1 ? 'it' : 'them'} out`);
};
