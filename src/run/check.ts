import type { Uploader } from '../targets/orthanc/upload.js';
import { BLANK_HEADER, dicomOutcome, skippedOutcome, type Classified, type DecodedDicom, type FileEntry, type FileOutcome, type SourceItem } from '../core/types.js';
import { compareStored, otherVersion } from './verify.js';


// In a check, an indexed instance whose MD5 the index stored needs no reading at all.
export const knownFromIndex = (item: SourceItem): DecodedDicom | undefined => {
  if (item.kind !== 'indexed' || item.expected.uncompressedMd5 === '') return undefined;
  const { expected } = item;
  return {
    kind: 'dicom',
    diskSize: expected.compressedSize,
    encoding: expected.compressionType === 2 ? 'zlib' : 'raw',
    header: { ...BLANK_HEADER, ...item.tags },
    decodedSize: expected.uncompressedSize,
    md5: expected.uncompressedMd5,
    orthancId: expected.instanceId,
  };
};

// Proves (or disproves) that one source instance is on the target with the same bytes, uploading
// nothing: the evidence a user wants before deleting the old server.
export const checkOne = async (entry: FileEntry, classified: Classified, uploader: Uploader): Promise<FileOutcome> => {
  if (classified.kind === 'skipped') return skippedOutcome(entry, classified);
  const base = dicomOutcome(entry, classified);
  const { instanceId, stored } = await uploader.findStored(classified.orthancId, classified.header.sopInstanceUid);
  const verdict = compareStored('AlreadyStored', { md5: classified.md5, size: classified.decodedSize }, stored, false);
  switch (verdict.kind) {
    case 'verified':
      return { ...base, fileClass: 'dicom', instanceId, verified: verdict.by };
    case 'conflict':
      return { ...base, fileClass: 'conflict', instanceId, reason: otherVersion(verdict.what, await uploader.storedCopy(instanceId), classified.header.transferSyntaxUid) };
    case 'absent':
      return { ...base, fileClass: 'absent', instanceId, reason: `instance ${instanceId} is not on the target` };
    case 'unverified':
      return { ...base, fileClass: 'failed', instanceId, reason: verdict.reason };
  }
};
