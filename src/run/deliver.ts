import { decodedStream } from '../decode/file-body.js';
import type { Uploader, UploadResult } from '../targets/orthanc/upload.js';
import { dicomOutcome, skippedOutcome, type Classified, type DecodedDicom, type FileEntry, type FileOutcome } from '../core/types.js';
import { compareStored, otherVersion } from './verify.js';

/** The target side of a run: where to send, and how to check what arrived. */
export interface Delivery {
  readonly uploader: Uploader;
  readonly verify: boolean;
  readonly transcoding: boolean;
}

type FailedUpload = Extract<UploadResult, { kind: 'failed' }>;

const outcomeOfUpload = (entry: FileEntry, dicom: DecodedDicom, result: Exclude<UploadResult, FailedUpload>): FileOutcome => {
  const base = dicomOutcome(entry, dicom);
  switch (result.kind) {
    case 'stored':
      return { ...base, fileClass: 'dicom', status: result.status, instanceId: result.id, httpStatus: result.httpStatus };
    case 'rejected':
      return {
        ...base,
        fileClass: 'rejected',
        instanceId: dicom.orthancId,
        reason: `the target answered HTTP ${result.httpStatus}: ${result.message}${result.details === undefined ? '' : ` (${result.details})`}`,
        httpStatus: result.httpStatus,
        orthancMessage: result.message,
        ...(result.details === undefined ? {} : { orthancDetails: result.details }),
      };
  }
};

// Before an upload counts as failed (retries exhausted, its answer lost), the target is asked
// whether it holds the instance: it may have stored it and lost only the answer.
const afterFailedUpload = async (entry: FileEntry, dicom: DecodedDicom, result: FailedUpload, delivery: Delivery): Promise<FileOutcome> => {
  const base = dicomOutcome(entry, dicom);
  const { uploader } = delivery;
  const { instanceId, stored } = await uploader.findStored(dicom.orthancId, dicom.header.sopInstanceUid);
  const verdict = compareStored('AlreadyStored', { md5: dicom.md5, size: dicom.decodedSize }, stored, delivery.transcoding);
  switch (verdict.kind) {
    case 'verified':
      uploader.failures.reset();
      return { ...base, status: 'Success', answerLost: true, instanceId, verified: verdict.by, targetFile: verdict.file, reason: `answer lost (${result.reason}); found on the target` };
    case 'conflict':
      return { ...base, fileClass: 'conflict', instanceId, reason: `answer lost (${result.reason}); ${verdict.reason}` };
    case 'absent':
      uploader.failures.add(result.cause, result.reason);
      return { ...base, fileClass: 'failed', instanceId, reason: `${result.reason}; the target does not hold it` };
    case 'unverified':
      uploader.failures.add(result.cause, result.reason);
      return { ...base, fileClass: 'failed', instanceId, reason: `${result.reason}; whether the target holds it is not known (${verdict.reason})` };
  }
};

// Reads back what the target stored and turns a stored outcome into verified, conflict or unverified.
const verifyOutcome = async (outcome: FileOutcome, dicom: DecodedDicom, delivery: Delivery): Promise<FileOutcome> => {
  if (!delivery.verify || outcome.status === undefined || outcome.status === 'FilteredOut' || outcome.instanceId === undefined) return outcome;
  const stored = await delivery.uploader.storedAttachment(outcome.instanceId);
  const verdict = compareStored(outcome.status, { md5: dicom.md5, size: dicom.decodedSize }, stored, delivery.transcoding);
  switch (verdict.kind) {
    case 'verified':
      return verdict.file === undefined ? { ...outcome, verified: verdict.by } : { ...outcome, verified: verdict.by, targetFile: verdict.file };
    case 'conflict': {
      const reason = outcome.status === 'AlreadyStored' ? otherVersion(verdict.what, await delivery.uploader.storedCopy(outcome.instanceId), dicom.header.transferSyntaxUid) : verdict.reason;
      return { ...outcome, fileClass: 'conflict', reason };
    }
    case 'unverified':
      return { ...outcome, reason: `delivered, not verified: ${verdict.reason}` };
    case 'absent':
      return { ...outcome, fileClass: 'failed', reason: 'the target accepted it, then did not hold it when checked (deleted or recycled since?)' };
  }
};

// Turns one classified file into its final outcome: uploaded and verified, or explained.
export const deliver = async (entry: FileEntry, classified: Classified, delivery: Delivery | undefined): Promise<FileOutcome> => {
  if (classified.kind === 'skipped') return skippedOutcome(entry, classified);
  if (delivery === undefined) return { ...dicomOutcome(entry, classified), instanceId: classified.orthancId };
  const body = classified.bytes ?? (() => decodedStream(entry.rawPath ?? entry.path, classified.encoding));
  const result = await delivery.uploader.upload(body, classified.decodedSize);
  if (result.kind === 'failed') return afterFailedUpload(entry, classified, result, delivery);
  return verifyOutcome(outcomeOfUpload(entry, classified, result), classified, delivery);
};
