import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createInflate } from 'node:zlib';
import { ZLIB_PREFIX_BYTES } from './decode/orthanc-zlib.js';
import type { Encoding } from './types.js';

// Re-reads a file too large to hold, decoding it on the fly for upload (a new stream per attempt).
export const decodedStream = (path: string, encoding: Encoding): Readable =>
  encoding === 'raw' ? createReadStream(path) : createReadStream(path, { start: ZLIB_PREFIX_BYTES }).pipe(createInflate());
