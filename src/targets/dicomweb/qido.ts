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

// The path of one page of a study's instances under the DICOMweb root; of one of them, by its UID
// (a single-value match, which Orthanc answers from its index, unlike a list of UIDs).
export const qidoPath = (studyInstanceUid: string, offset: number, sopInstanceUid?: string): string =>
  `/studies/${encodeURIComponent(studyInstanceUid)}/instances?includefield=00080016&limit=${QIDO_PAGE}&offset=${offset}${sopInstanceUid === undefined ? '' : `&SOPInstanceUID=${encodeURIComponent(sopInstanceUid)}`}`;
