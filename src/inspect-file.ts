import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createInflate } from 'node:zlib';
import { classifyContent, type ContentVerdict } from './decode/classify-content.js';
import { checkAnnouncedSize, inflateOrthancFile, readAnnouncedSize, ZLIB_PREFIX_BYTES } from './decode/orthanc-zlib.js';
import { sniff } from './decode/sniff.js';
import { orthancInstanceId } from './orthanc-id.js';
import type { Classified, DecodedDicom, Encoding, SkippedFile } from './types.js';

/** What a worker is asked to do for one file. */
export interface InspectTask {
  readonly path: string;
  /** Decoded files up to this size are returned in memory; larger ones are hashed in a stream and re-read for upload. */
  readonly inlineLimit: number;
  /** Largest decoded size accepted from a size prefix. */
  readonly maxDecodedSize: number;
  /** Whether to return the decoded bytes (false for an inventory). */
  readonly keepBytes: boolean;
}

/** A result before the size on disk is attached to it. */
type Verdict = Omit<DecodedDicom, 'diskSize'> | Omit<SkippedFile, 'diskSize'>;

/** How much of a streamed file is kept to parse its header. */
const HEADER_LIMIT = 16 * 1024 * 1024;

const skipped = (fileClass: SkippedFile['fileClass'], reason: string, encoding?: Encoding): Verdict =>
  encoding === undefined ? { kind: 'skipped', fileClass, reason } : { kind: 'skipped', fileClass, reason, encoding };

const describeIoError = (error: unknown): string => {
  const code = (error as { code?: string }).code;
  return code === undefined ? (error as Error).message : `cannot read the file (${code})`;
};

// Reads up to `length` bytes from the start of an open file. Synchronous on purpose: this runs in
// a worker thread of its own, where a blocking read costs nothing and saves a thread-pool round trip.
// (A Buffer, not a plain Uint8Array: dicom-parser's deflate path calls Buffer#copy.)
const readStart = (fd: number, length: number): Buffer => {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const bytesRead = readSync(fd, buffer, filled, length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
};

/** A decoded stream reduced to what the classifier needs: its head, length and MD5. */
interface StreamDigest {
  readonly head: Uint8Array;
  readonly length: number;
  readonly md5: string;
}

// Hashes a (possibly inflated) stream without holding it, keeping its first bytes for the header.
const digestStream = async (stream: NodeJS.ReadableStream, stopAfter: number): Promise<StreamDigest> => {
  const hash = createHash('md5');
  const chunks: Buffer[] = [];
  let kept = 0;
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > stopAfter) break;
    hash.update(chunk);
    if (kept < HEADER_LIMIT) {
      const piece = chunk.subarray(0, HEADER_LIMIT - kept);
      chunks.push(piece);
      kept += piece.length;
    }
  }
  return { head: Buffer.concat(chunks), length, md5: hash.digest('hex') };
};

const md5Of = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

const toVerdict = (verdict: ContentVerdict, encoding: Encoding, size: number, md5: () => string, bytes?: Uint8Array): Verdict => {
  if (verdict.kind !== 'dicom') return { ...verdict, encoding };
  const decoded = { kind: 'dicom' as const, encoding, header: verdict.header, decodedSize: size, md5: md5(), orthancId: orthancInstanceId(verdict.header) };
  return bytes === undefined ? decoded : { ...decoded, bytes };
};

// A compressed attachment too large to hold: inflate it as a stream, checking the announced length.
const inspectLargeZlib = async (path: string, announced: number): Promise<Verdict> => {
  const stream = createReadStream(path, { start: ZLIB_PREFIX_BYTES }).pipe(createInflate());
  let digest: StreamDigest;
  try {
    digest = await digestStream(stream, announced);
  } catch (error) {
    return skipped('corrupt', `the zlib stream does not inflate (${(error as Error).message})`, 'zlib');
  } finally {
    stream.destroy();
  }
  if (digest.length !== announced) {
    const what = digest.length > announced ? `more than the ${announced}` : `${digest.length} bytes, ${announced}`;
    return skipped('corrupt', `the zlib stream inflates to ${what} bytes announced`, 'zlib');
  }
  return toVerdict(classifyContent(digest.head, announced), 'zlib', announced, () => digest.md5);
};

const inspectZlib = async (task: InspectTask, size: number, start: Uint8Array): Promise<Verdict> => {
  const announced = readAnnouncedSize(start);
  const impossible = checkAnnouncedSize(announced, size, task.maxDecodedSize);
  if (impossible !== undefined) return skipped('corrupt', impossible, 'zlib');
  if (announced > task.inlineLimit || start.length < size) return inspectLargeZlib(task.path, announced);
  const inflated = inflateOrthancFile(start, task.maxDecodedSize);
  if (!inflated.ok) return skipped('corrupt', inflated.reason, 'zlib');
  const bytes = inflated.bytes;
  return toVerdict(classifyContent(bytes, bytes.length), 'zlib', bytes.length, () => md5Of(bytes), task.keepBytes ? bytes : undefined);
};

// A raw file too large to hold: parse its head, hash it as a stream.
const inspectLargeRaw = async (fd: number, path: string, size: number): Promise<Verdict> => {
  const head = readStart(fd, Math.min(size, HEADER_LIMIT));
  const verdict = classifyContent(head, size);
  if (verdict.kind !== 'dicom') return { ...verdict, encoding: 'raw' };
  const digest = await digestStream(createReadStream(path), Number.MAX_SAFE_INTEGER);
  if (digest.length !== size) return skipped('failed', `the file changed while it was read (${digest.length} bytes, ${size} expected)`);
  return toVerdict(verdict, 'raw', size, () => digest.md5);
};

const inspectOpen = async (task: InspectTask, fd: number, size: number): Promise<Verdict> => {
  if (size === 0) return skipped('not-dicom', 'empty file', 'raw');
  // Small files (nearly all) are read whole in one go; the head of a large one tells how to stream it.
  const start = readStart(fd, size <= task.inlineLimit ? size : 64 * 1024);
  if (sniff(start) === 'orthanc-zlib') return inspectZlib(task, size, start);
  if (start.length < size) return inspectLargeRaw(fd, task.path, size);
  return toVerdict(classifyContent(start, size), 'raw', size, () => md5Of(start), task.keepBytes ? start : undefined);
};

// Reads one file and says what it is: the single place where bytes on disk become a Classified value.
export const inspectFile = async (task: InspectTask): Promise<Classified> => {
  let fd: number;
  try {
    fd = openSync(task.path, 'r');
  } catch (error) {
    return { kind: 'skipped', fileClass: 'failed', reason: describeIoError(error), diskSize: 0 };
  }
  let size = 0;
  try {
    const stats = fstatSync(fd);
    size = stats.size;
    if (!stats.isFile()) return { kind: 'skipped', fileClass: 'not-dicom', reason: 'not a regular file', diskSize: 0 };
    return { ...(await inspectOpen(task, fd, size)), diskSize: size };
  } catch (error) {
    return { kind: 'skipped', fileClass: 'failed', reason: describeIoError(error), diskSize: size };
  } finally {
    closeSync(fd);
  }
};
