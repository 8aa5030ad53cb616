import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInflate } from 'node:zlib';
import { classifyContent, type ContentVerdict } from './decode/classify-content.js';
import { checkAnnouncedSize, inflateOrthancFile, readAnnouncedSize, ZLIB_PREFIX_BYTES } from './decode/orthanc-zlib.js';
import { sniff } from './decode/sniff.js';
import { orthancInstanceId } from './orthanc-id.js';
import type { Classified, Encoding } from './types.js';

/** What a worker is asked to do for one file. */
export interface InspectTask {
  readonly path: string;
  readonly size: number;
  /** Decoded files up to this size are returned in memory; larger ones are hashed in a stream and re-read for upload. */
  readonly inlineLimit: number;
  /** Largest decoded size accepted from a size prefix. */
  readonly maxDecodedSize: number;
  /** Whether to return the decoded bytes (false for an inventory). */
  readonly keepBytes: boolean;
}

/** How much of a streamed file is kept to parse its header. */
const HEADER_LIMIT = 16 * 1024 * 1024;
const SNIFF_BYTES = 64 * 1024;

const failed = (reason: string): Classified => ({ kind: 'skipped', fileClass: 'failed', reason });

const describeIoError = (error: unknown): string => {
  const code = (error as { code?: string }).code;
  return code === undefined ? (error as Error).message : `cannot read the file (${code})`;
};

const readHead = async (path: string, length: number): Promise<Uint8Array> => {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
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

const toClassified = (verdict: ContentVerdict, encoding: Encoding, size: number, md5: () => string, bytes?: Uint8Array): Classified => {
  if (verdict.kind !== 'dicom') return { ...verdict, encoding };
  const decoded = { kind: 'dicom' as const, encoding, header: verdict.header, decodedSize: size, md5: md5(), orthancId: orthancInstanceId(verdict.header) };
  return bytes === undefined ? decoded : { ...decoded, bytes };
};

// A compressed attachment too large to hold: inflate it as a stream, checking the announced length.
const inspectLargeZlib = async (task: InspectTask, announced: number): Promise<Classified> => {
  const stream = createReadStream(task.path, { start: ZLIB_PREFIX_BYTES }).pipe(createInflate());
  let digest: StreamDigest;
  try {
    digest = await digestStream(stream, announced);
  } catch (error) {
    return { kind: 'skipped', fileClass: 'corrupt', encoding: 'zlib', reason: `the zlib stream does not inflate (${(error as Error).message})` };
  } finally {
    stream.destroy();
  }
  if (digest.length !== announced) {
    const what = digest.length > announced ? `more than the ${announced}` : `${digest.length} bytes, ${announced}`;
    return { kind: 'skipped', fileClass: 'corrupt', encoding: 'zlib', reason: `the zlib stream inflates to ${what} bytes announced` };
  }
  return toClassified(classifyContent(digest.head, announced), 'zlib', announced, () => digest.md5);
};

const inspectZlib = async (task: InspectTask, head: Uint8Array): Promise<Classified> => {
  const announced = readAnnouncedSize(head);
  const impossible = checkAnnouncedSize(announced, task.size, task.maxDecodedSize);
  if (impossible !== undefined) return { kind: 'skipped', fileClass: 'corrupt', encoding: 'zlib', reason: impossible };
  if (announced > task.inlineLimit) return inspectLargeZlib(task, announced);
  const inflated = inflateOrthancFile(await readFile(task.path), task.maxDecodedSize);
  if (!inflated.ok) return { kind: 'skipped', fileClass: 'corrupt', encoding: 'zlib', reason: inflated.reason };
  const bytes = inflated.bytes;
  return toClassified(classifyContent(bytes, bytes.length), 'zlib', bytes.length, () => md5Of(bytes), task.keepBytes ? bytes : undefined);
};

const inspectRaw = async (task: InspectTask): Promise<Classified> => {
  if (task.size <= task.inlineLimit) {
    const bytes = await readFile(task.path);
    return toClassified(classifyContent(bytes, bytes.length), 'raw', bytes.length, () => md5Of(bytes), task.keepBytes ? bytes : undefined);
  }
  const head = await readHead(task.path, Math.min(task.size, HEADER_LIMIT));
  const verdict = classifyContent(head, task.size);
  if (verdict.kind !== 'dicom') return { ...verdict, encoding: 'raw' };
  const digest = await digestStream(createReadStream(task.path), Number.MAX_SAFE_INTEGER);
  if (digest.length !== task.size) return failed(`the file changed while it was read (${digest.length} bytes, ${task.size} expected)`);
  return toClassified(verdict, 'raw', task.size, () => digest.md5);
};

// Reads one file and says what it is: the single place where bytes on disk become a Classified value.
export const inspectFile = async (task: InspectTask): Promise<Classified> => {
  if (task.size === 0) return { kind: 'skipped', fileClass: 'not-dicom', encoding: 'raw', reason: 'empty file' };
  try {
    const head = await readHead(task.path, Math.min(task.size, SNIFF_BYTES));
    if (sniff(head) === 'orthanc-zlib' && head.length >= 10) return await inspectZlib(task, head);
    return await inspectRaw(task);
  } catch (error) {
    return failed(describeIoError(error));
  }
};
