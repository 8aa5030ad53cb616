import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';

/** How much of a streamed file is kept to parse its header. */
export const HEADER_LIMIT = 16 * 1024 * 1024;

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

/** A decoded stream reduced to what the classifier needs: its head, length and MD5. */
export interface StreamDigest {
  readonly head: Uint8Array;
  readonly length: number;
  readonly md5: string;
}

// Hashes a (possibly inflated) stream without holding it, keeping its first bytes for the header.
export const digestStream = async (stream: NodeJS.ReadableStream, stopAfter: number): Promise<StreamDigest> => {
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

export const md5Of = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

