/** What the first bytes of a file say it is, before any decoding. */
export type Sniffed =
  | 'empty'
  | 'dicom-part10'
  | 'orthanc-zlib'
  | 'sqlite'
  | 'sqlite-wal'
  | 'gzip'
  | 'zip'
  | 'json'
  | 'unknown';

const DICM = [0x44, 0x49, 0x43, 0x4d];
const SQLITE = Array.from('SQLite format 3\0', (c) => c.charCodeAt(0));

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0): boolean =>
  bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);

// The zlib header rule (RFC 1950): deflate method, window <= 32K, no preset dictionary, FCHECK.
export const isZlibHeader = (cmf: number | undefined, flg: number | undefined): boolean =>
  cmf !== undefined &&
  flg !== undefined &&
  (cmf & 0x0f) === 8 &&
  cmf >> 4 <= 7 &&
  (flg & 0x20) === 0 &&
  (cmf * 256 + flg) % 31 === 0;

// True when the bytes carry the 128-byte preamble followed by "DICM" (DICOM Part 10).
export const hasDicmPreamble = (bytes: Uint8Array): boolean => startsWith(bytes, DICM, 128);

const firstNonSpace = (bytes: Uint8Array): number | undefined => {
  for (const b of bytes.subarray(0, 64)) {
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return undefined;
};

// Classifies a file from its first bytes so the worker knows how to decode it; cheap and pure.
export const sniff = (head: Uint8Array): Sniffed => {
  if (head.length === 0) return 'empty';
  if (hasDicmPreamble(head)) return 'dicom-part10';
  // Orthanc always writes compress2() output with a 32 KiB window, so the stream starts with 0x78.
  if (head.length >= 10 && head[8] === 0x78 && isZlibHeader(head[8], head[9])) return 'orthanc-zlib';
  if (startsWith(head, SQLITE)) return 'sqlite';
  if (startsWith(head, [0x37, 0x7f, 0x06, 0x82]) || startsWith(head, [0x37, 0x7f, 0x06, 0x83])) return 'sqlite-wal';
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  const first = firstNonSpace(head);
  if (first === 0x7b || first === 0x5b) return 'json';
  return 'unknown';
};
