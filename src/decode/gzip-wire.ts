// The body of an upload as a gzip member (RFC 1952), for a target that takes Content-Encoding: gzip
// (Orthanc >= 1.6.0 gunzips POST /instances). A file Orthanc stored compressed is re-wrapped, not
// recompressed: its zlib stream (RFC 1950) is a 2-byte header, raw deflate data and an Adler-32;
// gzip wants a 10-byte header, the same deflate data, then the CRC-32 and the length of what it
// inflates to. Only those two numbers are new, and the decode worker has the inflated bytes anyway.
import { crc32, gzipSync } from 'node:zlib';
import { ZLIB_PREFIX_BYTES } from './orthanc-zlib.js';
import type { GzipWire } from '../core/types.js';

/** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown). */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
const GZIP_TRAILER_BYTES = 8;
/** CMF and FLG, the zlib stream's header. */
const ZLIB_HEADER_BYTES = 2;
const ADLER_BYTES = 4;
/** Where the raw deflate data begins in an Orthanc ZlibWithSize file. */
const DEFLATE_START = ZLIB_PREFIX_BYTES + ZLIB_HEADER_BYTES;
/** FLG bit 5: a preset dictionary, which gzip cannot carry. */
const FDICT = 0x20;
/** Level 1: several times faster than the default, most of its gain on image data. */
const RAW_LEVEL = 1;
/** A raw file is sent compressed only when that saves at least this share of its bytes. */
const MIN_SAVING = 0.05;

/** The gzip header every member built here starts with. */
export const gzipHeader = (): Uint8Array => GZIP_HEADER.slice();

// Why: the 8 bytes that end a gzip member: CRC-32 and length (mod 2^32) of the inflated data, little-endian.
export const gzipTrailer = (crc: number, length: number): Uint8Array => {
  const trailer = new Uint8Array(GZIP_TRAILER_BYTES);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc >>> 0, true);
  view.setUint32(4, length % 2 ** 32, true);
  return trailer;
};

// A deflate zlib header without a preset dictionary (CM 8, window <= 32 KiB, FCHECK right).
const plainZlibHeader = (cmf: number, flg: number): boolean => (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0 && (flg & FDICT) === 0;

/** What the decode worker knows of a stored file once it inflated it for the MD5. */
interface InflatedZlib {
  /** Bytes of the file on disk (size prefix included). */
  readonly fileSize: number;
  /** The two bytes of the zlib header (file bytes 8 and 9). */
  readonly cmf: number;
  readonly flg: number;
  /** Bytes of the zlib stream the inflater consumed, header and Adler-32 included. */
  readonly consumed: number;
  /** CRC-32 and length of the inflated bytes. */
  readonly crc: number;
  readonly length: number;
}

// Where the raw deflate data lies in the file, or undefined when it cannot be re-wrapped as it is:
// a preset dictionary, or a zlib stream that does not end exactly where the file ends (bytes after
// it would follow the deflate data into the gzip member). The file is then sent decoded.
export const deflateRange = (stored: InflatedZlib): { readonly start: number; readonly end: number } | undefined => {
  if (!plainZlibHeader(stored.cmf, stored.flg)) return undefined;
  if (ZLIB_PREFIX_BYTES + stored.consumed !== stored.fileSize) return undefined;
  const end = stored.fileSize - ADLER_BYTES;
  return end > DEFLATE_START ? { start: DEFLATE_START, end } : undefined;
};

// The gzip member of a stored file held in memory (`file`: its bytes, size prefix included): the
// deflate data is a view on the file, not a copy.
export const rewrapHeld = (file: Uint8Array, consumed: number, crc: number, length: number): GzipWire | undefined => {
  if (file.length < DEFLATE_START) return undefined;
  const range = deflateRange({ fileSize: file.length, cmf: file[ZLIB_PREFIX_BYTES] ?? 0, flg: file[ZLIB_PREFIX_BYTES + 1] ?? 0, consumed, crc, length });
  if (range === undefined) return undefined;
  const parts = [gzipHeader(), file.subarray(range.start, range.end), gzipTrailer(crc, length)];
  return { kind: 'held', parts, size: GZIP_HEADER.length + (range.end - range.start) + GZIP_TRAILER_BYTES };
};

// The gzip member of a stored file too large to hold: its deflate data is read from the file again
// for each attempt, between the header and this trailer (file-body.ts).
export const rewrapStreamed = (stored: InflatedZlib): GzipWire | undefined => {
  const range = deflateRange(stored);
  if (range === undefined) return undefined;
  return { kind: 'range', ...range, crc: stored.crc >>> 0, length: stored.length, size: GZIP_HEADER.length + (range.end - range.start) + GZIP_TRAILER_BYTES };
};

// A raw file held in memory, compressed at level 1 here on the worker; undefined when that does not
// save enough (noise, already compressed pixel data) to be worth the target's inflate.
export const compressHeld = (bytes: Uint8Array): GzipWire | undefined => {
  const gzip = gzipSync(bytes, { level: RAW_LEVEL });
  if (gzip.length > bytes.length * (1 - MIN_SAVING)) return undefined;
  return { kind: 'held', parts: [gzip], size: gzip.length };
};

// Why: the CRC-32 a gzip trailer needs, computed on the worker from the bytes it inflated.
export const crcOf = (bytes: Uint8Array, previous = 0): number => crc32(bytes, previous);

/** A verdict as the workers build it (with or without its size on disk). */
type WithBytes = { readonly kind: 'dicom'; readonly cacheCandidate?: true; readonly bytes?: Uint8Array; readonly wire?: GzipWire } | { readonly kind: 'skipped' };

// Why: a DICOM verdict carries its gzip member instead of its decoded bytes. `wire` is only called
// for a DICOM instance (nothing is compressed for a file that is not sent). A possible
// dicom-until-pixel-data cache keeps its decoded bytes: it may wait parked in cache-evidence.ts.
export const withWire = <T extends WithBytes>(verdict: T, wire: (() => GzipWire | undefined) | undefined): T => {
  if (wire === undefined || verdict.kind !== 'dicom' || verdict.cacheCandidate === true) return verdict;
  const made = wire();
  if (made === undefined) return verdict;
  const rest: Record<string, unknown> = { ...verdict, wire: made };
  delete rest['bytes'];
  return rest as T;
};
