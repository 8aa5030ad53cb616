import { closeSync, fstatSync } from 'node:fs';
import { cacheFacts, classifyContent, type ContentVerdict } from './classify-content.js';
import { checkAnnouncedSize, inflateOrthancFile, readAnnouncedSize, ZLIB_PREFIX_BYTES } from './orthanc-zlib.js';
import { sniff } from './sniff.js';
import { orthancInstanceId } from './orthanc-id.js';
import { digestFile, HEADER_LIMIT, isReadError, md5Of, openForReading, readStart, type StreamDigest } from './read-bytes.js';
import { inspectDownloaded, inspectIndexed } from './inspect-indexed.js';
import { compressHeld, crcOf, rewrapHeld, rewrapStreamed, withWire } from './gzip-wire.js';
import type { Classified, DecodedDicom, Encoding, ExpectedFile, SkippedFile } from '../core/types.js';
import { errnoCode } from '../core/errno.js';

/** What a worker is asked to do for one file. */
export interface InspectTask {
  readonly path: string;
  /** The path's exact bytes when a name in it is not valid UTF-8 (FileEntry.rawPath): opened instead of `path`. */
  readonly rawPath?: Uint8Array | undefined;
  /** Decoded files up to this size are returned in memory; larger ones are hashed in a stream and re-read for upload. */
  readonly inlineLimit: number;
  /** Largest decoded size accepted from a size prefix. */
  readonly maxDecodedSize: number;
  /** Whether to return the decoded bytes (false for an inventory). */
  readonly keepBytes: boolean;
  /** What the index says the file is (index mode); absent: classify by content. */
  readonly expected?: ExpectedFile | undefined;
  /** The instance's bytes as downloaded from a running Orthanc (with `expected`): read instead of `path`. */
  readonly downloaded?: Uint8Array | undefined;
  /** Where `expected` came from, as reasons name it. @default 'the index' */
  readonly authority?: string | undefined;
  /** The run sends gzip to its target: a DICOM instance comes back as a gzip member where it gains (gzip-wire.ts). */
  readonly gzipWire?: boolean | undefined;
  /**
   * The target's MD5 of each instance will be read back and compared (an upload, verified): a
   * compressed attachment held whole may then take the MD5 the index recorded (inspect-indexed.ts).
   */
  readonly md5ReadBack?: boolean | undefined;
}

/** A result before the size on disk is attached to it. */
type Verdict = Omit<DecodedDicom, 'diskSize'> | Omit<SkippedFile, 'diskSize'>;


const skipped = (fileClass: SkippedFile['fileClass'], reason: string, encoding?: Encoding): Verdict =>
  encoding === undefined ? { kind: 'skipped', fileClass, reason } : { kind: 'skipped', fileClass, reason, encoding };

const describeIoError = (error: unknown): string => {
  const code = errnoCode(error);
  return code === undefined ? (error as Error).message : `cannot read the file (${code})`;
};

// `head`: the decoded bytes the verdict was reached on (the whole file, or its start).
const toVerdict = (verdict: ContentVerdict, encoding: Encoding, size: number, md5: () => string, head: Uint8Array, bytes?: Uint8Array): Verdict => {
  if (verdict.kind !== 'dicom') return { ...verdict, encoding };
  const decoded = { kind: 'dicom' as const, encoding, header: verdict.header, decodedSize: size, md5: md5(), orthancId: orthancInstanceId(verdict.header), ...cacheFacts(verdict, head) };
  return bytes === undefined ? decoded : { ...decoded, bytes };
};

// A compressed attachment too large to hold: inflate it as a stream, checking the announced length
// (inflating stops just past it: a stream that would inflate to gigabytes more costs nothing).
const inspectLargeZlib = async (task: InspectTask, fd: number, announced: number, size: number, start: Uint8Array): Promise<Verdict> => {
  let digest: StreamDigest;
  try {
    digest = await digestFile(fd, ZLIB_PREFIX_BYTES, true, announced, task.gzipWire === true);
  } catch (error) {
    if (isReadError(error)) return skipped('failed', describeIoError(error), 'zlib');
    return skipped('corrupt', `the zlib stream does not inflate (${(error as Error).message})`, 'zlib');
  }
  if (digest.length !== announced) {
    const what = digest.length > announced ? `more than the ${announced}` : `${digest.length} bytes, ${announced}`;
    return skipped('corrupt', `the zlib stream inflates to ${what} bytes announced`, 'zlib');
  }
  const verdict = toVerdict(classifyContent(digest.head, announced), 'zlib', announced, () => digest.md5, digest.head);
  const { crc, consumed } = digest;
  if (crc === undefined || consumed === undefined) return verdict;
  return withWire(verdict, () => rewrapStreamed({ fileSize: size, cmf: start[ZLIB_PREFIX_BYTES] ?? 0, flg: start[ZLIB_PREFIX_BYTES + 1] ?? 0, consumed, crc, length: digest.length }));
};

const inspectZlib = async (task: InspectTask, fd: number, size: number, start: Uint8Array): Promise<Verdict> => {
  const announced = readAnnouncedSize(start);
  const impossible = checkAnnouncedSize(announced, size, task.maxDecodedSize);
  if (impossible !== undefined) return skipped('corrupt', impossible, 'zlib');
  if (announced > task.inlineLimit || start.length < size) return inspectLargeZlib(task, fd, announced, size, start);
  const inflated = inflateOrthancFile(start, task.maxDecodedSize);
  if (!inflated.ok) return skipped('corrupt', inflated.reason, 'zlib');
  const bytes = inflated.bytes;
  const verdict = toVerdict(classifyContent(bytes, bytes.length), 'zlib', bytes.length, () => md5Of(bytes), bytes, task.keepBytes ? bytes : undefined);
  return withWire(verdict, task.gzipWire === true ? () => rewrapHeld(start, inflated.consumed, crcOf(bytes), bytes.length) : undefined);
};

// A raw file too large to hold: parse its head, hash it as a stream.
const inspectLargeRaw = async (fd: number, size: number): Promise<Verdict> => {
  const head = readStart(fd, Math.min(size, HEADER_LIMIT));
  const verdict = classifyContent(head, size);
  if (verdict.kind !== 'dicom') return { ...verdict, encoding: 'raw' };
  const digest = await digestFile(fd, 0, false, size, false, 0); // the head was read above
  if (digest.length !== size) {
    const what = digest.length > size ? 'grew' : 'shrank';
    return skipped('failed', `the file ${what} while it was read (${size} bytes when opened)`, 'raw');
  }
  return toVerdict(verdict, 'raw', size, () => digest.md5, head);
};

const inspectOpen = async (task: InspectTask, fd: number, size: number): Promise<Verdict> => {
  if (size === 0) return skipped('not-dicom', 'empty file', 'raw');
  // Small files (nearly all) are read whole in one go; the head of a large one tells how to stream it.
  const start = readStart(fd, size <= task.inlineLimit ? size : 64 * 1024);
  if (sniff(start) === 'orthanc-zlib') return inspectZlib(task, fd, size, start);
  if (start.length < size) return inspectLargeRaw(fd, size);
  const verdict = toVerdict(classifyContent(start, size), 'raw', size, () => md5Of(start), start, task.keepBytes ? start : undefined);
  return withWire(verdict, task.gzipWire === true ? () => compressHeld(start) : undefined);
};

// Reads one file and says what it is: the single place where bytes on disk become a Classified value.
export const inspectFile = async (task: InspectTask): Promise<Classified> => {
  if (task.expected !== undefined && task.downloaded !== undefined) return inspectDownloaded(task, task.expected, task.downloaded);
  if (task.expected !== undefined) return inspectIndexed(task, task.expected, task.authority);
  let fd: number;
  try {
    fd = openForReading(task);
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
