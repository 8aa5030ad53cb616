import { createHash } from 'node:crypto';
import { crc32, gunzipSync } from 'node:zlib';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRealWorldShapes } from '../../fixtures/real-world-shapes.js';
import { inspectFile, type InspectTask } from '../../src/decode/inspect-file.js';
import type { Classified, DecodedDicom, SkippedFile } from '../../src/core/types.js';
import { buildPart10, concat, cutBeforePixelData, DEFAULT_IDS, orthancCompress } from '../helpers/dicom-bytes.js';

const isRoot = process.getuid?.() === 0;
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inspect-file-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = async (name: string, bytes: Uint8Array): Promise<string> => {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
};

const task = (path: string, overrides: Partial<InspectTask> = {}): Promise<InspectTask> => Promise.resolve({
  path,
  inlineLimit: 64 * 1024 * 1024,
  maxDecodedSize: 32 * 1024 ** 3,
  keepBytes: true,
  ...overrides,
});

const asDicom = (result: Classified): DecodedDicom => {
  if (result.kind !== 'dicom') throw new Error(`expected dicom, got ${result.fileClass}: ${result.reason}`);
  return result;
};

const asSkipped = (result: Classified): SkippedFile => {
  if (result.kind !== 'skipped') throw new Error('expected a skipped file, got dicom');
  return result;
};

describe('inspectFile', () => {
  it('classifies a raw DICOM file, with the MD5 of the file, its size, its ID and its bytes', async () => {
    const { bytes } = buildPart10();
    const result = asDicom(await inspectFile(await task(await write('raw.dcm', bytes))));
    expect(result.encoding).toBe('raw');
    expect(result.md5).toBe(md5(bytes));
    expect(result.decodedSize).toBe(bytes.length);
    expect(result.diskSize).toBe(bytes.length);
    expect(result.header.sopInstanceUid).toBe(DEFAULT_IDS.sopInstanceUid);
    expect(result.orthancId).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/);
    expect(result.bytes && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('decodes an Orthanc-compressed DICOM file: encoding zlib, MD5 and size of the decoded bytes', async () => {
    const { bytes } = buildPart10();
    const file = orthancCompress(bytes);
    const result = asDicom(await inspectFile(await task(await write('compressed', file))));
    expect(result.encoding).toBe('zlib');
    expect(result.md5).toBe(md5(bytes));
    expect(result.md5).not.toBe(md5(file));
    expect(result.decodedSize).toBe(bytes.length);
    expect(result.diskSize).toBe(file.length);
    expect(result.bytes && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('says corrupt for a compressed file whose prefix lies', async () => {
    const { bytes } = buildPart10();
    const file = orthancCompress(bytes, BigInt(bytes.length + 10));
    const result = asSkipped(await inspectFile(await task(await write('lying-prefix', file))));
    expect(result.fileClass).toBe('corrupt');
    expect(result.encoding).toBe('zlib');
    expect(result.reason).toMatch(/announced/);
  });

  it('says corrupt for a compressed file whose prefix is impossible, without inflating it', async () => {
    const file = orthancCompress(buildPart10().bytes, 2n ** 40n);
    const result = asSkipped(await inspectFile(await task(await write('huge-prefix', file))));
    expect(result.fileClass).toBe('corrupt');
    expect(result.reason).toMatch(/size prefix announces 1099511627776 bytes/);
  });

  it('calls a compressed dicom-until-pixel-data attachment a cache candidate, its full file the evidence that proves it one', async () => {
    const full = buildPart10();
    const cut = cutBeforePixelData(full);
    const candidate = asDicom(await inspectFile(await task(await write('type3', orthancCompress(cut)))));
    expect(candidate.cacheCandidate).toBe(true);
    expect(candidate.pixelData).toBeUndefined();
    expect(candidate.encoding).toBe('zlib');
    const counterpart = asDicom(await inspectFile(await task(await write('type1', orthancCompress(full.bytes)))));
    expect(counterpart.cacheCandidate).toBeUndefined();
    expect(counterpart.pixelData).toEqual({ offset: cut.length, prefixMd5: md5(cut) });
    expect(counterpart.orthancId).toBe(candidate.orthancId);
    // Streamed (above the inline limit): the same evidence, from the decoded head.
    const streamed = asDicom(await inspectFile(await task(await write('type1-big', orthancCompress(full.bytes)), { inlineLimit: 16 })));
    expect(streamed.pixelData).toEqual(counterpart.pixelData);
  });

  describe('streamed path (decoded size above inlineLimit)', () => {
    const big = buildPart10({ pixelBytes: 100 * 1024 }).bytes;

    it('hashes a ~100 KB raw file in a stream: right MD5, no bytes', async () => {
      const path = await write('big-raw.dcm', big);
      const result = asDicom(await inspectFile(await task(path, { inlineLimit: 1024 })));
      expect(result.encoding).toBe('raw');
      expect(result.md5).toBe(md5(big));
      expect(result.decodedSize).toBe(big.length);
      expect(result.bytes).toBeUndefined();
    });

    it('inflates a ~100 KB compressed file in a stream: MD5 of the decoded bytes, no bytes', async () => {
      const path = await write('big-compressed', orthancCompress(big));
      const result = asDicom(await inspectFile(await task(path, { inlineLimit: 1024 })));
      expect(result.encoding).toBe('zlib');
      expect(result.md5).toBe(md5(big));
      expect(result.decodedSize).toBe(big.length);
      expect(result.bytes).toBeUndefined();
    });

    it('says corrupt when a streamed compressed file inflates to fewer bytes than announced', async () => {
      const path = await write('big-short', orthancCompress(big, BigInt(big.length + 1)));
      const result = asSkipped(await inspectFile(await task(path, { inlineLimit: 1024 })));
      expect(result.fileClass).toBe('corrupt');
      expect(result.reason).toBe(`the zlib stream inflates to ${big.length} bytes, ${big.length + 1} bytes announced`);
    });

    it('says corrupt when a streamed compressed file inflates to more bytes than announced', async () => {
      const path = await write('big-long', orthancCompress(big, BigInt(big.length - 5000)));
      const result = asSkipped(await inspectFile(await task(path, { inlineLimit: 1024 })));
      expect(result.fileClass).toBe('corrupt');
      expect(result.reason).toMatch(/inflates to more than/);
    });

    it('says corrupt when a streamed compressed file is truncated', async () => {
      const file = orthancCompress(big);
      const path = await write('big-truncated', file.subarray(0, file.length - 2000));
      const result = asSkipped(await inspectFile(await task(path, { inlineLimit: 1024 })));
      expect(result.fileClass).toBe('corrupt');
    });
  });

  it('says too-deep for a file nested 10,000 levels, even when the index lists it as an instance', async () => {
    const path = (await writeRealWorldShapes(join(dir, 'shapes')))['nested-10000'];
    const bytes = await readFile(path);
    const reason = 'nested 10000 levels deep: not sent, it crashes common DICOM servers';
    expect(await inspectFile(await task(path))).toMatchObject({ kind: 'skipped', fileClass: 'too-deep', reason });
    const expected = { compressionType: 1 as const, compressedSize: bytes.length, uncompressedSize: bytes.length, uncompressedMd5: md5(bytes), instanceId: 'id' };
    expect(await inspectFile(await task(path, { expected }))).toMatchObject({ kind: 'skipped', fileClass: 'too-deep', reason });
  });

  it('returns no bytes when keepBytes is false (raw and compressed)', async () => {
    const { bytes } = buildPart10();
    const raw = asDicom(await inspectFile(await task(await write('nokeep.dcm', bytes), { keepBytes: false })));
    expect(raw.bytes).toBeUndefined();
    expect(raw.md5).toBe(md5(bytes));
    const zlib = asDicom(await inspectFile(await task(await write('nokeep-z', orthancCompress(bytes)), { keepBytes: false })));
    expect(zlib.bytes).toBeUndefined();
    expect(zlib.md5).toBe(md5(bytes));
  });

  it('takes the recorded MD5 of an indexed zlib attachment that inflates whole when the target reads MD5s back, and refuses one whose Adler-32 is wrong', async () => {
    const { bytes } = buildPart10();
    const stored = orthancCompress(bytes);
    const expected = { compressionType: 2 as const, compressedSize: stored.length, uncompressedSize: bytes.length, uncompressedMd5: md5(bytes), instanceId: 'id' };
    // The record is taken, not hashed again: a wrong record shows here, and the target's read-back then disagrees with it.
    const recorded = 'f'.repeat(32);
    const path = await write('recorded-z', stored);
    const taken = asDicom(await inspectFile(await task(path, { md5ReadBack: true, expected: { ...expected, uncompressedMd5: recorded } })));
    expect(taken.md5).toBe(recorded);
    expect(taken.bytes).toEqual(Buffer.from(bytes));
    // Nothing will read the target's MD5 back (an inventory, --no-verify): the hash is the check.
    const hashedAnyway = asSkipped(await inspectFile(await task(path, { expected: { ...expected, uncompressedMd5: recorded } })));
    expect(hashedAnyway).toMatchObject({ fileClass: 'corrupt-source', reason: `instance id: its MD5 is ${md5(bytes)}, the index says ${recorded}` });
    // One decoded byte changed (the stream's checksum altered to match the change would be needed to pass).
    const checksum = Uint8Array.from(stored);
    checksum[checksum.length - 1] = (checksum[checksum.length - 1] ?? 0) ^ 0x01;
    const refused = asSkipped(await inspectFile(await task(await write('adler-z', checksum), { md5ReadBack: true, expected })));
    expect(refused).toMatchObject({ fileClass: 'corrupt-source' });
    expect(refused.reason).toMatch(/instance id: the zlib stream does not inflate \(incorrect data check\)/);
    // Without a record (an index that stored none), the decoded bytes are hashed.
    const hashed = asDicom(await inspectFile(await task(await write('unrecorded-z', stored), { md5ReadBack: true, expected: { ...expected, uncompressedMd5: '' } })));
    expect(hashed.md5).toBe(md5(bytes));
  });

  it('says failed, naming the errno code, for a file that does not exist', async () => {
    const result = asSkipped(await inspectFile({ path: join(dir, 'missing.dcm'), inlineLimit: 1024, maxDecodedSize: 1e9, keepBytes: true }));
    expect(result.fileClass).toBe('failed');
    expect(result.reason).toContain('ENOENT');
  });

  it.skipIf(isRoot)('says failed, naming EACCES, for a file with mode 000', async () => {
    const path = await write('locked.dcm', buildPart10().bytes);
    await chmod(path, 0o000);
    const result = asSkipped(await inspectFile(await task(path)));
    expect(result.fileClass).toBe('failed');
    expect(result.reason).toContain('EACCES');
  });

  it('says not-dicom for an empty file', async () => {
    const result = asSkipped(await inspectFile(await task(await write('empty', new Uint8Array(0)))));
    expect(result.fileClass).toBe('not-dicom');
    expect(result.reason).toMatch(/empty/);
  });

  it('says not-dicom for a JSON document and json-summary for a compressed dicom-as-json', async () => {
    const other = asSkipped(await inspectFile(await task(await write('config.json', new TextEncoder().encode('{"a": 1}')))));
    expect(other.fileClass).toBe('not-dicom');
    const summary = new TextEncoder().encode(JSON.stringify({ '0008,0018': { Name: 'SOPInstanceUID', Type: 'String', Value: '1.2.3' } }));
    const compressed = asSkipped(await inspectFile(await task(await write('summary', orthancCompress(summary)))));
    expect(compressed.fileClass).toBe('json-summary');
    expect(compressed.encoding).toBe('zlib');
  });

  describe('gzipWire: the gzip member for the wire instead of the decoded bytes', () => {
    const file = buildPart10({ pixelBytes: 20_000 }).bytes;
    const member = (result: DecodedDicom): Uint8Array => {
      if (result.wire?.kind !== 'held') throw new Error(`expected a held member, got ${result.wire?.kind ?? 'none'}`);
      return concat(...result.wire.parts);
    };

    it('re-wraps a compressed file held in memory: no decoded bytes, a member that gunzips to the file, the same MD5', async () => {
      const stored = orthancCompress(file);
      const result = asDicom(await inspectFile(await task(await write('wire-held', stored), { gzipWire: true })));
      expect(result.bytes).toBeUndefined();
      expect(gunzipSync(member(result))).toEqual(Buffer.from(file));
      expect(result.wire?.size).toBe(stored.length - 14 + 18);
      expect(result.md5).toBe(md5(file));
    });

    it('names the byte range of a compressed file too large to hold, with the CRC-32 taken while inflating', async () => {
      const stored = orthancCompress(file);
      const result = asDicom(await inspectFile(await task(await write('wire-streamed', stored), { gzipWire: true, inlineLimit: 1024 })));
      expect(result.wire).toEqual({ kind: 'range', start: 10, end: stored.length - 4, crc: crc32(file), length: file.length, size: stored.length - 14 + 18 });
    });

    it('compresses a raw file that gains (level 1), and leaves one that does not as it is', async () => {
      const small = buildPart10().bytes; // mostly header and a zero preamble
      const gains = asDicom(await inspectFile(await task(await write('wire-raw.dcm', small), { gzipWire: true })));
      expect(gunzipSync(member(gains))).toEqual(Buffer.from(small));
      const noisy = asDicom(await inspectFile(await task(await write('wire-noise.dcm', file), { gzipWire: true })));
      expect(noisy.wire).toBeUndefined();
      expect(noisy.bytes).toEqual(Buffer.from(file));
    });

    it('re-wraps an instance read as the index says, from disk and downloaded alike', async () => {
      const stored = orthancCompress(file);
      const expected = { compressionType: 2 as const, compressedSize: stored.length, uncompressedSize: file.length, uncompressedMd5: md5(file), instanceId: 'x' };
      const path = await write('wire-indexed', stored);
      const indexed = asDicom(await inspectFile(await task(path, { gzipWire: true, expected })));
      expect(gunzipSync(member(indexed))).toEqual(Buffer.from(file));
      const downloaded = asDicom(await inspectFile(await task('', { gzipWire: true, expected, downloaded: new Uint8Array(stored) })));
      expect(gunzipSync(member(downloaded))).toEqual(Buffer.from(file));
      const streamed = asDicom(await inspectFile(await task(path, { gzipWire: true, expected, inlineLimit: 1024 })));
      expect(streamed.wire).toEqual({ kind: 'range', start: 10, end: stored.length - 4, crc: crc32(file), length: file.length, size: stored.length - 14 + 18 });
    });

    it('sends the decoded file when the stored zlib stream cannot be re-wrapped (bytes after it)', async () => {
      const stored = concat(orthancCompress(file), Uint8Array.of(0, 0, 0, 0));
      const path = await write('wire-trailing', stored);
      const result = asDicom(await inspectFile(await task(path, { gzipWire: true })));
      expect(result.wire).toBeUndefined();
      expect(result.bytes).toEqual(Buffer.from(file));
      // Streamed (too large to hold): the end of the stream comes from the streaming inflater's count.
      const streamed = asDicom(await inspectFile(await task(path, { gzipWire: true, inlineLimit: 1024 })));
      expect(streamed.wire).toBeUndefined();
      expect(streamed.md5).toBe(md5(file));
    });
  });
});
