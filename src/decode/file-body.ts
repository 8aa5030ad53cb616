import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createInflate } from 'node:zlib';
import { ZLIB_PREFIX_BYTES } from './orthanc-zlib.js';
import { INFLATE_CHUNK } from './read-bytes.js';
import type { Encoding } from '../core/types.js';

// Re-reads a file too large to hold, decoding it on the fly for upload (a new stream per attempt).
// The path may be the exact bytes of a name that is not valid UTF-8 (FileEntry.rawPath). Nothing
// is held: the HTTP client pulls as the socket drains, so a file of any size (above 2 GiB too)
// streams in bounded memory. A failed read (the file removed since it was classified) ends the
// stream with that error: pipeline, not pipe, which would leave the inflater waiting forever.
export const decodedStream = (path: string | Buffer, encoding: Encoding): Readable => {
  if (encoding === 'raw') return createReadStream(path);
  return pipeline(createReadStream(path, { start: ZLIB_PREFIX_BYTES }), createInflate({ chunkSize: INFLATE_CHUNK }), () => undefined);
};
