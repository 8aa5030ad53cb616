import { createReadStream } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createInflate } from 'node:zlib';
import { ZLIB_PREFIX_BYTES } from './orthanc-zlib.js';
import { INFLATE_CHUNK } from './read-bytes.js';
import { gzipHeader, gzipTrailer } from './gzip-wire.js';
import type { Encoding, GzipWire } from '../core/types.js';

// Re-reads a file too large to hold, decoding it on the fly for upload (a new stream per attempt).
// The path may be the exact bytes of a name that is not valid UTF-8 (FileEntry.rawPath). Nothing
// is held: the HTTP client pulls as the socket drains, so a file of any size (above 2 GiB too)
// streams in bounded memory. A failed read (the file removed since it was classified) ends the
// stream with that error: pipeline, not pipe, which would leave the inflater waiting forever.
export const decodedStream = (path: string | Buffer, encoding: Encoding): Readable => {
  if (encoding === 'raw') return createReadStream(path);
  return pipeline(createReadStream(path, { start: ZLIB_PREFIX_BYTES }), createInflate({ chunkSize: INFLATE_CHUNK }), () => undefined);
};

// The gzip member of a stored file too large to hold: a header, its deflate data read again from
// the file, the trailer the worker computed.
async function* gzipMember(path: string | Buffer, wire: Extract<GzipWire, { kind: 'range' }>): AsyncGenerator<Uint8Array> {
  yield gzipHeader();
  yield* createReadStream(path, { start: wire.start, end: wire.end - 1 }) as AsyncIterable<Buffer>;
  yield gzipTrailer(wire.crc, wire.length);
}

// Why: a gzip member as an upload's body: its bytes when in one piece, else a new stream per
// attempt (of its parts held in memory, or of the file on disk), never a copy of the deflate data.
export const gzipBody = (path: string | Buffer, wire: GzipWire): Uint8Array | (() => Readable) => {
  if (wire.kind === 'range') return () => Readable.from(gzipMember(path, wire), { objectMode: false });
  const [only, ...more] = wire.parts;
  if (only !== undefined && more.length === 0) return only;
  return () => Readable.from(wire.parts, { objectMode: false });
};
