import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hasDicmPreamble, isZlibHeader, sniff } from '../../src/decode/sniff.js';
import { buildPart10, concat, u64 } from '../helpers/dicom-bytes.js';

const ascii = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('sniff', () => {
  it('says empty for zero bytes', () => {
    expect(sniff(new Uint8Array(0))).toBe('empty');
  });

  it('recognises DICM at offset 128', () => {
    const { bytes } = buildPart10();
    expect(hasDicmPreamble(bytes)).toBe(true);
    expect(sniff(bytes)).toBe('dicom-part10');
  });

  it('does not take DICM at another offset for a preamble', () => {
    const bytes = concat(new Uint8Array(127), ascii('DICM'), new Uint8Array(16));
    expect(hasDicmPreamble(bytes)).toBe(false);
    expect(sniff(bytes)).toBe('unknown');
  });

  it("recognises Orthanc's 8-byte size prefix followed by a level-6 zlib header (78 9C)", () => {
    const payload = new Uint8Array(1000).fill(7);
    const file = concat(u64(1000n), deflateSync(payload, { level: 6 }));
    expect(file[8]).toBe(0x78);
    expect(file[9]).toBe(0x9c);
    expect(sniff(file)).toBe('orthanc-zlib');
  });

  it('does not take a zlib stream without the 8-byte prefix for an Orthanc file', () => {
    expect(sniff(deflateSync(new Uint8Array(100), { level: 6 }))).not.toBe('orthanc-zlib');
  });

  it('needs a valid zlib header check (FCHECK) at offset 8', () => {
    expect(isZlibHeader(0x78, 0x9c)).toBe(true);
    expect(isZlibHeader(0x78, 0x9d)).toBe(false);
    expect(isZlibHeader(0x78, undefined)).toBe(false);
    expect(sniff(concat(u64(10n), Uint8Array.of(0x78, 0x9d, 0, 0)))).toBe('unknown');
  });

  it('recognises an SQLite database header', () => {
    expect(sniff(concat(ascii('SQLite format 3\0'), new Uint8Array(84)))).toBe('sqlite');
  });

  it('recognises both SQLite WAL magics', () => {
    expect(sniff(Uint8Array.of(0x37, 0x7f, 0x06, 0x82, 0, 0x2d, 0xe2, 0x18))).toBe('sqlite-wal');
    expect(sniff(Uint8Array.of(0x37, 0x7f, 0x06, 0x83, 0, 0x2d, 0xe2, 0x18))).toBe('sqlite-wal');
  });

  it('recognises gzip', () => {
    expect(sniff(Uint8Array.of(0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3))).toBe('gzip');
  });

  it('recognises zip', () => {
    expect(sniff(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0x14, 0))).toBe('zip');
  });

  it('recognises JSON objects and arrays, after leading whitespace', () => {
    expect(sniff(ascii('{"a":1}'))).toBe('json');
    expect(sniff(ascii(' \r\n\t  {\n  "0008,0018" : {}\n}'))).toBe('json');
    expect(sniff(ascii('\n[1, 2]'))).toBe('json');
  });

  it('says unknown for anything else', () => {
    expect(sniff(ascii('hello world'))).toBe('unknown');
    expect(sniff(Uint8Array.of(0x08, 0x00, 0x16, 0x00))).toBe('unknown');
    expect(sniff(new Uint8Array(200))).toBe('unknown');
  });
});
