import { ImporterError } from '../../core/errors.js';
import type { Endpoint } from '../http/endpoint.js';
import { errnoCode } from '../../core/errno.js';
import { ANSWER_TOO_LARGE, httpGet } from '../http/http-get.js';
import { unreachableMessage } from '../http/unreachable.js';

/** What the target says about itself in GET /system (fields vary by version; absent = not reported). */
export interface TargetSystem {
  readonly version: string;
  readonly name?: string;
  readonly apiVersion?: number;
  readonly readOnly?: boolean;
  readonly ingestTranscoding?: string;
  /** MB; 0 means no limit. */
  readonly maximumStorageSize?: number;
  readonly maximumPatientCount?: number;
  /** 'Recycle' (Orthanc's default) or 'Reject'. */
  readonly maximumStorageMode?: string;
  /** Whether its database has labels ("HasLabels", Orthanc >= 1.12.0; absent before). */
  readonly hasLabels?: boolean;
}

/** What the run must know about the target before its first upload. */
export interface TargetAssessment {
  readonly system: TargetSystem;
  /** The target rewrites incoming files, so stored bytes cannot match the source's MD5. */
  readonly transcoding: boolean;
  readonly warnings: readonly string[];
}

const CREDENTIALS_HINT = 'Give them in the URL, with --username/--password, or in ORTHANC_USERNAME/ORTHANC_PASSWORD.';

/** How long GET /system may take before the target counts as unreachable. */
const SYSTEM_TIMEOUT_MS = 15_000;
/** GET /system answers about a kilobyte; anything far larger is not an Orthanc. */
const SYSTEM_MAX_BYTES = 1024 * 1024;

// Asks the target who it is before the first upload, so a wrong URL or refused credentials stop
// the run with one clear message instead of marking every file as failed.
export const checkTarget = async (target: Endpoint): Promise<TargetSystem> => {
  let statusCode: number;
  let text: string;
  try {
    ({ statusCode, text } = await httpGet(`${target.origin}${target.prefix}/system`, target.headers, { timeoutMs: SYSTEM_TIMEOUT_MS, maxBytes: SYSTEM_MAX_BYTES }, target.tls));
  } catch (error) {
    if (errnoCode(error) === ANSWER_TOO_LARGE) {
      throw new ImporterError('E_TARGET_NOT_ORTHANC', `The target ${target.display} answered GET /system with over ${SYSTEM_MAX_BYTES} bytes: is it an Orthanc, and is the URL prefix right?`);
    }
    throw new ImporterError('E_TARGET_UNREACHABLE', await unreachableMessage('the target', target, error, 'Is Orthanc running, and is the URL right?'), { cause: error });
  }
  if (statusCode === 401 || statusCode === 403) {
    throw new ImporterError('E_TARGET_AUTH', `The target ${target.display} refused the credentials (HTTP ${statusCode}). ${CREDENTIALS_HINT}`);
  }
  let system: Record<string, unknown> = {};
  try {
    system = JSON.parse(text) as typeof system;
  } catch {
    // handled below: no Version
  }
  if (statusCode !== 200 || typeof system['Version'] !== 'string') {
    throw new ImporterError('E_TARGET_NOT_ORTHANC', `The target ${target.display} answered HTTP ${statusCode} to GET /system: is it an Orthanc, and is the URL prefix right?`);
  }
  return readSystem(system, system['Version']);
};

const pick = <T>(value: unknown, type: 'string' | 'number' | 'boolean', key: string): Record<string, T> =>
  typeof value === type ? { [key]: value as T } : {};

const readSystem = (raw: Record<string, unknown>, version: string): TargetSystem => ({
  version,
  ...pick<string>(raw['Name'], 'string', 'name'),
  ...pick<number>(raw['ApiVersion'], 'number', 'apiVersion'),
  ...pick<boolean>(raw['ReadOnly'], 'boolean', 'readOnly'),
  ...pick<string>(raw['IngestTranscoding'], 'string', 'ingestTranscoding'),
  ...pick<number>(raw['MaximumStorageSize'], 'number', 'maximumStorageSize'),
  ...pick<number>(raw['MaximumPatientCount'], 'number', 'maximumPatientCount'),
  ...pick<string>(raw['MaximumStorageMode'], 'string', 'maximumStorageMode'),
  ...pick<boolean>(raw['HasLabels'], 'boolean', 'hasLabels'),
});

// Decides whether the run may start on this target: a read-only target, or one that could delete
// older patients to make room during the import, is refused before anything is sent.
export const assessTarget = (system: TargetSystem, options: { readonly allowRecycling: boolean }): TargetAssessment => {
  if (system.readOnly === true) {
    throw new ImporterError('E_TARGET_READ_ONLY', `The target is read-only ("ReadOnly": true in its configuration): it cannot store instances`);
  }
  const limits = [
    ...(system.maximumStorageSize !== undefined && system.maximumStorageSize > 0 ? [`MaximumStorageSize ${system.maximumStorageSize} MB`] : []),
    ...(system.maximumPatientCount !== undefined && system.maximumPatientCount > 0 ? [`MaximumPatientCount ${system.maximumPatientCount}`] : []),
  ];
  const warnings: string[] = [];
  if (limits.length > 0 && system.maximumStorageMode !== 'Reject') {
    const what = `The target has ${limits.join(' and ')} in Recycle mode: when full it deletes its oldest patients, possibly ones this import just sent`;
    if (!options.allowRecycling) throw new ImporterError('E_TARGET_RECYCLING', `${what}. Raise or remove the limits, or pass --allow-recycling.`);
    warnings.push(`${what} (allowed by --allow-recycling).`);
  }
  const transcoding = system.ingestTranscoding !== undefined && system.ingestTranscoding !== '';
  if (transcoding) {
    warnings.push(
      `The target transcodes incoming files (IngestTranscoding ${system.ingestTranscoding ?? ''}): stored bytes differ from the source, so verification only checks that each instance is there.`,
    );
  }
  return { system, transcoding, warnings };
};
