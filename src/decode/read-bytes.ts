import { createHash } from 'node:crypto';
import { constants, openSync, readSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { crc32, createInflate } from 'node:zlib';

/** Opening flags: O_NONBLOCK so that a FIFO put in a file's place cannot block the thread forever. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** A file to open: its path, and its exact bytes when a name in it is not valid UTF-8. */
export interface OpenablePath {
  readonly path: string;
  /** A Buffer in the walker; a plain Uint8Array once it has crossed to a worker thread. */
  readonly rawPath?: Uint8Array | undefined;
}

/** What to give fs: the exact bytes when there are any (fs takes a Buffer as a path). */
const openablePath = (file: OpenablePath): string | Buffer =>
  file.rawPath === undefined ? file.path : Buffer.from(file.rawPath.buffer, file.rawPath.byteOffset, file.rawPath.byteLength);

/** Opens a file for reading without ever blocking on it. */
export const openForReading = (file: OpenablePath): number => openSync(openablePath(file), OPEN_FLAGS);

/** How much of a streamed file is kept to parse its header. */
export const HEADER_LIMIT = 16 * 1024 * 1024;

/** Bytes read from disk at a time when a file is streamed. */
const READ_CHUNK = 1024 * 1024;

/** Bytes of inflated output per chunk when a zlib stream is inflated as a stream. */
export const INFLATE_CHUNK = 256 * 1024;

// Reads up to `length` bytes from the start of an open file. Synchronous on purpose: this runs in
// a worker thread of its own, where a blocking read costs nothing and saves a thread-pool round trip.
// (A Buffer, not a plain Uint8Array: dicom-parser's deflate path calls Buffer#copy.)
export const readStart = (fd: number, length: number): Buffer => {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const bytesRead = readSync(fd, buffer, filled, length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
};

// Reads an already open file from `start` to its end, a chunk at a time (synchronously, as
// readStart). Reading the descriptor that was classified, not the path again, means a file
// removed or replaced in between can neither fail the read nor mix another file in. `reuse`: every
// chunk is read into the same buffer, for a consumer done with each before it asks for the next.
export function* fileChunks(fd: number, start: number, reuse = false): Generator<Buffer> {
  const shared = reuse ? Buffer.allocUnsafe(READ_CHUNK) : undefined;
  let position = start;
  for (;;) {
    const chunk = shared ?? Buffer.allocUnsafe(READ_CHUNK);
    const bytesRead = readSync(fd, chunk, 0, READ_CHUNK, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield chunk.subarray(0, bytesRead);
  }
}

/** A decoded stream reduced to what the classifier needs: its head, length and MD5. */
export interface StreamDigest {
  readonly head: Uint8Array;
  readonly length: number;
  readonly md5: string;
  /** With `withCrc`: the CRC-32 of the decoded bytes, and the bytes of the zlib stream the inflater consumed. */
  readonly crc?: number;
  readonly consumed?: number;
}

// Hashes a (possibly inflated) stream without holding it, copying its first `headLimit` bytes
// aside for the header (the chunks themselves may be reused). It stops reading as soon as more than
// `stopAfter` bytes came (length then says "more than").
const digestStream = async (stream: AsyncIterable<Buffer> | Iterable<Buffer>, stopAfter: number, withCrc: boolean, headLimit: number): Promise<StreamDigest> => {
  const hash = createHash('md5');
  let crc = 0;
  const head = Buffer.allocUnsafe(Math.max(0, Math.min(headLimit, stopAfter)));
  let kept = 0;
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > stopAfter) break;
    hash.update(chunk);
    if (withCrc) crc = crc32(chunk, crc);
    if (kept < head.length) kept += chunk.copy(head, kept, 0, Math.min(chunk.length, head.length - kept));
  }
  const digest = { head: head.subarray(0, kept), length, md5: hash.digest('hex') };
  return withCrc ? { ...digest, crc } : digest;
};

/** True for an error of the file system (the read failed), as opposed to one of the data (zlib). */
export const isReadError = (error: unknown): boolean => typeof (error as { syscall?: unknown }).syscall === 'string';

// Hashes an open file from `start`, inflating it when it is a zlib stream, in bounded memory:
// at most one read chunk, one inflated chunk and the kept head exist at once, whatever the
// announced or actual size. Throws the read error (isReadError) or the zlib error. `withCrc`: also
// what a gzip re-wrap of the zlib stream needs (gzip-wire.ts). `headLimit`: 0 when the caller read
// the head already.
export const digestFile = async (fd: number, start: number, inflate: boolean, stopAfter: number, withCrc = false, headLimit = HEADER_LIMIT): Promise<StreamDigest> => {
  if (!inflate) return digestStream(fileChunks(fd, start, true), stopAfter, withCrc, headLimit);
  const source = Readable.from(fileChunks(fd, start), { objectMode: false });
  const inflater = createInflate({ chunkSize: INFLATE_CHUNK });
  // pipeline, not pipe: a failed read must end the inflated stream with its error, not leave it
  // waiting for input forever.
  pipeline(source, inflater, () => undefined);
  try {
    const digest = await digestStream(inflater, stopAfter, withCrc, headLimit);
    return withCrc ? { ...digest, consumed: inflater.bytesWritten } : digest;
  } finally {
    // Stop both now, so nothing reads the descriptor after the caller closes it.
    inflater.destroy();
    source.destroy();
  }
};

export const md5Of = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
