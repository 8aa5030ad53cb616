// `check`: proves (or disproves) that each source instance is on the target with the same bytes,
// sending nothing: the evidence a user wants before deleting the old server. Written once, for
// every target (an Orthanc, a DICOMweb server, a recovery folder).
import type { Target } from '../targets/target.js';
import { BLANK_HEADER, dicomOutcome, encodingOf, skippedOutcome, type Classified, type DecodedDicom, type FileEntry, type FileOutcome, type SourceItem } from '../core/types.js';
import { instanceRef, proofFields } from './deliver.js';

// In a check, an indexed instance whose MD5 the index stored needs no reading at all (when the
// target can be asked without its header: see Target.features).
export const knownFromIndex = (item: SourceItem): DecodedDicom | undefined => {
  if (item.kind !== 'indexed' || item.expected.uncompressedMd5 === '') return undefined;
  const { expected } = item;
  return {
    kind: 'dicom',
    diskSize: expected.compressedSize,
    encoding: encodingOf(expected),
    header: { ...BLANK_HEADER, ...item.tags },
    decodedSize: expected.uncompressedSize,
    md5: expected.uncompressedMd5,
    orthancId: expected.instanceId,
  };
};

// Why: one instance's answer in a check: verified, conflict, absent, or not known.
export const checkOne = async (entry: FileEntry, classified: Classified, target: Target): Promise<FileOutcome> => {
  if (classified.kind === 'skipped') return skippedOutcome(entry, classified);
  const base = dicomOutcome(entry, classified);
  const held = await target.holds(instanceRef(classified));
  const instanceId = held.instanceId ?? classified.orthancId;
  switch (held.kind) {
    case 'same':
      return { ...base, fileClass: 'dicom', instanceId, ...proofFields(held) };
    case 'other':
      return { ...base, fileClass: 'conflict', instanceId, reason: held.reason };
    case 'absent':
      return { ...base, fileClass: 'absent', instanceId, reason: `instance ${instanceId} is not on the target` };
    case 'unknown':
      return { ...base, fileClass: 'failed', instanceId, reason: held.reason };
  }
};
