// What a DICOMweb server holds of one study, from QIDO-RS (GET ROOT/studies/S/instances): the
// SOP Class of every SOP Instance UID, page after page.
import { parseDicomJson, stringOf, type DicomJson } from './dicom-json.js';

const SOP_CLASS_UID = '00080016';
const SOP_INSTANCE_UID = '00080018';

/** One page of a study's instances: SOP Instance UID -> SOP Class UID. */
export interface QidoPage {
  readonly instances: ReadonlyMap<string, string>;
  /** Items the page held (a full page asks for the next). */
  readonly count: number;
}

// Why: a QIDO answer that is not a DICOM JSON array is not a DICOMweb server's (undefined).
export const readQidoPage = (text: string): QidoPage | undefined => {
  const answer = parseDicomJson(text);
  if (!Array.isArray(answer)) return undefined;
  const instances = new Map<string, string>();
  for (const item of answer as readonly DicomJson[]) {
    const uid = stringOf(item, SOP_INSTANCE_UID);
    if (uid !== '') instances.set(uid, stringOf(item, SOP_CLASS_UID));
  }
  return { instances, count: answer.length };
};

/** Instances asked for per QIDO page; a server that caps lower answers less, and is paged on. */
export const QIDO_PAGE = 1000;

// The path of one page of a study's instances under the DICOMweb root.
export const qidoPath = (studyInstanceUid: string, offset: number): string =>
  `/studies/${encodeURIComponent(studyInstanceUid)}/instances?includefield=00080016&limit=${QIDO_PAGE}&offset=${offset}`;

// The path of a query for the instances of a study among these SOP Instance UIDs (UID list
// matching, PS3.18: the values separated by commas; Orthanc's plugin 1.7 matches them).
export const namedPath = (studyInstanceUid: string, sopInstanceUids: readonly string[]): string =>
  `/studies/${encodeURIComponent(studyInstanceUid)}/instances?includefield=00080016&SOPInstanceUID=${sopInstanceUids.map(encodeURIComponent).join(',')}`;
