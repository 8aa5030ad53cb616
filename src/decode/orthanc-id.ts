import { createHash } from 'node:crypto';
import type { DicomHeader } from '../core/types.js';

// Orthanc names an instance by the SHA-1 of "PatientID|StudyUID|SeriesUID|SOPInstanceUID",
// written as five dash-separated groups of 8 hex digits (orthanc-internals.md section 5).
export const orthancInstanceId = (header: Pick<DicomHeader, 'patientId' | 'studyInstanceUid' | 'seriesInstanceUid' | 'sopInstanceUid'>): string => {
  const key = [header.patientId, header.studyInstanceUid, header.seriesInstanceUid, header.sopInstanceUid].join('|');
  const hex = createHash('sha1').update(key, 'utf8').digest('hex');
  return hex.match(/.{8}/g)?.join('-') ?? hex;
};
