import { closeSync, fstatSync } from 'node:fs';
import { cacheFacts } from './classify-content.js';
import { parseDicomHeader } from './dicom-header.js';
import { inflateOrthancFile, readAnnouncedSize, ZLIB_PREFIX_BYTES } from './orthanc-zlib.js';
import { digestFile, isReadError, md5Of, openForReading, readStart } from './read-bytes.js';
import { compressHeld, crcOf, rewrapHeld, rewrapStreamed, withWire } from './gzip-wire.js';
import { BLANK_HEADER, encodingOf, type Classified, type Encoding, type ExpectedFile, type GzipWire } from '../core/types.js';
import { errnoOrMessage } from '../core/errno.js';

/** The decoded content of a file, or why it does not match the index. */
type Decoded =
  /** `wire`: how to make its gzip member, once it is proven to be the instance (gzip-wire.ts). */
  | { readonly ok: true; readonly head: Uint8Array; readonly length: number; readonly md5: string; readonly bytes?: Uint8Array; readonly wire?: () => GzipWire | undefined }
  | { readonly ok: false; readonly reason: string; readonly readError?: string };

interface Limits {
  readonly path: string;
  readonly rawPath?: Uint8Array | undefined;
  readonly inlineLimit: number;
  readonly maxDecodedSize: number;
  readonly keepBytes: boolean;
  readonly gzipWire?: boolean | undefined;
  readonly md5ReadBack?: boolean | undefined;
}


// `recordedMd5`: the MD5 the index (or the source) recorded, taken instead of hashing (see inflatedWhole).
const whole = (bytes: Uint8Array, keep: boolean, recordedMd5 = ''): Extract<Decoded, { ok: true }> => ({ ok: true, head: bytes, length: bytes.length, md5: recordedMd5 === '' ? md5Of(bytes) : recordedMd5, ...(keep ? { bytes } : {}) });

// Streams an open file (inflating it when compressed), hashing it without holding it; reading
// stops just past the expected length.
const streamed = async (fd: number, start: number, inflate: boolean, expectedLength: number, withCrc = false): Promise<Decoded & { readonly crc?: number; readonly consumed?: number }> => {
  try {
    const digest = await digestFile(fd, start, inflate, expectedLength, withCrc);
    return { ok: true, ...digest };
  } catch (error) {
    const code = errnoOrMessage(error);
    if (isReadError(error)) return { ok: false, reason: `cannot read the file (${code})`, readError: code };
    return { ok: false, reason: `the zlib stream does not inflate (${(error as Error).message})` };
  }
};

// A raw file held in memory, compressed for the wire once proven when the run sends gzip.
const wholeRaw = (bytes: Uint8Array, limits: Pick<Limits, 'keepBytes' | 'gzipWire'>): Decoded => {
  const decoded = whole(bytes, limits.keepBytes);
  return limits.gzipWire === true ? { ...decoded, wire: () => compressHeld(bytes) } : decoded;
};

const decodeRaw = async (limits: Limits, fd: number, size: number): Promise<Decoded> =>
  size <= limits.inlineLimit ? wholeRaw(readStart(fd, size), limits) : streamed(fd, 0, false, size);

// The size prefix of a compressed attachment, checked against what the index says.
const checkPrefix = (prefix: Uint8Array, size: number, expected: ExpectedFile): Decoded | undefined => {
  if (prefix.length < ZLIB_PREFIX_BYTES) return { ok: false, reason: `a compressed attachment of ${size} bytes has no size prefix` };
  const announced = readAnnouncedSize(prefix);
  if (announced !== expected.uncompressedSize) {
    return { ok: false, reason: `its size prefix announces ${announced} bytes, the index says ${expected.uncompressedSize}` };
  }
  return undefined;
};

// A whole compressed attachment held in memory, inflated (and re-wrapped as gzip once proven,
// when the run sends gzip). In a verified upload its MD5 is the one recorded, not hashed again (a
// fifth of the decode thread's CPU): zlib's Adler-32 of the decoded bytes and their exact length
// prove them to be what Orthanc compressed, and the MD5 the target reads back must equal the record
// (a file altered in its stream fails to inflate; one whose record was altered is sent, then
// reported as differing). Elsewhere (an inventory, --no-verify) the hash is the only check: made.
const inflatedWhole = (file: Uint8Array, limits: Pick<Limits, 'maxDecodedSize' | 'keepBytes' | 'gzipWire' | 'md5ReadBack'>, recordedMd5: string): Decoded => {
  const inflated = inflateOrthancFile(file, limits.maxDecodedSize);
  if (!inflated.ok) return inflated;
  const { bytes, consumed } = inflated;
  const decoded = whole(bytes, limits.keepBytes, limits.md5ReadBack === true ? recordedMd5 : '');
  return limits.gzipWire === true ? { ...decoded, wire: () => rewrapHeld(file, consumed, crcOf(bytes), bytes.length) } : decoded;
};

// A compressed attachment too large to hold, inflated as a stream; its gzip member is its deflate
// data read again from the file (`header`: its first bytes, size prefix and zlib header).
const streamedZlib = async (limits: Limits, fd: number, header: Uint8Array, size: number, expected: ExpectedFile): Promise<Decoded> => {
  const decoded = await streamed(fd, ZLIB_PREFIX_BYTES, true, expected.uncompressedSize, limits.gzipWire === true);
  if (!decoded.ok || decoded.crc === undefined || decoded.consumed === undefined) return decoded;
  const stored = { fileSize: size, cmf: header[ZLIB_PREFIX_BYTES] ?? 0, flg: header[ZLIB_PREFIX_BYTES + 1] ?? 0, consumed: decoded.consumed, crc: decoded.crc, length: decoded.length };
  return { ...decoded, wire: () => rewrapStreamed(stored) };
};

const decodeZlib = async (limits: Limits, fd: number, size: number, expected: ExpectedFile): Promise<Decoded> => {
  // A file that will be inflated in memory is read once, prefix included (else the prefix and the zlib header).
  const prefix = readStart(fd, size <= limits.inlineLimit ? size : ZLIB_PREFIX_BYTES + 2);
  const wrong = checkPrefix(prefix, size, expected);
  if (wrong !== undefined) return wrong;
  if (size > limits.inlineLimit || expected.uncompressedSize > limits.inlineLimit) {
    return streamedZlib(limits, fd, prefix, size, expected);
  }
  return inflatedWhole(prefix, limits, expected.uncompressedMd5);
};

// Compares decoded content with what the index recorded: length, then MD5 when it was stored.
const checkAgainstIndex = (decoded: Decoded, expected: ExpectedFile): string | undefined => {
  if (!decoded.ok) return decoded.reason;
  if (decoded.length !== expected.uncompressedSize) {
    return `it decodes to ${decoded.length} bytes, the index says ${expected.uncompressedSize}`;
  }
  if (expected.uncompressedMd5 !== '' && decoded.md5 !== expected.uncompressedMd5) {
    return `its MD5 is ${decoded.md5}, the index says ${expected.uncompressedMd5}`;
  }
  return undefined;
};

/** The bytes of an instance as read: from where, and how many. */
interface Read {
  readonly size: number;
  readonly encoding: Encoding;
  /** Where the description came from, as reasons name it ('the index', 'the source'). */
  readonly authority: string;
}

// Proves decoded content to be the file the index (or the source) describes, then parses its
// header: the verdict on one instance, read from disk or downloaded alike.
const verdictOf = (decoded: Decoded, read: Read, expected: ExpectedFile): Classified => {
  const { size, encoding } = read;
  if (!decoded.ok && decoded.readError !== undefined) {
    return { kind: 'skipped', fileClass: 'failed', encoding, diskSize: size, reason: decoded.reason };
  }
  const problem = checkAgainstIndex(decoded, expected);
  if (problem !== undefined || !decoded.ok) {
    const reason = (problem ?? 'unreadable').replaceAll('the index says', `${read.authority} says`);
    return { kind: 'skipped', fileClass: 'corrupt-source', encoding, diskSize: size, reason: `instance ${expected.instanceId}: ${reason}` };
  }
  const parsed = parseDicomHeader(decoded.head, decoded.length);
  if (!parsed.ok && parsed.tooDeep === true) return { kind: 'skipped', fileClass: 'too-deep', encoding, diskSize: size, reason: parsed.reason };
  const header = parsed.ok ? parsed.facts.header : BLANK_HEADER;
  // A live instance is never a cache (the index says what it is), but may prove an orphan to be one.
  const evidence = parsed.ok ? cacheFacts({ pixelDataOffset: parsed.facts.pixelDataOffset, cacheCandidate: false }, decoded.head) : {};
  const base = { kind: 'dicom' as const, diskSize: size, encoding, header, decodedSize: decoded.length, md5: decoded.md5, orthancId: expected.instanceId, ...evidence };
  return withWire(decoded.bytes === undefined ? base : { ...base, bytes: decoded.bytes }, decoded.wire);
};

// The first checks, before anything is decoded: the size read, and a non-empty file.
const sizeProblem = (read: Read, expected: ExpectedFile): Classified | undefined => {
  const corrupt = (reason: string): Classified => ({ kind: 'skipped', fileClass: 'corrupt-source', encoding: read.encoding, diskSize: read.size, reason: `instance ${expected.instanceId}: ${reason}` });
  if (read.size !== expected.compressedSize) {
    // A download is read only just past the size expected.
    const size = read.authority === 'the index' ? `${read.size} bytes on disk` : read.size > expected.compressedSize ? `more than ${expected.compressedSize} bytes downloaded` : `${read.size} bytes downloaded`;
    return corrupt(`${size}, ${read.authority} says ${expected.compressedSize}`);
  }
  if (expected.uncompressedSize === 0) return corrupt(`${read.authority} records an empty DICOM file`);
  return undefined;
};

// Reads a live instance the index describes, decoding it by the index's compression type and
// proving it is the file Orthanc stored (size on disk, decoded length, MD5) before it may be uploaded.
export const inspectIndexed = async (limits: Limits, expected: ExpectedFile, authority = 'the index'): Promise<Classified> => {
  const encoding = encodingOf(expected);
  let fd: number;
  try {
    fd = openForReading(limits);
  } catch (error) {
    const code = errnoOrMessage(error);
    if (code === 'ENOENT') {
      return { kind: 'skipped', fileClass: 'missing', encoding, diskSize: 0, reason: `the index lists instance ${expected.instanceId} but its file is not on disk` };
    }
    return { kind: 'skipped', fileClass: 'failed', encoding, diskSize: 0, reason: `cannot read the file (${code})` };
  }
  try {
    const read = { size: fstatSync(fd).size, encoding, authority };
    const wrong = sizeProblem(read, expected);
    if (wrong !== undefined) return wrong;
    const decoded = expected.compressionType === 2 ? await decodeZlib(limits, fd, read.size, expected) : await decodeRaw(limits, fd, read.size);
    return verdictOf(decoded, read, expected);
  } catch (error) {
    return { kind: 'skipped', fileClass: 'failed', encoding, diskSize: 0, reason: `cannot read the file (${errnoOrMessage(error)})` };
  } finally {
    closeSync(fd);
  }
};

// Why: an instance downloaded from a running Orthanc (small enough to hold) gets the same proof as
// one read from disk: the size downloaded, the size prefix, the decoded length and the source's MD5.
export const inspectDownloaded = (limits: Pick<Limits, 'maxDecodedSize' | 'keepBytes' | 'gzipWire' | 'md5ReadBack'>, expected: ExpectedFile, downloaded: Uint8Array): Classified => {
  // A Buffer view, not a copy: dicom-parser's deflate path calls Buffer#copy.
  const bytes = Buffer.from(downloaded.buffer, downloaded.byteOffset, downloaded.byteLength);
  const read = { size: bytes.length, encoding: encodingOf(expected), authority: 'the source' };
  const wrong = sizeProblem(read, expected);
  if (wrong !== undefined) return wrong;
  if (expected.compressionType !== 2) return verdictOf(wholeRaw(bytes, limits), read, expected);
  return verdictOf(checkPrefix(bytes, read.size, expected) ?? inflatedWhole(bytes, limits, expected.uncompressedMd5), read, expected);
};
