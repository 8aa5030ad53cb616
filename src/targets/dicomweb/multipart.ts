// The body of one STOW-RS request: instances as parts of a multipart/related message, streamed
// from each part's bytes or stream factory, with its exact length known before the first byte.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { InstanceBody } from '../target.js';

/** One instance of a request: its body and the size it must have. */
export interface Part {
  readonly body: InstanceBody;
  readonly size: number;
}

/** A request body that can be sent again: `open()` gives a fresh stream each time. */
export interface MultipartBody {
  readonly contentType: string;
  readonly length: number;
  open(): Readable;
}

const encoder = new TextEncoder();

// Why: no transfer-syntax parameter on the parts: Orthanc's plugin refuses a part whose
// Content-Type carries one (discourse t/5763); the server reads the syntax from each file.
const partHead = (boundary: string): Uint8Array => encoder.encode(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
const CRLF = encoder.encode('\r\n');

// A part's bytes, exactly `size` of them: a source file that changed under the run fails the
// request instead of sending a body whose length lies.
async function* partBytes(part: Part): AsyncGenerator<Uint8Array> {
  if (typeof part.body !== 'function') {
    if (part.body.length !== part.size) throw new Error(`a part of ${part.body.length} bytes announced as ${part.size}`);
    yield part.body;
    return;
  }
  let sent = 0;
  for await (const chunk of part.body() as AsyncIterable<Uint8Array>) {
    sent += chunk.length;
    if (sent > part.size) throw new Error(`a part longer than its ${part.size} bytes (the file changed?)`);
    yield chunk;
  }
  if (sent !== part.size) throw new Error(`a part of ${sent} bytes instead of ${part.size} (the file changed?)`);
}

// Why: a 2 GiB instance is never held in memory: the body is a stream over the parts, opened
// again on each attempt. The boundary is 32 random hex digits: DICOM bytes that hold it by
// chance are as likely as a colliding UUID.
export const multipartBody = (parts: readonly Part[], boundary = randomBytes(16).toString('hex')): MultipartBody => {
  const head = partHead(boundary);
  const tail = encoder.encode(`--${boundary}--\r\n`);
  const length = parts.reduce((sum, part) => sum + head.length + part.size + CRLF.length, tail.length);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      yield head;
      yield* partBytes(part);
      yield CRLF;
    }
    yield tail;
  }
  return { contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, length, open: () => Readable.from(chunks(), { objectMode: false }) };
};
