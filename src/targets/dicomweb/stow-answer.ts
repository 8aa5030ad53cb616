// What a STOW-RS answer says of each instance sent: PS3.18 10.5.3, with the words of PS3.4's
// status codes, so that a rejected instance is explained in the report.
import { itemsOf, numberOf, parseDicomJson, stringOf, type DicomJson } from './dicom-json.js';

/** What the server said of one instance of the request. */
export type PartFate =
  | { readonly kind: 'stored'; readonly warning?: string }
  | { readonly kind: 'failed'; readonly code: number | undefined; readonly reason: string };

const REFERENCED_SOP_SEQUENCE = '00081199';
const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_INSTANCE_UID = '00081155';
const WARNING_REASON = '00081196';
const FAILURE_REASON = '00081197';

/** The status code of a server out of storage. */
export const OUT_OF_RESOURCES = 0xa700;

const STATUS_WORDS: ReadonlyMap<number, string> = new Map([
  [0x0110, 'processing failure'],
  [0x0122, 'SOP Class not supported'],
  [0x0124, 'not authorized'],
  [0xa700, 'out of resources'],
  [0xa900, 'data set does not match the SOP Class'],
  [0xb000, 'coercion of data elements'],
  [0xb006, 'elements discarded'],
  [0xb007, 'data set does not match the SOP Class'],
  [0xc000, 'cannot understand'],
  [0xc122, 'transfer syntax not supported'],
]);

// The family of a code PS3.4 names by its high byte only (A7xx, A9xx, Cxxx).
const familyWords = (code: number): string | undefined => {
  if (code >> 8 === 0xa7) return 'out of resources';
  if (code >> 8 === 0xa9) return 'data set does not match the SOP Class';
  if (code >> 12 === 0xc) return 'cannot understand';
  return undefined;
};

// Why: a status code in the report says nothing to most users: "0xC000 (cannot understand)".
export const statusInWords = (code: number): string => {
  const hex = `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const words = STATUS_WORDS.get(code) ?? familyWords(code);
  return words === undefined ? hex : `${hex} (${words})`;
};

const storedFate = (item: DicomJson): PartFate => {
  const warning = numberOf(item, WARNING_REASON);
  return warning === undefined ? { kind: 'stored' } : { kind: 'stored', warning: statusInWords(warning) };
};

const failedFate = (item: DicomJson): PartFate => {
  const code = numberOf(item, FAILURE_REASON);
  return { kind: 'failed', code, reason: code === undefined ? 'the server listed it as failed without a reason' : statusInWords(code) };
};

// Why: the fate of each instance is in the sequences, whatever the HTTP status (Orthanc's plugin
// 1.7 answers 200 with failures, 400 with some instances stored). Keyed by SOP Instance UID;
// undefined when the answer is not a DICOM JSON dataset (then no instance's fate is known).
export const readStowAnswer = (text: string): ReadonlyMap<string, PartFate> | undefined => {
  const answer = parseDicomJson(text);
  if (answer === undefined || Array.isArray(answer)) return undefined;
  const dataset = answer as DicomJson;
  const fates = new Map<string, PartFate>();
  for (const item of itemsOf(dataset, REFERENCED_SOP_SEQUENCE)) fates.set(stringOf(item, REFERENCED_SOP_INSTANCE_UID), storedFate(item));
  // A failure wins over a success for the same UID (the same instance twice in one request).
  for (const item of itemsOf(dataset, FAILED_SOP_SEQUENCE)) fates.set(stringOf(item, REFERENCED_SOP_INSTANCE_UID), failedFate(item));
  fates.delete('');
  return fates;
};
