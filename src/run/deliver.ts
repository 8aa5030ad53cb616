// Delivers one classified file to any target (an Orthanc, a DICOMweb server, a folder) and proves
// what arrived: the one place an instance is sent, whatever the target.
import { decodedStream, gzipBody } from '../decode/file-body.js';
import type { Held, InstanceRef, PutResult, Target } from '../targets/target.js';
import { dicomOutcome, skippedOutcome, type Classified, type DeliveryStatus, type Encoding, type DecodedDicom, type FileEntry, type FileOutcome } from '../core/types.js';
import { FailureStreak } from './failure-streak.js';

/** The target side of a run: where to send, and whether to check what arrived. */
export interface Delivery {
  readonly target: Target;
  readonly verify: boolean;
  /** Puts failed for good in a row: a delivered file resets it. */
  readonly failures: FailureStreak;
}

// Why: how a target is asked about a decoded instance.
export const instanceRef = (dicom: DecodedDicom): InstanceRef => {
  const { header } = dicom;
  const { patientId, studyInstanceUid, seriesInstanceUid, sopInstanceUid, sopClassUid } = header;
  const ref = { instanceId: dicom.orthancId, patientId, studyInstanceUid, seriesInstanceUid, sopInstanceUid, sopClassUid, md5: dicom.md5, size: dicom.decodedSize };
  return header.transferSyntaxUid === '' ? ref : { ...ref, transferSyntax: header.transferSyntaxUid };
};

// Why: the bytes a decoded instance holds in memory until it is sent (its decoded bytes, or its gzip member).
export const heldSize = (dicom: DecodedDicom): number => dicom.bytes?.byteLength ?? (dicom.wire?.kind === 'held' ? dicom.wire.size : 0);

type Failed = Extract<PutResult, { kind: 'failed' }>;

// Why: a held instance as an outcome's proof: how it was seen, and the target's name for the file.
export const proofFields = (held: Extract<Held, { kind: 'same' }>): Partial<FileOutcome> =>
  held.file === undefined ? { verified: held.by } : { verified: held.by, targetFile: held.file };

// Before a put counts as failed (retries exhausted, its answer lost), the target is asked whether
// it holds the instance: it may have stored it and lost only the answer.
const afterFailedPut = async (base: FileOutcome, ref: InstanceRef, result: Failed, delivery: Delivery): Promise<FileOutcome> => {
  const held = await delivery.target.holds(ref, { now: true });
  const instanceId = held.instanceId ?? base.instanceId;
  switch (held.kind) {
    case 'same':
      delivery.failures.reset();
      return { ...base, ...result.fields, status: 'stored', answerLost: true, instanceId, ...proofFields(held), reason: `answer lost (${result.reason}); found on the target` };
    case 'other':
      return { ...base, ...result.fields, fileClass: 'conflict', instanceId, reason: `answer lost (${result.reason}); ${held.reason}` };
    case 'absent':
      delivery.failures.add(result.cause, result.reason);
      return { ...base, ...result.fields, fileClass: 'failed', instanceId, reason: `${result.reason}; the target does not hold it` };
    case 'unknown':
      delivery.failures.add(result.cause, result.reason);
      return { ...base, ...result.fields, fileClass: 'failed', instanceId, reason: `${result.reason}; whether the target holds it is not known (${held.reason})` };
  }
};

// Asks the target what it stored and turns a stored outcome into verified, conflict or unverified.
const verified = async (outcome: FileOutcome, ref: InstanceRef, status: DeliveryStatus, delivery: Delivery): Promise<FileOutcome> => {
  const held = await delivery.target.holds({ ...ref, instanceId: outcome.instanceId ?? ref.instanceId }, { afterPut: status });
  switch (held.kind) {
    case 'same':
      return { ...outcome, ...proofFields(held) };
    case 'other':
      return { ...outcome, fileClass: 'conflict', reason: held.reason };
    case 'unknown':
      return { ...outcome, reason: `delivered, not verified: ${held.reason}` };
    case 'absent':
      return { ...outcome, fileClass: 'failed', reason: 'the target accepted it, then did not hold it when checked (deleted or recycled since?)' };
  }
};

/** What one put carried, for the adaptive limit: its decoded bytes, and whether it failed for good. */
interface PutDone {
  readonly bytes: number;
  readonly failed: boolean;
}

/**
 * A file sent: its outcome as the put left it, and the check of what arrived (absent when there is
 * nothing to ask), which the pipeline runs in a stage of its own, on connections of its own, so
 * that an upload slot is freed as soon as its put is answered. `put`: present when the target was
 * sent something.
 */
export interface Sent {
  readonly outcome: FileOutcome;
  readonly check?: () => Promise<FileOutcome>;
  readonly put?: PutDone;
}

// The body of an instance streamed again from disk. Made here, not in deliver: a closure shares its
// scope with every other closure of that scope in V8, and the check kept for later must not hold
// the classified file's bytes.
const streamedBody = (path: string | Buffer, encoding: Encoding) => () => decodedStream(path, encoding);

// The check of a stored instance, to run later (see streamedBody: it holds no bytes).
const checkLater = (outcome: FileOutcome, ref: InstanceRef, status: DeliveryStatus, delivery: Delivery) => () => verified(outcome, ref, status, delivery);

// Sends the decoded file (or its gzip member) to the target.
const putOne = (delivery: Delivery, ref: InstanceRef, path: string | Buffer, dicom: DecodedDicom): Promise<PutResult> => {
  const { wire } = dicom;
  if (wire !== undefined) return delivery.target.put(ref, gzipBody(path, wire), { encoding: 'gzip', size: wire.size });
  return delivery.target.put(ref, dicom.bytes ?? streamedBody(path, dicom.encoding));
};

// Turns one classified file into its outcome: delivered (its check to come), or explained.
export const deliver = async (entry: FileEntry, classified: Classified, delivery: Delivery | undefined): Promise<Sent> => {
  if (classified.kind === 'skipped') return { outcome: skippedOutcome(entry, classified) };
  const base: FileOutcome = { ...dicomOutcome(entry, classified), instanceId: classified.orthancId };
  if (delivery === undefined) return { outcome: base };
  const ref = instanceRef(classified);
  const result = await putOne(delivery, ref, entry.rawPath ?? entry.path, classified);
  const put = { bytes: ref.size, failed: result.kind === 'failed' };
  switch (result.kind) {
    case 'failed':
      return { outcome: await afterFailedPut(base, ref, result, delivery), put };
    case 'rejected':
      return { outcome: { ...base, ...result.fields, fileClass: 'rejected', reason: result.reason }, put };
    case 'conflict':
      return { outcome: { ...base, ...result.fields, fileClass: 'conflict', reason: result.reason }, put };
    case 'stored': {
      delivery.failures.reset();
      const outcome: FileOutcome = { ...base, ...result.fields, status: result.status, targetAnswer: result.answer };
      if (result.proof !== undefined) return { outcome: result.proof.kind === 'same' ? { ...outcome, ...proofFields(result.proof) } : outcome, put };
      if (!delivery.verify || result.status === 'dropped') return { outcome, put };
      return { outcome, check: checkLater(outcome, ref, result.status, delivery), put };
    }
  }
};
