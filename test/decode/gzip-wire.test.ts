import { crc32, deflateSync, gunzipSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressHeld, crcOf, deflateRange, gzipTrailer, rewrapHeld, rewrapStreamed, withWire } from '../../src/decode/gzip-wire.js';
import { inflateOrthancFile } from '../../src/decode/orthanc-zlib.js';
import type { GzipWire } from '../../src/core/types.js';
import { concat, noise, orthancCompress, u64 } from '../helpers/dicom-bytes.js';

// Image-like data: compressible, not trivially (a ramp with a little noise).
const imageLike = (length: number): Uint8Array => {
  const bytes = noise(length, 7);
  for (let i = 0; i < length; i++) bytes[i] = ((i >> 6) & 0xff) + ((bytes[i] ?? 0) & 3);
  return bytes;
};

const joined = (wire: GzipWire | undefined): Uint8Array => {
  if (wire?.kind !== 'held') throw new Error(`expected a held gzip member, got ${wire?.kind ?? 'none'}`);
  return concat(...wire.parts);
};

// The held re-wrap of an Orthanc ZlibWithSize file, as the worker makes it after inflating.
const rewrap = (file: Uint8Array): GzipWire | undefined => {
  const inflated = inflateOrthancFile(file, 1e9);
  if (!inflated.ok) throw new Error(inflated.reason);
  return rewrapHeld(file, inflated.consumed, crcOf(inflated.bytes), inflated.bytes.length);
};

describe('rewrapHeld', () => {
  it('gives a gzip member that gunzips to the inflated file, without recompressing', () => {
    const decoded = imageLike(300_000);
    const file = orthancCompress(decoded);
    const wire = rewrap(file);
    const member = joined(wire);
    expect(gunzipSync(member)).toEqual(Buffer.from(decoded));
    expect(wire?.size).toBe(member.length);
    // The stored deflate data, byte for byte: 10 bytes of gzip header instead of prefix + zlib header,
    // 8 of trailer instead of the 4 of the Adler-32.
    expect(member.length).toBe(file.length - 10 - 4 + 10 + 8);
    expect(Buffer.from(member.subarray(10, member.length - 8)).equals(Buffer.from(file.subarray(10, file.length - 4)))).toBe(true);
  });

  it('writes the CRC-32 and the length little-endian in the trailer', () => {
    const decoded = imageLike(70_000);
    const member = joined(rewrap(orthancCompress(decoded)));
    const trailer = new DataView(member.buffer, member.byteOffset + member.length - 8, 8);
    expect(trailer.getUint32(0, true)).toBe(crc32(decoded));
    expect(trailer.getUint32(4, true)).toBe(70_000);
  });

  it('shares the file bytes instead of copying the deflate data', () => {
    const file = orthancCompress(imageLike(50_000));
    const wire = rewrap(file);
    if (wire?.kind !== 'held') throw new Error('expected held');
    expect(wire.parts[1]?.buffer).toBe(file.buffer);
  });

  it('re-wraps every zlib level Orthanc or another writer may have used (78 01, 78 5E, 78 9C, 78 DA)', () => {
    const decoded = imageLike(20_000);
    for (const level of [1, 3, 6, 9]) {
      const file = concat(u64(BigInt(decoded.length)), deflateSync(decoded, { level }));
      expect(gunzipSync(joined(rewrap(file)))).toEqual(Buffer.from(decoded));
    }
  });

  it('falls back (undefined) for a zlib stream with a preset dictionary', () => {
    const decoded = imageLike(5000);
    const dictionary = Buffer.from('a preset dictionary');
    const file = concat(u64(BigInt(decoded.length)), deflateSync(decoded, { dictionary }));
    expect(((file[9] ?? 0) & 0x20) !== 0).toBe(true);
    const consumed = file.length - 8;
    expect(rewrapHeld(file, consumed, crc32(decoded), decoded.length)).toBeUndefined();
    expect(inflateSync(file.subarray(8), { dictionary })).toEqual(Buffer.from(decoded));
  });

  it('falls back when bytes follow the zlib stream in the file (they would follow the deflate data into the member)', () => {
    const decoded = imageLike(5000);
    const file = concat(orthancCompress(decoded), Uint8Array.of(1, 2, 3, 4, 5));
    const inflated = inflateOrthancFile(file, 1e9);
    expect(inflated.ok).toBe(true); // zlib itself stops at its end and says nothing
    expect(rewrap(file)).toBeUndefined();
  });

  it('falls back for a header that is not zlib deflate', () => {
    expect(deflateRange({ fileSize: 100, cmf: 0x79, flg: 0x9c, consumed: 92, crc: 0, length: 1 })).toBeUndefined(); // CM 9
    expect(deflateRange({ fileSize: 100, cmf: 0x78, flg: 0x9d, consumed: 92, crc: 0, length: 1 })).toBeUndefined(); // FCHECK wrong
    expect(deflateRange({ fileSize: 100, cmf: 0x88, flg: 0x1c, consumed: 92, crc: 0, length: 1 })).toBeUndefined(); // window of 64 KiB
    expect(deflateRange({ fileSize: 100, cmf: 0x78, flg: 0x9c, consumed: 92, crc: 0, length: 1 })).toEqual({ start: 10, end: 96 });
  });
});

describe('rewrapStreamed', () => {
  it('names the deflate data between the zlib header and the Adler-32', () => {
    const wire = rewrapStreamed({ fileSize: 1000, cmf: 0x78, flg: 0x9c, consumed: 992, crc: -1, length: 2 ** 32 + 5 });
    expect(wire).toEqual({ kind: 'range', start: 10, end: 996, crc: 0xffffffff, length: 2 ** 32 + 5, size: 10 + 986 + 8 });
  });

  it('falls back when the stream ends before the file does', () => {
    expect(rewrapStreamed({ fileSize: 1000, cmf: 0x78, flg: 0x9c, consumed: 900, crc: 0, length: 2 })).toBeUndefined();
  });
});

describe('gzipTrailer', () => {
  it('writes the length modulo 2^32 (files over 4 GiB)', () => {
    const trailer = gzipTrailer(0xdeadbeef, 2 ** 32 + 7);
    const view = new DataView(trailer.buffer);
    expect(view.getUint32(0, true)).toBe(0xdeadbeef);
    expect(view.getUint32(4, true)).toBe(7);
  });
});

describe('compressHeld', () => {
  it('compresses a raw file that gains, as a member that gunzips to it', () => {
    const decoded = imageLike(100_000);
    const member = joined(compressHeld(decoded));
    expect(member.length).toBeLessThan(decoded.length * 0.95);
    expect(gunzipSync(member)).toEqual(Buffer.from(decoded));
  });

  it('leaves noise as it is (it does not gain 5%)', () => {
    expect(compressHeld(noise(100_000, 3))).toBeUndefined();
  });
});

describe('withWire', () => {
  const dicom = { kind: 'dicom' as const, bytes: Uint8Array.of(1, 2, 3) };
  const member: GzipWire = { kind: 'held', parts: [Uint8Array.of(9)], size: 1 };

  it('puts the gzip member in place of the decoded bytes', () => {
    expect(withWire(dicom, () => member)).toEqual({ kind: 'dicom', wire: member });
  });

  it('keeps the decoded bytes when there is no member to make', () => {
    expect(withWire(dicom, () => undefined)).toBe(dicom);
    expect(withWire(dicom, undefined)).toBe(dicom);
  });

  it('makes nothing for a file not sent, nor for a possible pixel-data cache (it may be parked)', () => {
    let made = 0;
    const make = (): GzipWire => {
      made++;
      return member;
    };
    const skipped = { kind: 'skipped' as const };
    expect(withWire(skipped, make)).toBe(skipped);
    const candidate = { ...dicom, cacheCandidate: true as const };
    expect(withWire(candidate, make)).toBe(candidate);
    expect(made).toBe(0);
  });
});
