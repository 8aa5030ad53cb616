// Builds minimal DICOM files in memory, byte by byte, so decoder tests control every length.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { orthancInstanceId } from '../../src/decode/orthanc-id.js';
import type { InstanceRef } from '../../src/targets/target.js';

export const UID = {
  explicitLe: '1.2.840.10008.1.2.1',
  implicitLe: '1.2.840.10008.1.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  ctImage: '1.2.840.10008.5.1.4.1.1.2',
  basicTextSr: '1.2.840.10008.5.1.4.1.1.88.11',
  dicomdir: '1.2.840.10008.1.3.10',
  implementationClass: '2.25.1234567890',
} as const;

/** One data element; `length` overrides the length written in its header (to make liars). */
export interface DataElement {
  readonly group: number;
  readonly element: number;
  readonly vr: string;
  readonly value: Uint8Array;
  readonly length?: number;
}

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UR', 'UT', 'UN']);
export const UNDEFINED_LENGTH = 0xffffffff;

export const concat = (...parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** A text value padded to an even length (space, or NUL for UIDs). */
export const text = (value: string, pad = ' '): Uint8Array => ascii(value.length % 2 === 0 ? value : value + pad);
export const uid = (value: string): Uint8Array => text(value, '\0');

export const u16 = (value: number): Uint8Array => {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value, true);
  return out;
};

export const u32 = (value: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
};

export const u64 = (value: bigint): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
};

const tagBytes = (group: number, element: number): Uint8Array => concat(u16(group), u16(element));

export const encodeExplicit = (e: DataElement): Uint8Array => {
  const length = e.length ?? e.value.length;
  const header = LONG_LENGTH_VRS.has(e.vr)
    ? concat(tagBytes(e.group, e.element), ascii(e.vr), new Uint8Array(2), u32(length))
    : concat(tagBytes(e.group, e.element), ascii(e.vr), u16(length));
  return concat(header, e.value);
};

export const encodeImplicit = (e: DataElement): Uint8Array =>
  concat(tagBytes(e.group, e.element), u32(e.length ?? e.value.length), e.value);

// Deterministic noise, so pixel data does not compress to nothing.
export const noise = (length: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
};

export type PixelDataKind = 'none' | 'native' | 'encapsulated' | 'encapsulated-unterminated' | 'float';

export interface DicomSpec {
  /** 128-byte preamble + 'DICM' before the meta group. @default true */
  readonly preamble?: boolean;
  readonly transferSyntaxUid?: string;
  /** SOP class in the dataset and as MediaStorageSOPClassUID in the meta group. */
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
  readonly patientId?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  /** Rows, Columns and BitsAllocated present. @default true */
  readonly image?: boolean;
  /** @default 'native' */
  readonly pixelData?: PixelDataKind;
  /** Bytes of native pixel data (or float pixel data). @default 64 */
  readonly pixelBytes?: number;
  /** Declared length of native PixelData when it should lie. */
  readonly pixelLengthOverride?: number;
  /** More dataset elements (sorted into place by tag). */
  readonly extra?: readonly DataElement[];
}

export interface BuiltDicom {
  readonly bytes: Uint8Array;
  /** Offset of the (7FE0,0010) tag, when there is one. */
  readonly pixelDataOffset: number | undefined;
}

export const DEFAULT_IDS = {
  sopClassUid: UID.ctImage,
  sopInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
  patientId: 'PAT-001',
  studyInstanceUid: '1.2.826.0.1.3680043.2.1125.2',
  seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.3',
} as const;

const byTag = (a: DataElement, b: DataElement): number => a.group - b.group || a.element - b.element;

// The dataset elements before the pixel data, sorted.
const datasetElements = (spec: DicomSpec): DataElement[] => {
  const image = spec.image ?? true;
  const elements: DataElement[] = [
    { group: 0x0008, element: 0x0016, vr: 'UI', value: uid(spec.sopClassUid ?? DEFAULT_IDS.sopClassUid) },
    { group: 0x0008, element: 0x0018, vr: 'UI', value: uid(spec.sopInstanceUid ?? DEFAULT_IDS.sopInstanceUid) },
    { group: 0x0008, element: 0x0060, vr: 'CS', value: text(image ? 'CT' : 'SR') },
    { group: 0x0010, element: 0x0010, vr: 'PN', value: text('Test^Patient') },
    { group: 0x0010, element: 0x0020, vr: 'LO', value: text(spec.patientId ?? DEFAULT_IDS.patientId) },
    { group: 0x0020, element: 0x000d, vr: 'UI', value: uid(spec.studyInstanceUid ?? DEFAULT_IDS.studyInstanceUid) },
    { group: 0x0020, element: 0x000e, vr: 'UI', value: uid(spec.seriesInstanceUid ?? DEFAULT_IDS.seriesInstanceUid) },
    ...(spec.extra ?? []),
  ];
  if (image) {
    elements.push(
      { group: 0x0028, element: 0x0010, vr: 'US', value: u16(8) },
      { group: 0x0028, element: 0x0011, vr: 'US', value: u16(4) },
      { group: 0x0028, element: 0x0100, vr: 'US', value: u16(spec.pixelData === 'float' ? 32 : 16) },
    );
  }
  if (spec.pixelData === 'float') {
    elements.push({ group: 0x7fe0, element: 0x0008, vr: 'OF', value: noise(spec.pixelBytes ?? 64, 7) });
  }
  return elements.sort(byTag);
};

const item = (value: Uint8Array): Uint8Array => concat(tagBytes(0xfffe, 0xe000), u32(value.length), value);
const SEQUENCE_DELIMITER = concat(tagBytes(0xfffe, 0xe0dd), u32(0));

// The (7FE0,0010) element in explicit VR, or nothing.
const pixelDataElement = (spec: DicomSpec): Uint8Array => {
  const kind = spec.pixelData ?? 'native';
  const header = concat(tagBytes(0x7fe0, 0x0010), ascii('OB'), new Uint8Array(2));
  switch (kind) {
    case 'none':
    case 'float':
      return new Uint8Array(0);
    case 'native':
      return encodeExplicit({ group: 0x7fe0, element: 0x0010, vr: 'OW', value: noise(spec.pixelBytes ?? 64), ...(spec.pixelLengthOverride === undefined ? {} : { length: spec.pixelLengthOverride }) });
    case 'encapsulated':
      return concat(header, u32(UNDEFINED_LENGTH), item(new Uint8Array(0)), item(noise(16, 3)), item(noise(10, 4)), SEQUENCE_DELIMITER);
    case 'encapsulated-unterminated':
      return concat(header, u32(UNDEFINED_LENGTH), item(new Uint8Array(0)), item(noise(16, 3)), item(noise(10, 4)));
  }
};

/** The file meta group (0002,xxxx) in explicit VR LE, with a correct group length. */
export const metaGroup = (sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Uint8Array => {
  const body = concat(
    encodeExplicit({ group: 0x0002, element: 0x0001, vr: 'OB', value: Uint8Array.of(0, 1) }),
    encodeExplicit({ group: 0x0002, element: 0x0002, vr: 'UI', value: uid(sopClassUid) }),
    encodeExplicit({ group: 0x0002, element: 0x0003, vr: 'UI', value: uid(sopInstanceUid) }),
    encodeExplicit({ group: 0x0002, element: 0x0010, vr: 'UI', value: uid(transferSyntaxUid) }),
    encodeExplicit({ group: 0x0002, element: 0x0012, vr: 'UI', value: uid(UID.implementationClass) }),
  );
  return concat(encodeExplicit({ group: 0x0002, element: 0x0000, vr: 'UL', value: u32(body.length) }), body);
};

/** A Part 10 file: optional preamble + DICM, meta group, explicit VR LE dataset, optional PixelData. */
export const buildPart10 = (spec: DicomSpec = {}): BuiltDicom => {
  const kind = spec.pixelData ?? 'native';
  const transferSyntax =
    spec.transferSyntaxUid ?? (kind === 'encapsulated' || kind === 'encapsulated-unterminated' ? UID.jpegBaseline : UID.explicitLe);
  const prefix = (spec.preamble ?? true) ? concat(new Uint8Array(128), ascii('DICM')) : new Uint8Array(0);
  const meta = metaGroup(spec.sopClassUid ?? DEFAULT_IDS.sopClassUid, spec.sopInstanceUid ?? DEFAULT_IDS.sopInstanceUid, transferSyntax);
  const dataset = concat(...datasetElements(spec).map(encodeExplicit));
  const pixel = pixelDataElement(spec);
  const beforePixel = prefix.length + meta.length + dataset.length;
  return { bytes: concat(prefix, meta, dataset, pixel), pixelDataOffset: pixel.length > 0 ? beforePixel : undefined };
};

/** Orthanc's dicom-until-pixel-data attachment: the file cut just before the (7FE0,0010) tag. */
export const cutBeforePixelData = (built: BuiltDicom): Uint8Array => {
  if (built.pixelDataOffset === undefined) throw new Error('this file has no PixelData to cut before');
  return built.bytes.slice(0, built.pixelDataOffset);
};

/** A dataset in implicit VR LE with no preamble and no meta group, as some archives store them. */
export const buildImplicitDataset = (spec: DicomSpec = {}): Uint8Array => {
  const parts = datasetElements({ ...spec, pixelData: 'none' }).map(encodeImplicit);
  if ((spec.pixelData ?? 'native') === 'native') {
    parts.push(encodeImplicit({ group: 0x7fe0, element: 0x0010, vr: 'OW', value: noise(spec.pixelBytes ?? 64) }));
  }
  return concat(...parts);
};

/** Orthanc's ZlibWithSize encoding: uint64 LE size (optionally a lie) + zlib stream at level 6. */
export const orthancCompress = (bytes: Uint8Array, announced: bigint = BigInt(bytes.length)): Uint8Array =>
  concat(u64(announced), deflateSync(bytes, { level: 6 }));

const PATIENT_NAME_PN = Buffer.from([0x10, 0x00, 0x10, 0x00, 0x50, 0x4e]);

// Another version of a DICOM file, of the same size and with the same identifiers: one letter of
// its PatientName changed (explicit VR only, where the element is found as such).
export const sameSizeOtherVersion = (bytes: Buffer): Buffer => {
  const at = bytes.indexOf(PATIENT_NAME_PN);
  if (at < 0) throw new Error('no explicit PatientName element to change');
  const copy = Buffer.from(bytes);
  copy[at + 8] = copy[at + 8] === 0x5a ? 0x59 : 0x5a;
  return copy;
};

// Why: backends are tested through the Target interface; this is how the run asks about an
// instance built from `spec` (its identifiers, MD5 and size), with its bytes.
export const instanceRefOf = (spec: DicomSpec = {}): { ref: InstanceRef; bytes: Uint8Array } => {
  const bytes = buildPart10(spec).bytes;
  const ids = { ...DEFAULT_IDS, ...spec };
  const header = { patientId: ids.patientId, studyInstanceUid: ids.studyInstanceUid, seriesInstanceUid: ids.seriesInstanceUid, sopInstanceUid: ids.sopInstanceUid };
  const md5 = createHash('md5').update(bytes).digest('hex');
  return { ref: { ...header, instanceId: orthancInstanceId(header), sopClassUid: ids.sopClassUid, md5, size: bytes.length }, bytes };
};
