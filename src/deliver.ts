import { decodedStream } from './file-body.js';
import type { Uploader, UploadResult } from './upload.js';
import { skippedOutcome, treeFields, type Classified, type DecodedDicom, type FileEntry, type FileOutcome } from './types.js';
import { compareStored, otherVersion } from './verify.js';

/** The target side of a run: where to send, and how to check what arrived. */
export interface Delivery {
  readonly uploader: Uploader;
  readonly verify: boolean;
  readonly transcoding: boolean;
}

const outcomeOfUpload = (entry: FileEntry, dicom: DecodedDicom, result: UploadResult): FileOutcome => {
  const base = { path: entry.relativePath, size: dicom.diskSize, encoding: dicom.encoding, decodedSize: dicom.decodedSize, md5: dicom.md5, sopInstanceUid: dicom.header.sopInstanceUid, ...treeFields(dicom.header) };
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
    case 'failed':
      return { ...base, fileClass: 'failed', instanceId: dicom.orthancId, reason: result.reason };
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
  if (delivery === undefined) {
    const { encoding, decodedSize, md5, orthancId, diskSize } = classified;
    return { path: entry.relativePath, size: diskSize, fileClass: 'dicom', encoding, decodedSize, md5, instanceId: orthancId, sopInstanceUid: classified.header.sopInstanceUid, ...treeFields(classified.header) };
  }
  const body = classified.bytes ?? (() => decodedStream(entry.rawPath ?? entry.path, classified.encoding));
  const outcome = outcomeOfUpload(entry, classified, await delivery.uploader.upload(body, classified.decodedSize));
  return verifyOutcome(outcome, classified, delivery);
};
