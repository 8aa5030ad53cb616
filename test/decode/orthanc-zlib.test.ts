import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkAnnouncedSize, inflateOrthancFile, readAnnouncedSize, ZLIB_PREFIX_BYTES } from '../../src/decode/orthanc-zlib.js';
import { concat, noise, orthancCompress, u64 } from '../helpers/dicom-bytes.js';

const GiB = 1024 ** 3;
const CAP = 32 * GiB;

describe('readAnnouncedSize', () => {
  it('reads the uint64 little-endian prefix', () => {
    expect(ZLIB_PREFIX_BYTES).toBe(8);
    expect(readAnnouncedSize(u64(0x0102_0304_0506n))).toBe(0x0102_0304_0506);
    expect(readAnnouncedSize(concat(Uint8Array.of(0xe8, 0x03, 0, 0, 0, 0, 0, 0), Uint8Array.of(0x78, 0x9c)))).toBe(1000);
  });

  it('reads the prefix of a subarray at its own offset', () => {
    const backing = concat(new Uint8Array(5), u64(42n));
    expect(readAnnouncedSize(backing.subarray(5))).toBe(42);
  });
});

describe('checkAnnouncedSize', () => {
  it('accepts a plausible size', () => {
    expect(checkAnnouncedSize(1000, 100, CAP)).toBeUndefined();
  });

  it('rejects 2^40 bytes announced by a small file, whatever the cap', () => {
    const reason = checkAnnouncedSize(2 ** 40, 1000, Number.MAX_SAFE_INTEGER);
    expect(reason).toMatch(/more than a 992-byte zlib stream can hold/);
  });

  it('rejects a size above the cap', () => {
    expect(checkAnnouncedSize(1001, 1_000_000, 1000)).toMatch(/above the 1000-byte cap/);
  });

  it('rejects a size that is not a safe integer', () => {
    expect(checkAnnouncedSize(2 ** 64, 1_000_000, Number.MAX_SAFE_INTEGER)).toMatch(/not a usable size/);
  });
});

describe('inflateOrthancFile', () => {
  it('round-trips a level-6 zlib stream to the exact bytes', () => {
    const original = noise(10_000, 42);
    const file = concat(u64(BigInt(original.length)), deflateSync(original, { level: 6 }));
    const result = inflateOrthancFile(file, CAP);
    expect(result.ok).toBe(true);
    if (result.ok) expect(Buffer.from(result.bytes).equals(Buffer.from(original))).toBe(true);
  });

  it('inflates a payload smaller than zlib\'s smallest output chunk (64 bytes) exactly', () => {
    const original = noise(10, 7);
    const result = inflateOrthancFile(orthancCompress(original), CAP);
    expect(result.ok).toBe(true);
    if (result.ok) expect(Buffer.from(result.bytes).equals(Buffer.from(original))).toBe(true);
  });

  it('gives an exact stream\'s bytes a buffer of their own, to be moved between threads without a copy', () => {
    const result = inflateOrthancFile(orthancCompress(noise(100_000, 3)), CAP);
    expect(result.ok).toBe(true);
    if (result.ok) expect([result.bytes.byteOffset, result.bytes.buffer.byteLength]).toEqual([0, 100_000]);
  });

  it('decodes a 0-byte payload (prefix 0 + zlib stream of nothing) to 0 bytes', () => {
    const file = orthancCompress(new Uint8Array(0));
    const result = inflateOrthancFile(file, CAP);
    expect(result).toEqual({ ok: true, bytes: expect.any(Uint8Array) as unknown });
    if (result.ok) expect(result.bytes.length).toBe(0);
  });

  it('says why when the announced size is larger than what the stream inflates to', () => {
    const original = noise(1000);
    const result = inflateOrthancFile(orthancCompress(original, 1010n), CAP);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('the zlib stream inflates to 1000 bytes, 1010 announced');
  });

  it('says why when the stream inflates to more than announced', () => {
    const original = noise(1000);
    const result = inflateOrthancFile(orthancCompress(original, 900n), CAP);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('the zlib stream inflates to more than the 900 bytes announced');
  });

  it('tells a stream one byte too long from an exact one', () => {
    const original = noise(1000);
    const result = inflateOrthancFile(orthancCompress(original, 999n), CAP);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('the zlib stream inflates to 1000 bytes, 999 announced');
  });

  it('stops at announced+1 bytes: 50 MB of zeros announced as 10 bytes fails fast', () => {
    const file = orthancCompress(new Uint8Array(50 * 1024 * 1024), 10n);
    expect(file.length).toBeLessThan(1024 * 1024);
    const started = performance.now();
    const result = inflateOrthancFile(file, CAP);
    const elapsed = performance.now() - started;
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('the zlib stream inflates to more than the 10 bytes announced');
    expect(elapsed).toBeLessThan(1000);
  });

  it('rejects a prefix claiming 2^40 bytes before inflating anything', () => {
    const file = concat(u64(2n ** 40n), deflateSync(noise(100), { level: 6 }));
    const expected = checkAnnouncedSize(2 ** 40, file.length, Number.MAX_SAFE_INTEGER);
    expect(expected).toBeDefined();
    const result = inflateOrthancFile(file, Number.MAX_SAFE_INTEGER);
    expect(result).toEqual({ ok: false, reason: expected });
  });

  it('rejects a prefix above maxDecodedSize', () => {
    const original = noise(2000);
    const result = inflateOrthancFile(orthancCompress(original), 1999);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/announces 2000 bytes, above the 1999-byte cap/);
  });

  it('accepts a size exactly at maxDecodedSize', () => {
    const original = noise(2000);
    expect(inflateOrthancFile(orthancCompress(original), 2000).ok).toBe(true);
  });

  it('reports a truncated zlib stream', () => {
    const file = orthancCompress(noise(5000));
    const result = inflateOrthancFile(file.subarray(0, Math.floor(file.length / 2)), CAP);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^the zlib stream does not inflate \(/);
  });

  it('reports garbage after the prefix', () => {
    const file = concat(u64(100n), Uint8Array.of(0x78, 0x9c), noise(200, 9));
    const result = inflateOrthancFile(file, CAP);
    expect(result.ok).toBe(false);
  });
});
