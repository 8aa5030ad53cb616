import type { DicomHeader, SkippedFile } from '../types.js';
import { parseDicomHeader } from './dicom-header.js';
import { sniff } from './sniff.js';

/** The verdict on decoded content: a DICOM instance to deliver, or a class and a reason. */
export type ContentVerdict = { readonly kind: 'dicom'; readonly header: DicomHeader } | Omit<SkippedFile, 'encoding' | 'diskSize'>;

const skip = (fileClass: SkippedFile['fileClass'], reason: string): ContentVerdict => ({ kind: 'skipped', fileClass, reason });

const DICOM_AS_JSON_KEY = /^[0-9a-f]{4},[0-9a-f]{4}$/i;

// Orthanc's dicom-as-json summaries are objects keyed "gggg,eeee" holding {Name, Type, Value}.
const classifyJson = (bytes: Uint8Array): ContentVerdict => {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  } catch {
    return skip('not-dicom', 'text that starts like JSON but is neither JSON nor DICOM');
  }
  const keys = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
  if (keys.length > 0 && keys.every((key) => DICOM_AS_JSON_KEY.test(key))) {
    return skip('json-summary', "Orthanc's dicom-as-json summary (attachment type 2, written up to Orthanc 1.9.0)");
  }
  return skip('not-dicom', 'a JSON document, not a DICOM file');
};

/** Largest JSON text worth parsing to tell a summary from other JSON. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

// Decides the class of decoded bytes (the whole file, or its head when the file is streamed).
export const classifyContent = (head: Uint8Array, totalSize: number): ContentVerdict => {
  switch (sniff(head)) {
    case 'empty':
      return skip('not-dicom', 'empty file');
    case 'sqlite':
      return skip('not-dicom', "an SQLite database (Orthanc's index or a plugin's database)");
    case 'sqlite-wal':
      return skip('not-dicom', 'an SQLite write-ahead log (index-wal)');
    case 'gzip':
      return skip('not-dicom', "gzip data (for example the DICOMweb plugin's series metadata cache, attachment 4301)");
    case 'zip':
      return skip('not-dicom', 'a ZIP archive (archives are not unpacked)');
    case 'json':
      if (head.length === totalSize && totalSize <= MAX_JSON_BYTES) return classifyJson(head);
      return skip('not-dicom', 'a large text file that starts like JSON');
    case 'orthanc-zlib':
    case 'dicom-part10':
    case 'unknown':
      break;
  }
  const parsed = parseDicomHeader(head, totalSize);
  if (!parsed.ok) return skip(parsed.notDicom ? 'not-dicom' : 'corrupt', parsed.reason);
  const { facts } = parsed;
  if (facts.isDicomdir) return skip('not-dicom', 'a DICOMDIR (a media directory, not an instance)');
  if (facts.isImage && !facts.hasPixelData && !facts.hasFloatPixelData && facts.endsBeforePixelData) {
    return skip(
      'pixel-data-cache',
      `an image header cut just before PixelData (7FE0,0010), SOP Instance UID ${facts.header.sopInstanceUid}: ` +
        "Orthanc's dicom-until-pixel-data attachment (type 3); uploading it would create a pixel-less instance",
    );
  }
  return { kind: 'dicom', header: facts.header };
};
