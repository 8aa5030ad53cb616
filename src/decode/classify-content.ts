import type { DecodedDicom, DicomHeader, SkippedFile } from '../core/types.js';
import { parseDicomHeader } from './dicom-header.js';
import { hasDicmPreamble, sniff } from './sniff.js';
import { md5Of } from './read-bytes.js';

/**
 * The verdict on decoded content: a DICOM instance to deliver, or a class and a reason. A DICOM
 * instance says where its PixelData begins, or, without PixelData, whether it could be the
 * dicom-until-pixel-data cache of another file (src/cache-evidence.ts decides).
 */
export type ContentVerdict =
  | { readonly kind: 'dicom'; readonly header: DicomHeader; readonly pixelDataOffset: number | undefined; readonly cacheCandidate: boolean }
  | Omit<SkippedFile, 'encoding' | 'diskSize'>;

const skip = (fileClass: SkippedFile['fileClass'], reason: string): ContentVerdict => ({ kind: 'skipped', fileClass, reason });

const DICOM_AS_JSON_KEY = /^[0-9a-f]{4},[0-9a-f]{4}$/i;
/** The Type of an entry in Orthanc's dicom-as-json format (FromDcmtkBridge, DicomToJsonFormat_Full). */
const DICOM_AS_JSON_TYPES = new Set(['String', 'Sequence', 'Null', 'TooLong', 'Binary']);

const isSummaryEntry = (entry: unknown): boolean => {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
  const { Name, Type } = entry as { Name?: unknown; Type?: unknown };
  return typeof Name === 'string' && typeof Type === 'string' && DICOM_AS_JSON_TYPES.has(Type) && 'Value' in entry;
};

// Orthanc's dicom-as-json summaries are objects keyed "gggg,eeee" holding {Name, Type, Value};
// anything else (DICOM-JSON of PS3.18, keyed "ggggeeee" with {vr, Value}; any other JSON) is not one.
const classifyJson = (bytes: Uint8Array): ContentVerdict => {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  } catch {
    return skip('not-dicom', 'text that starts like JSON but is neither JSON nor DICOM');
  }
  const entries = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value) : [];
  if (entries.length > 0 && entries.every(([key, entry]) => DICOM_AS_JSON_KEY.test(key) && isSummaryEntry(entry))) {
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
  if (!parsed.ok) return skip(parsed.tooDeep === true ? 'too-deep' : parsed.notDicom ? 'not-dicom' : 'corrupt', parsed.reason);
  const { facts } = parsed;
  if (facts.isDicomdir) return skip('not-dicom', 'a DICOMDIR (a media directory, not an instance)');
  // Orthanc writes its type-3 cache only for files with the preamble (orthanc-internals.md section 3).
  const cacheCandidate = hasDicmPreamble(head) && !facts.hasPixelData && facts.endsBeforePixelData;
  return { kind: 'dicom', header: facts.header, pixelDataOffset: facts.pixelDataOffset, cacheCandidate };
};

// What a DICOM verdict tells src/cache-evidence.ts: the MD5 of the bytes before PixelData (taken
// from `head`, the decoded bytes the verdict was reached on), or that the file could be a cache.
export const cacheFacts = (
  verdict: { readonly pixelDataOffset: number | undefined; readonly cacheCandidate: boolean },
  head: Uint8Array,
): Pick<DecodedDicom, 'pixelData' | 'cacheCandidate'> => {
  const offset = verdict.pixelDataOffset;
  if (offset !== undefined && offset <= head.length) {
    return { pixelData: { offset, prefixMd5: md5Of(head.subarray(0, offset)) } };
  }
  return verdict.cacheCandidate ? { cacheCandidate: true } : {};
};
