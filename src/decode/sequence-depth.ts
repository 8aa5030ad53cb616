/**
 * Sequences nested deeper than this are not sent: Orthanc 1.10.1 dies (its process exits) on a
 * file nested 48 levels deep and stores one nested 47 levels deep (test/decode/sequence-depth.test.ts);
 * dcmdump and dicom-parser overflow their stacks a few thousand levels down.
 */
export const MAX_SEQUENCE_DEPTH = 47;

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xe000;
const ITEM_END = 0xe00d;
const SEQUENCE_END = 0xe0dd;
/** Explicit VRs whose length takes 4 bytes after 2 reserved ones. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

type Open = { readonly sequence: boolean; readonly end: number };

/** How a dataset is encoded, enough to walk its elements. */
export interface DatasetLayout {
  readonly start: number;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

// Why: dicom-parser (and DICOM servers) recurse once per nested sequence, so the depth must be
// known before they parse. Walks the elements without recursion, jumping over values, and gives up
// (returning the depth seen so far) on anything it cannot follow; it stops at top-level PixelData.
export const sequenceDepth = (bytes: Uint8Array, layout: DatasetLayout): number => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { explicitVr, littleEndian } = layout;
  const open: Open[] = [];
  let depth = 0;
  let deepest = 0;
  let position = layout.start;
  const close = (untilSequence: boolean): void => {
    for (let last = open.pop(); last !== undefined; last = open.pop()) {
      if (last.sequence) depth--;
      if (last.sequence === untilSequence) return;
    }
  };
  while (position + 8 <= bytes.length) {
    for (let last = open.at(-1); last !== undefined && position >= last.end; last = open.at(-1)) {
      open.pop();
      if (last.sequence) depth--;
    }
    const group = view.getUint16(position, littleEndian);
    const element = view.getUint16(position + 2, littleEndian);
    if (group === 0xfffe) {
      const length = view.getUint32(position + 4, littleEndian);
      position += 8;
      if (element === ITEM) open.push({ sequence: false, end: length === UNDEFINED_LENGTH ? Infinity : position + length });
      else if (element === ITEM_END) close(false);
      else if (element === SEQUENCE_END) close(true);
      else return deepest;
      continue;
    }
    if (group === 0x7fe0 && element === 0x0010 && depth === 0) return deepest;
    const vr = explicitVr ? String.fromCharCode(bytes[position + 4] ?? 0, bytes[position + 5] ?? 0) : undefined;
    const long = vr === undefined || LONG_VRS.has(vr);
    if (long && position + 12 > bytes.length && vr !== undefined) return deepest;
    const length = vr === undefined ? view.getUint32(position + 4, littleEndian) : long ? view.getUint32(position + 8, littleEndian) : view.getUint16(position + 6, littleEndian);
    const valueStart = position + (vr !== undefined && long ? 12 : 8);
    const startsWithItem = valueStart + 4 <= bytes.length && view.getUint16(valueStart, littleEndian) === 0xfffe && view.getUint16(valueStart + 2, littleEndian) === ITEM;
    const isSequence = vr === 'SQ' || (vr === undefined && (length === UNDEFINED_LENGTH || startsWithItem));
    if (isSequence) {
      depth++;
      deepest = Math.max(deepest, depth);
      open.push({ sequence: true, end: length === UNDEFINED_LENGTH ? Infinity : valueStart + length });
      position = valueStart;
      continue;
    }
    if (length === UNDEFINED_LENGTH) return deepest;
    position = valueStart + length;
  }
  return deepest;
};
