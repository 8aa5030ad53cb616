import { createRequire } from 'node:module';
import { inflateRawSync } from 'node:zlib';
import type { DataSet, Element } from 'dicom-parser';
import type { DicomHeader } from '../core/types.js';
import { hasDicmPreamble } from './sniff.js';
import { MAX_SEQUENCE_DEPTH, sequenceDepth } from './sequence-depth.js';
import { decoderFor, latin1 } from './character-set.js';
import { errnoCode } from '../core/errno.js';

// dicom-parser is a UMD bundle: Node's ESM loader cannot see its named exports, require can.
const dicomParser = createRequire(import.meta.url)('dicom-parser') as typeof import('dicom-parser');

const PIXEL_DATA = 'x7fe00010';

/** A Deflated Transfer Syntax dataset larger than this once inflated is refused, not allocated. */
const MAX_INFLATED_DATASET = 1024 * 1024 * 1024;

// dicom-parser's own inflater has no limit: a small deflated file could claim gigabytes.
const inflateDeflatedDataset = (bytes: Uint8Array, position: number): Uint8Array => {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(bytes.subarray(position), { maxOutputLength: MAX_INFLATED_DATASET });
  } catch (error) {
    const code = errnoCode(error);
    throw new Error(code === 'ERR_BUFFER_TOO_LARGE' ? `the deflated dataset inflates to more than ${MAX_INFLATED_DATASET} bytes` : `the deflated dataset does not inflate (${(error as Error).message})`);
  }
  const whole = Buffer.allocUnsafe(position + inflated.length);
  whole.set(bytes.subarray(0, position), 0);
  whole.set(inflated, position);
  return whole;
};
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const DICOMDIR_CLASS = '1.2.840.10008.1.3.10';
const UNDEFINED_LENGTH = 0xffffffff;

/** What the header says about the file, enough to decide its class. */
export interface HeaderFacts {
  readonly header: DicomHeader;
  /** Rows, Columns and BitsAllocated are present: an image object. */
  readonly isImage: boolean;
  readonly hasPixelData: boolean;
  /** Float or double float pixel data (7FE0,0008/0009): an image without (7FE0,0010) on purpose. */
  readonly hasFloatPixelData: boolean;
  /** The file ends exactly where PixelData would begin: nothing at or after (7FE0,0010). */
  readonly endsBeforePixelData: boolean;
  /** Where the (7FE0,0010) element (its tag) begins in the bytes parsed; absent without one, or when deflated. */
  readonly pixelDataOffset: number | undefined;
  readonly isDicomdir: boolean;
}

export type HeaderResult =
  | { readonly ok: true; readonly facts: HeaderFacts }
  /** `tooDeep`: the sequences nest deeper than MAX_SEQUENCE_DEPTH (the reason says how deep). */
  | { readonly ok: false; readonly notDicom: boolean; readonly reason: string; readonly tooDeep?: true };

const isVrLetter = (b: number | undefined): boolean => b !== undefined && b >= 0x41 && b <= 0x5a;

// Guesses the transfer syntax of a dataset stored without any meta header from its first element.
const guessRawSyntax = (bytes: Uint8Array): string | undefined => {
  if (bytes.length < 8) return undefined;
  const explicitVr = isVrLetter(bytes[4]) && isVrLetter(bytes[5]);
  const groupLe = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
  const groupBe = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  if (explicitVr && groupLe >= 0x0008 && groupLe <= 0x0010) return EXPLICIT_LE;
  if (explicitVr && groupBe >= 0x0008 && groupBe <= 0x0010) return EXPLICIT_BE;
  if (groupLe >= 0x0008 && groupLe <= 0x0010 && groupLe % 2 === 0) return IMPLICIT_LE;
  return undefined;
};

const startsWithMetaGroup = (bytes: Uint8Array): boolean =>
  bytes.length >= 8 && bytes[0] === 0x02 && bytes[1] === 0x00 && isVrLetter(bytes[4]) && isVrLetter(bytes[5]);

const describe = (thrown: unknown): string => {
  const inner = typeof thrown === 'object' && thrown !== null && 'exception' in thrown ? thrown.exception : thrown;
  const text = inner instanceof Error ? inner.message : String(inner);
  return text.replace(/^dicomParser\.\w+: /, '').replace(/\s+/g, ' ');
};

type Parsed = { dataSet: DataSet; assumedSyntax?: string; prefixShift: number };

// Parses up to the PixelData element, coping with files stored without preamble or meta header.
type ParseError = { error: string; notDicom: boolean; overrun?: Element | undefined; shift: number; tooDeep?: true };

/** Thrown before parsing a dataset whose sequences nest too deep to parse safely. */
class TooDeep extends Error {}

const tooDeepReason = (depth: number | undefined): string =>
  `nested ${depth === undefined ? 'too many' : String(depth)} levels deep: not sent, it crashes common DICOM servers`;

type ParseOptions = { untilTag: string; inflater: typeof inflateDeflatedDataset; TransferSyntaxUID?: string };

// How deep the dataset's sequences nest, measured without recursion (a Part 10 file's dataset
// starts after its meta header, in the syntax the meta header names).
const nestingOf = (bytes: Uint8Array, options: ParseOptions): number => {
  let syntax = options.TransferSyntaxUID;
  let start = 0;
  let dataset = bytes;
  if (syntax === undefined) {
    const meta = dicomParser.readPart10Header(bytes) as DataSet & { position: number };
    syntax = meta.string('x00020010')?.trim() ?? EXPLICIT_LE;
    start = meta.position;
    if (syntax === DEFLATED) dataset = inflateDeflatedDataset(bytes, start);
  }
  return sequenceDepth(dataset, { start, explicitVr: syntax !== IMPLICIT_LE, littleEndian: syntax !== EXPLICIT_BE });
};

// dicom-parser, refusing beforehand a dataset nested deeper than it (or a server) can follow.
const parseGuarded = (bytes: Uint8Array, options: ParseOptions): DataSet => {
  const depth = nestingOf(bytes, options);
  if (depth > MAX_SEQUENCE_DEPTH) throw new TooDeep(tooDeepReason(depth));
  return dicomParser.parseDicom(bytes, options);
};

// The element dicom-parser was reading when it ran out of bytes: it stores an element before it
// checks that its value fits, and throws the partial dataset along with the error.
const overrunIn = (thrown: unknown, available: number): Element | undefined => {
  const partial = typeof thrown === 'object' && thrown !== null && 'dataSet' in thrown ? (thrown.dataSet as DataSet | undefined) : undefined;
  if (partial?.elements === undefined) return undefined;
  return Object.values(partial.elements).find((element) => element.length !== UNDEFINED_LENGTH && element.dataOffset + element.length > available);
};

const parseUntilPixelData = (bytes: Uint8Array): Parsed | ParseError => {
  const options = { untilTag: PIXEL_DATA, inflater: inflateDeflatedDataset };
  try {
    if (hasDicmPreamble(bytes)) return { dataSet: parseGuarded(bytes, options), prefixShift: 0 };
    if (startsWithMetaGroup(bytes)) {
      // A meta header without its preamble: give the parser the preamble it expects.
      const padded = new Uint8Array(bytes.length + 132);
      padded.set([0x44, 0x49, 0x43, 0x4d], 128);
      padded.set(bytes, 132);
      return { dataSet: parseGuarded(padded, options), prefixShift: 132 };
    }
    const assumedSyntax = guessRawSyntax(bytes);
    if (assumedSyntax === undefined) {
      return { error: 'no DICM preamble and not a DICOM dataset', notDicom: true, shift: 0 };
    }
    const dataSet = parseGuarded(bytes, { ...options, TransferSyntaxUID: assumedSyntax });
    return { dataSet, assumedSyntax, prefixShift: 0 };
  } catch (thrown) {
    const notDicom = !hasDicmPreamble(bytes) && !startsWithMetaGroup(bytes);
    const shift = !hasDicmPreamble(bytes) && startsWithMetaGroup(bytes) ? 132 : 0;
    if (thrown instanceof TooDeep) return { error: thrown.message, notDicom: false, shift, tooDeep: true };
    // Nesting the depth walk could not follow, still too deep for the parser's stack.
    if (thrown instanceof RangeError && /call stack/i.test(thrown.message)) return { error: tooDeepReason(undefined), notDicom: false, shift, tooDeep: true };
    return { error: `the DICOM header does not parse (${describe(thrown)})`, notDicom, overrun: overrunIn(thrown, bytes.length + shift), shift };
  }
};

// Finds the first element whose value runs past the end of the bytes the parser saw.
const findOverrun = (dataSet: DataSet, available: number): Element | undefined =>
  Object.values(dataSet.elements).find(
    (element) =>
      element.tag !== PIXEL_DATA &&
      element.length !== UNDEFINED_LENGTH &&
      element.dataOffset + element.length > available,
  );

// Walks the fragments of encapsulated pixel data and says whether the sequence delimiter is there.
const encapsulatedEnds = (bytes: Uint8Array, start: number): boolean => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = start;
  while (position + 8 <= bytes.length) {
    const group = view.getUint16(position, true);
    const element = view.getUint16(position + 2, true);
    const length = view.getUint32(position + 4, true);
    if (group === 0xfffe && element === 0xe0dd) return true;
    if (group !== 0xfffe || element !== 0xe000 || length === UNDEFINED_LENGTH) return false;
    position += 8 + length;
  }
  return false;
};

// Checks that the pixel data the header announces is all there (the cheap way: by lengths).
const checkPixelData = (dataSet: DataSet, totalSize: number, whole: boolean, shift: number): string | undefined => {
  const pixel = dataSet.elements[PIXEL_DATA];
  if (pixel === undefined) return undefined;
  if (pixel.length !== UNDEFINED_LENGTH) {
    const limit = totalSize + shift;
    if (pixel.dataOffset + pixel.length > limit) {
      return `PixelData declares ${pixel.length} bytes but only ${limit - pixel.dataOffset} follow it`;
    }
    return undefined;
  }
  if (whole && !encapsulatedEnds(dataSet.byteArray, pixel.dataOffset)) {
    return 'encapsulated PixelData is cut short (no sequence delimiter after its fragments)';
  }
  return undefined;
};

/** How dicom-parser says it needed bytes past the end of what it was given. */
const RAN_OUT = /past end of buffer|buffer overrun|cannot be greater than or equal to 'byteArray' length/;

// Reads a text element as Orthanc does: up to a NUL byte, decoded in the dataset's character set,
// without leading or trailing spaces.
const readText = (dataSet: DataSet, tag: string, decode: (bytes: Uint8Array) => string): string => {
  const element = dataSet.elements[tag];
  if (element === undefined || element.length === UNDEFINED_LENGTH) return '';
  const value = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  const nul = value.indexOf(0);
  return decode(nul === -1 ? value : value.subarray(0, nul)).trim();
};

const read = (dataSet: DataSet, tag: string): string => readText(dataSet, tag, latin1);

// Where the PixelData element's tag begins in the bytes given (dicom-parser gives its value's offset).
const pixelDataStart = (dataSet: DataSet, shift: number, littleEndian: boolean): number | undefined => {
  const pixel = dataSet.elements[PIXEL_DATA];
  if (pixel === undefined) return undefined;
  const tag = littleEndian ? [0xe0, 0x7f, 0x10, 0x00] : [0x7f, 0xe0, 0x00, 0x10];
  const at = [12, 8].map((header) => pixel.dataOffset - header).find((start) => start >= 0 && tag.every((byte, i) => dataSet.byteArray[start + i] === byte));
  return at === undefined ? undefined : at - shift;
};

// PatientID as Orthanc reads it (and names the instance by): like any text element, cut at a NUL
// byte and decoded in the dataset's character set, without its trailing spaces, but with its
// leading spaces, tabs and other whitespace (Orthanc 1.10 gives ' ABC' and 'ABC' two patient IDs,
// so two instance IDs, where trim() would merge them).
const readPatientId = (dataSet: DataSet, decode: (bytes: Uint8Array) => string): string => {
  const element = dataSet.elements['x00100020'];
  if (element === undefined || element.length === UNDEFINED_LENGTH) return '';
  const value = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  const nul = value.indexOf(0);
  return decode(nul === -1 ? value : value.subarray(0, nul)).replace(/ +$/, '');
};

// Reads the identifiers and the facts the classifier needs, parsing no further than the pixel data.
export const parseDicomHeader = (bytes: Uint8Array, totalSize: number): HeaderResult => {
  const parsed = parseUntilPixelData(bytes);
  if ('error' in parsed) {
    if (parsed.tooDeep === true) return { ok: false, notDicom: false, reason: parsed.error, tooDeep: true };
    if (parsed.notDicom || !RAN_OUT.test(parsed.error)) return { ok: false, notDicom: parsed.notDicom, reason: parsed.error };
    // dicom-parser's words for running out of bytes; say what it means for the file.
    const whole = bytes.length >= totalSize;
    const end = whole ? `the end of the file (${totalSize} bytes)` : `the ${bytes.length} header bytes read`;
    const { overrun } = parsed;
    if (overrun !== undefined) {
      const tag = `(${overrun.tag.slice(1, 5)},${overrun.tag.slice(5)})`;
      const cut = whole ? ': the file is cut short or the length is wrong' : '';
      return { ok: false, notDicom: false, reason: `element ${tag} declares ${overrun.length} bytes at offset ${overrun.dataOffset - parsed.shift}, past ${end}${cut}` };
    }
    const where = whole ? 'the file ends in the middle of a DICOM element (cut short?)' : `the DICOM header runs past ${end}`;
    return { ok: false, notDicom: false, reason: `${where}: ${parsed.error}` };
  }
  const { dataSet, assumedSyntax, prefixShift } = parsed;
  const whole = bytes.length === totalSize;
  const syntax = assumedSyntax ?? read(dataSet, 'x00020010');
  const decode = decoderFor(read(dataSet, 'x00080005'));
  const header: DicomHeader = {
    patientId: readPatientId(dataSet, decode),
    studyInstanceUid: read(dataSet, 'x0020000d'),
    seriesInstanceUid: read(dataSet, 'x0020000e'),
    sopInstanceUid: read(dataSet, 'x00080018'),
    sopClassUid: read(dataSet, 'x00080016') || read(dataSet, 'x00020002'),
    transferSyntaxUid: syntax,
    accessionNumber: readText(dataSet, 'x00080050', decode),
    modality: read(dataSet, 'x00080060'),
    studyDate: read(dataSet, 'x00080020'),
  };
  if (assumedSyntax !== undefined && header.sopInstanceUid === '' && header.studyInstanceUid === '') {
    return { ok: false, notDicom: true, reason: 'no DICM preamble and no DICOM identifiers' };
  }
  const available = syntax === DEFLATED ? dataSet.byteArray.length : Math.min(bytes.length, totalSize) + prefixShift;
  const overrun = findOverrun(dataSet, available);
  if (overrun !== undefined) {
    const where = whole ? 'the end of the file' : `the ${bytes.length} header bytes read`;
    return { ok: false, notDicom: false, reason: `element (${overrun.tag.slice(1, 5)},${overrun.tag.slice(5)}) runs past ${where}` };
  }
  const pixelProblem = syntax === DEFLATED ? undefined : checkPixelData(dataSet, totalSize, whole, prefixShift);
  if (pixelProblem !== undefined) return { ok: false, notDicom: false, reason: pixelProblem };
  const tags = Object.keys(dataSet.elements);
  return {
    ok: true,
    facts: {
      header,
      isImage: ['x00280010', 'x00280011', 'x00280100'].every((tag) => tag in dataSet.elements),
      hasPixelData: PIXEL_DATA in dataSet.elements,
      hasFloatPixelData: 'x7fe00008' in dataSet.elements || 'x7fe00009' in dataSet.elements,
      endsBeforePixelData: whole && tags.every((tag) => tag < PIXEL_DATA || tag.startsWith('x0002')),
      pixelDataOffset: syntax === DEFLATED ? undefined : pixelDataStart(dataSet, prefixShift, syntax !== EXPLICIT_BE),
      isDicomdir: read(dataSet, 'x00020002') === DICOMDIR_CLASS || 'x00041220' in dataSet.elements,
    },
  };
};
