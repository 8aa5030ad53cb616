import { request } from 'undici';
import { ImporterError } from './errors.js';
import type { Target } from './target.js';

/** What the target says about itself in GET /system (fields vary by version). */
export interface TargetSystem {
  readonly version: string;
  readonly name?: string;
  readonly apiVersion?: number;
}

const CREDENTIALS_HINT = 'Give them in the URL, with --username/--password, or in ORTHANC_USERNAME/ORTHANC_PASSWORD.';

// Asks the target who it is before the first upload, so a wrong URL or refused credentials stop
// the run with one clear message instead of marking every file as failed.
export const checkTarget = async (target: Target): Promise<TargetSystem> => {
  let statusCode: number;
  let text: string;
  try {
    const response = await request(`${target.origin}${target.prefix}/system`, {
      headers: target.headers,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    statusCode = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new ImporterError('E_TARGET_UNREACHABLE', `Cannot reach the target ${target.display} (${code}). Is Orthanc running, and is the URL right?`, { cause: error });
  }
  if (statusCode === 401 || statusCode === 403) {
    throw new ImporterError('E_TARGET_AUTH', `The target ${target.display} refused the credentials (HTTP ${statusCode}). ${CREDENTIALS_HINT}`);
  }
  let system: { Version?: unknown; Name?: unknown; ApiVersion?: unknown } = {};
  try {
    system = JSON.parse(text) as typeof system;
  } catch {
    // handled below: no Version
  }
  if (statusCode !== 200 || typeof system.Version !== 'string') {
    throw new ImporterError('E_TARGET_NOT_ORTHANC', `The target ${target.display} answered HTTP ${statusCode} to GET /system: is it an Orthanc, and is the URL prefix right?`);
  }
  return {
    version: system.Version,
    ...(typeof system.Name === 'string' ? { name: system.Name } : {}),
    ...(typeof system.ApiVersion === 'number' ? { apiVersion: system.ApiVersion } : {}),
  };
};
