import { constants as zlibConstants, inflateSync } from 'node:zlib';
import { errnoCode } from '../core/errno.js';

/** Bytes before the zlib stream in Orthanc's ZlibWithSize format: the uncompressed size, uint64 LE. */
export const ZLIB_PREFIX_BYTES = 8;

/**
 * Deflate cannot expand data by more than about 1032:1, so a prefix announcing more than this
 * many bytes per compressed byte is a lie and must not drive an allocation.
 */
const MAX_DEFLATE_RATIO = 1040;

/** What inflateSync returns with `info: true` (the engine's bytesWritten: input consumed). */
interface InflatedWithInfo {
  readonly buffer: Buffer;
  readonly engine: { readonly bytesWritten: number };
}

export type InflateResult =
  /** `consumed`: bytes of the zlib stream the inflater read (what follows them is not part of it). */
  | { readonly ok: true; readonly bytes: Uint8Array; readonly consumed: number }
  | { readonly ok: false; readonly reason: string };

// Reads the announced uncompressed size; returns a float above 2^53 unchanged (it is then rejected).
export const readAnnouncedSize = (head: Uint8Array): number => {
  const view = new DataView(head.buffer, head.byteOffset, ZLIB_PREFIX_BYTES);
  return Number(view.getBigUint64(0, true));
};

// Says why an announced size cannot be true for a file of this size, before anything is allocated.
export const checkAnnouncedSize = (announced: number, fileSize: number, maxDecodedSize: number): string | undefined => {
  const streamBytes = fileSize - ZLIB_PREFIX_BYTES;
  if (!Number.isSafeInteger(announced)) return `its size prefix announces ${String(announced)} bytes, not a usable size`;
  if (announced > maxDecodedSize) {
    return `its size prefix announces ${announced} bytes, above the ${maxDecodedSize}-byte cap (--max-decoded-size)`;
  }
  if (announced > streamBytes * MAX_DEFLATE_RATIO + 1024) {
    return `its size prefix announces ${announced} bytes, more than a ${streamBytes}-byte zlib stream can hold`;
  }
  return undefined;
};

// Inflates a whole ZlibWithSize file held in memory, insisting on exactly the announced length.
export const inflateOrthancFile = (file: Uint8Array, maxDecodedSize: number): InflateResult => {
  if (file.length < ZLIB_PREFIX_BYTES + 2) return { ok: false, reason: `${file.length} bytes are too few for a size prefix and a zlib stream` };
  const announced = readAnnouncedSize(file);
  const impossible = checkAnnouncedSize(announced, file.length, maxDecodedSize);
  if (impossible !== undefined) return { ok: false, reason: impossible };
  let bytes: Uint8Array;
  let consumed: number;
  try {
    // One byte of slack lets an over-long stream be told apart from an exact one without inflating it all.
    // Output chunks of the announced size: an exact stream is inflated into one buffer of its own
    // (moved to the main thread as it is), not in 16 KiB pieces then copied whole (a third less CPU
    // per inflated byte). Node then allocates a second, untouched chunk to look for more output;
    // one byte more per chunk would avoid it but make the result a slice, copied before it moves.
    const options = { chunkSize: Math.max(zlibConstants.Z_MIN_CHUNK, announced), maxOutputLength: Math.max(1, announced + 1), info: true };
    const inflated = inflateSync(file.subarray(ZLIB_PREFIX_BYTES), options) as unknown as InflatedWithInfo;
    bytes = inflated.buffer;
    consumed = inflated.engine.bytesWritten;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, reason: `the zlib stream inflates to more than the ${announced} bytes announced` };
    }
    return { ok: false, reason: `the zlib stream does not inflate (${(error as Error).message})` };
  }
  if (bytes.length !== announced) {
    return { ok: false, reason: `the zlib stream inflates to ${bytes.length} bytes, ${announced} announced` };
  }
  return { ok: true, bytes, consumed };
};
