import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { boundaryOf, md5OfFirstPart } from '../../../src/targets/dicomweb/wado.js';

const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

// Cuts a buffer into chunks of `size` bytes, as a socket might deliver it.
function* chunked(data: Buffer, size: number): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

describe('md5OfFirstPart', () => {
  const boundary = '4416c3f6-c216-474b-b947';
  const part = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('\r\n--4416c3f6 not the boundary\r\n'), Buffer.alloc(1000, 7)]);
  // The shape of Orthanc's answer: a part with Content-Type, Content-Length and MIME-Version headers.
  const answer = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\nContent-Length: ${part.length}\r\nMIME-Version: 1.0\r\n\r\n`),
    part,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);

  it.each([1, 3, 7, 64, 100_000])('hashes the first part whatever the chunks (%i bytes)', async (size) => {
    expect(await md5OfFirstPart(chunked(answer, size), boundary)).toBe(md5(part));
  });

  it('rejects an answer cut inside its part, or without a part', async () => {
    await expect(md5OfFirstPart(chunked(answer.subarray(0, 400), 50), boundary)).rejects.toThrow(/inside its first part/);
    await expect(md5OfFirstPart(chunked(Buffer.from('nothing here'), 4), boundary)).rejects.toThrow(/no part/);
  });
});

describe('boundaryOf', () => {
  it('reads a boundary quoted or not', () => {
    expect(boundaryOf('multipart/related; type="application/dicom"; boundary=abc-1')).toBe('abc-1');
    expect(boundaryOf('multipart/related; boundary="a b"; type="application/dicom"')).toBe('a b');
    expect(boundaryOf('application/dicom')).toBeUndefined();
  });
});
