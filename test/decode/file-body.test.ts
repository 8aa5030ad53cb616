import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodedStream, gzipBody } from '../../src/decode/file-body.js';
import { rewrapStreamed } from '../../src/decode/gzip-wire.js';
import { buildPart10, orthancCompress } from '../helpers/dicom-bytes.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-body-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const drain = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
};

describe('gzipBody', () => {
  const file = buildPart10({ pixelBytes: 300_000 }).bytes;

  it('streams a stored file as a gzip member (header, its deflate data re-read, trailer), again on each attempt', async () => {
    const stored = orthancCompress(file);
    const path = join(dir, 'stored');
    await writeFile(path, stored);
    const wire = rewrapStreamed({ fileSize: stored.length, cmf: stored[8] ?? 0, flg: stored[9] ?? 0, consumed: stored.length - 8, crc: crc32(file), length: file.length });
    if (wire === undefined) throw new Error('expected a range');
    const body = gzipBody(path, wire);
    if (typeof body !== 'function') throw new Error('expected a stream factory');
    for (let attempt = 0; attempt < 2; attempt++) {
      const member = await drain(body());
      expect(member.length).toBe(wire.size);
      expect(gunzipSync(member)).toEqual(Buffer.from(file));
    }
    expect(await drain(decodedStream(path, 'zlib'))).toEqual(Buffer.from(file));
  });

  it('gives a member held in parts as a stream of them, and one in one piece as its bytes', async () => {
    const parts = [Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(4, 5)];
    const body = gzipBody('', { kind: 'held', parts, size: 5 });
    if (typeof body !== 'function') throw new Error('expected a stream factory');
    expect(await drain(body())).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(await drain(body())).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    const one = Uint8Array.of(9, 9);
    expect(gzipBody('', { kind: 'held', parts: [one], size: 2 })).toBe(one);
  });
});
