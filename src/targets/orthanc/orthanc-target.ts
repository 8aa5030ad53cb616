// An Orthanc over its REST API as a Target: POST /instances, the MD5 read back from the stored
// attachment, the bulk listing of /instances. Orthanc's own words (Success, AlreadyStored,
// FilteredOut, attachment UUIDs) stay in this folder.
import type { ImportEvents } from '../../core/events.js';
import type { ImportOptions } from '../../core/options.js';
import type { DeliveryStatus } from '../../core/types.js';
import { compareStored, otherVersion } from './verify.js';
import type { Endpoint } from '../http/endpoint.js';
import { outageWarnings } from '../http/outage.js';
import type { Held, HoldsHints, InstanceBody, InstanceRef, ListedInstance, MarkResult, PutResult, Target, TargetAssessment, TargetFeatures, WireEncoding } from '../target.js';
import { assessTarget, checkTarget } from './preflight.js';
import { Uploader, type UploadStatus } from './upload.js';
import { chooseWire, quickestRequestMs } from './wire.js';
import { ExtrasWriter, type LabelSupport } from './carry.js';
import { checkMarkerDeclared, markStudy } from './study-marker.js';
import type { CarryResult, ResourceExtras } from '../../core/extras.js';
import type { TargetSystem } from './preflight.js';

const STATUS: Readonly<Record<UploadStatus, DeliveryStatus>> = { Success: 'stored', AlreadyStored: 'already-there', FilteredOut: 'dropped' };

/**
 * The most uploads an adaptive run lets in flight: 80 ms away and 50 Mbit/s, a 300 KB instance is on
 * the link for 50 ms and waits about two round trips; 32 fill links many times that (bench/wan-bench.ts).
 */
const ADAPTIVE_MAX_UPLOADS = 32;

/** Orthanc's answer to a POST /instances that finds the instance there already. */
const ALREADY_STORED: UploadStatus = 'AlreadyStored';

// Why: a file listed with the same size and the same attachment UUID as the one whose MD5 an
// earlier run read back is that file: Orthanc never rewrites an attachment under the same UUID (a
// delete and re-upload, or an overwrite, gets a new one).
const provenBefore = (hints: HoldsHints, size: number): boolean => {
  const { recorded, listed } = hints;
  return recorded !== undefined && listed !== undefined && listed.size === size && listed.file !== '' && listed.file === recorded.targetFile && (recorded.verified === 'md5' || recorded.verified === 'listing');
};

// Labels came with Orthanc 1.12.0, which says so in /system ("HasLabels": its database may still lack them).
const labelSupport = (system: TargetSystem): LabelSupport =>
  system.hasLabels === true ? { has: true } : { has: false, reason: `the target has no labels (Orthanc ${system.version}${system.hasLabels === false ? ', its database has none' : ''})` };

/** An Orthanc reached over REST, as every operation sees a target. */
export class OrthancTarget implements Target {
  readonly features: TargetFeatures;
  readonly #uploader: Uploader;
  readonly #endpoint: Endpoint;
  readonly #options: ImportOptions;
  readonly #events: ImportEvents;
  #transcoding = false;
  #extras: ExtrasWriter | undefined;

  constructor(endpoint: Endpoint, options: ImportOptions, events: ImportEvents) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#events = events;
    const adaptive = options.adaptiveConcurrency ? { adaptivePuts: { max: ADAPTIVE_MAX_UPLOADS } } : {};
    this.features = { findsByInstanceId: true, bulkListing: true, cheapLookup: false, comparesMd5: true, putsInFlight: options.concurrency, ...adaptive };
    const uploads = options.adaptiveConcurrency ? Math.max(ADAPTIVE_MAX_UPLOADS, options.concurrency) : options.concurrency;
    this.#uploader = new Uploader(endpoint, options, uploads, outageWarnings(endpoint.display, events.onWarning));
  }

  // Asks GET /system who it is: a read-only or recycling target is refused before anything is
  // sent; then whether uploads travel as gzip (wire.ts; a check uploads nothing).
  async assess(): Promise<TargetAssessment> {
    const began = performance.now();
    const system = await checkTarget(this.#endpoint);
    const firstMs = performance.now() - began;
    this.#events.onTarget?.(`Orthanc ${system.version}${system.name === undefined ? '' : ` (${system.name})`}`);
    const assessment = assessTarget(system, this.#options);
    this.#transcoding = assessment.transcoding;
    this.#extras = new ExtrasWriter(this.#uploader.extrasHttp, labelSupport(system));
    if (this.#options.markComplete !== undefined) await checkMarkerDeclared(this.#uploader.extrasHttp, this.#options.markComplete);
    const mode = this.#options.check ? 'none' : this.#options.wireCompression;
    const wire = await chooseWire(mode, system.version, () => quickestRequestMs(this.#endpoint, firstMs));
    if (wire.gzip) this.#events.onInfo?.(wire.why);
    return { ...assessment, gzipWire: wire.gzip };
  }

  // PUT /studies/{id}/metadata/{name}, on the connections of the extras.
  markStudy(studyId: string, name: string, value: string, unlessPresent: boolean): Promise<MarkResult> {
    return markStudy(this.#uploader.extrasHttp, studyId, name, value, unlessPresent);
  }

  // POST /instances, its answer in the core's words and Orthanc's.
  async put(instance: InstanceRef, body: InstanceBody, wire?: WireEncoding): Promise<PutResult> {
    const result = await this.#uploader.upload(body, wire?.size ?? instance.size, wire?.encoding);
    switch (result.kind) {
      case 'stored': {
        const sent = wire === undefined ? { wireBytes: instance.size } : { wireBytes: wire.size, wireEncoding: wire.encoding };
        return { kind: 'stored', status: STATUS[result.status], answer: result.status, fields: { instanceId: result.id, httpStatus: result.httpStatus, ...sent } };
      }
      case 'rejected': {
        const reason = `the target answered HTTP ${result.httpStatus}: ${result.message}${result.details === undefined ? '' : ` (${result.details})`}`;
        const fields = { httpStatus: result.httpStatus, targetMessage: result.message, ...(result.details === undefined ? {} : { targetDetails: result.details }) };
        return { kind: 'rejected', reason, fields };
      }
      case 'failed':
        // Orthanc's own SQLite errors mean its index cannot be written: say where to look.
        return /SQLite/i.test(result.cause) ? { ...result, reason: `${result.reason} (Orthanc could not write its index database: is the disk of its index full?)` } : result;
    }
  }

  // What Orthanc holds under the instance's ID (else under the ID it gives its SOP Instance UID):
  // the listing's proof where it stands (provenBefore), else its MD5 read back.
  async holds(instance: InstanceRef, hints: HoldsHints = {}): Promise<Held> {
    const { listed, afterPut } = hints;
    if (listed !== undefined && listed.size !== instance.size) {
      const copy = await this.#uploader.storedCopy(instance.instanceId);
      return { kind: 'other', reason: otherVersion(`${listed.size} bytes there, ${instance.size} in the source`, copy, instance.transferSyntax) };
    }
    if (provenBefore(hints, instance.size)) return { kind: 'same', by: 'listing' };
    if (instance.md5 === undefined) return { kind: 'unknown', reason: 'the source\'s MD5 is not known' };
    const { instanceId, stored } = listed === undefined ? await this.#uploader.findStored(instance.instanceId, instance.sopInstanceUid) : { instanceId: instance.instanceId, stored: await this.#uploader.storedAttachment(instance.instanceId) };
    const status = afterPut === 'stored' ? 'Success' : ALREADY_STORED;
    const verdict = compareStored(status, { md5: instance.md5, size: instance.size }, stored, this.#transcoding);
    switch (verdict.kind) {
      case 'verified':
        return { kind: 'same', by: verdict.by, ...(verdict.file === undefined ? {} : { file: verdict.file }), instanceId };
      case 'conflict': {
        const reason = status === ALREADY_STORED ? otherVersion(verdict.what, await this.#uploader.storedCopy(instanceId), instance.transferSyntax) : verdict.reason;
        return { kind: 'other', reason, instanceId };
      }
      case 'absent':
        return { kind: 'absent', instanceId };
      case 'unverified':
        return { kind: 'unknown', reason: verdict.reason, instanceId };
    }
  }

  // PUT the user metadata, attachments and labels of resources it holds (carry.ts).
  async carry(resources: readonly ResourceExtras[]): Promise<CarryResult> {
    this.#extras ??= new ExtrasWriter(this.#uploader.extrasHttp, { has: false, reason: 'the target was not asked whether it has labels' });
    return this.#extras.carry(resources);
  }

  // GET /instances?expand, page after page.
  list(): AsyncIterable<readonly ListedInstance[]> {
    return this.#uploader.listInstances();
  }

  async close(): Promise<void> {
    await this.#uploader.close();
  }
}
