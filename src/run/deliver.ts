// Delivers one classified file to any target (an Orthanc, a DICOMweb server, a folder) and proves
// what arrived: the one place an instance is sent, whatever the target.
import { decodedStream } from '../decode/file-body.js';
import type { Held, InstanceRef, PutResult, Target } from '../targets/target.js';
import { dicomOutcome, skippedOutcome, type Classified, type DeliveryStatus, type DecodedDicom, type FileEntry, type FileOutcome } from '../core/types.js';
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

/**
 * A file sent: its outcome as the put left it, and the check of what arrived (absent when there is
 * nothing to ask). The pipeline runs the check off the upload slot, on connections of its own, so
 * that the read-backs never keep an upload waiting.
 */
export interface Sent {
  readonly outcome: FileOutcome;
  readonly check?: () => Promise<FileOutcome>;
}

// Turns one classified file into its outcome: delivered (its check to come), or explained.
export const deliver = async (entry: FileEntry, classified: Classified, delivery: Delivery | undefined): Promise<Sent> => {
  if (classified.kind === 'skipped') return { outcome: skippedOutcome(entry, classified) };
  const base: FileOutcome = { ...dicomOutcome(entry, classified), instanceId: classified.orthancId };
  if (delivery === undefined) return { outcome: base };
  const ref = instanceRef(classified);
  const body = classified.bytes ?? (() => decodedStream(entry.rawPath ?? entry.path, classified.encoding));
  const result = await delivery.target.put(ref, body);
  switch (result.kind) {
    case 'failed':
      return { outcome: await afterFailedPut(base, ref, result, delivery) };
    case 'rejected':
      return { outcome: { ...base, ...result.fields, fileClass: 'rejected', reason: result.reason } };
    case 'conflict':
      return { outcome: { ...base, ...result.fields, fileClass: 'conflict', reason: result.reason } };
    case 'stored': {
      delivery.failures.reset();
      const outcome: FileOutcome = { ...base, ...result.fields, status: result.status, targetAnswer: result.answer };
      if (result.proof !== undefined) return { outcome: result.proof.kind === 'same' ? { ...outcome, ...proofFields(result.proof) } : outcome };
      if (!delivery.verify || result.status === 'dropped') return { outcome };
      return { outcome, check: () => verified(outcome, ref, result.status, delivery) };
    }
  }
};
