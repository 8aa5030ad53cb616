import { describe, expect, it } from 'vitest';
import { classifyContent, type ContentVerdict } from '../../src/decode/classify-content.js';
import { buildImplicitDataset, buildPart10, concat, cutBeforePixelData, DEFAULT_IDS, noise, text, u64, UID } from '../helpers/dicom-bytes.js';

const classify = (bytes: Uint8Array): ContentVerdict => classifyContent(bytes, bytes.length);
const classOf = (verdict: ContentVerdict): string => (verdict.kind === 'dicom' ? 'dicom' : verdict.fileClass);
const utf8 = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('classifyContent', () => {
  it('says dicom for a full Part 10 file, with its header', () => {
    const verdict = classify(buildPart10().bytes);
    expect(verdict.kind).toBe('dicom');
    if (verdict.kind === 'dicom') expect(verdict.header.sopInstanceUid).toBe(DEFAULT_IDS.sopInstanceUid);
  });

  it('says dicom for a file without preamble and for a raw implicit dataset', () => {
    expect(classOf(classify(buildPart10({ preamble: false }).bytes))).toBe('dicom');
    expect(classOf(classify(buildImplicitDataset()))).toBe('dicom');
  });

  it('says dicom for encapsulated pixel data closed by its delimiter', () => {
    expect(classOf(classify(buildPart10({ pixelData: 'encapsulated' }).bytes))).toBe('dicom');
  });

  it('says dicom, a cache candidate, for an image header cut just before PixelData: only its counterpart can prove it a cache', () => {
    const full = buildPart10();
    const cut = cutBeforePixelData(full);
    expect(classify(cut)).toMatchObject({ kind: 'dicom', cacheCandidate: true, pixelDataOffset: undefined });
    expect(classify(full.bytes)).toMatchObject({ kind: 'dicom', cacheCandidate: false, pixelDataOffset: cut.length });
    // Orthanc writes its cache only for files with the preamble: without it, no candidate.
    expect(classify(cutBeforePixelData(buildPart10({ preamble: false })))).toMatchObject({ kind: 'dicom', cacheCandidate: false });
  });

  it('says corrupt when PixelData declares more bytes than remain', () => {
    expect(classOf(classify(buildPart10({ pixelLengthOverride: 10_000 }).bytes))).toBe('corrupt');
  });

  it('says corrupt when an element runs past the end', () => {
    const bytes = buildPart10({ pixelData: 'none', extra: [{ group: 0x0020, element: 0x4000, vr: 'LT', value: text('ab'), length: 300 }] }).bytes;
    expect(classOf(classify(bytes))).toBe('corrupt');
  });

  it('says corrupt for encapsulated pixel data without sequence delimiter', () => {
    expect(classOf(classify(buildPart10({ pixelData: 'encapsulated-unterminated' }).bytes))).toBe('corrupt');
  });

  it('says not-dicom for a DICOMDIR', () => {
    const bytes = buildPart10({ sopClassUid: UID.dicomdir, image: false, pixelData: 'none' }).bytes;
    const verdict = classify(bytes);
    expect(classOf(verdict)).toBe('not-dicom');
    if (verdict.kind === 'skipped') expect(verdict.reason).toMatch(/DICOMDIR/);
  });

  it('says not-dicom for random bytes, empty input, SQLite, WAL, gzip and zip', () => {
    expect(classOf(classify(noise(4096, 5)))).toBe('not-dicom');
    expect(classOf(classify(new Uint8Array(0)))).toBe('not-dicom');
    expect(classOf(classify(concat(utf8('SQLite format 3\0'), new Uint8Array(100))))).toBe('not-dicom');
    expect(classOf(classify(Uint8Array.of(0x37, 0x7f, 0x06, 0x82, 0, 0, 0, 0)))).toBe('not-dicom');
    expect(classOf(classify(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0)))).toBe('not-dicom');
    expect(classOf(classify(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0, 0, 0)))).toBe('not-dicom');
  });

  it("says json-summary for Orthanc's dicom-as-json", () => {
    const summary = {
      '0008,0018': { Name: 'SOPInstanceUID', Type: 'String', Value: '1.2.3' },
      '0010,0020': { Name: 'PatientID', Type: 'String', Value: 'P1' },
      '7fe0,0010': { Name: 'PixelData', Type: 'TooLong', Value: null },
    };
    expect(classOf(classify(utf8(JSON.stringify(summary, null, 3))))).toBe('json-summary');
  });

  it('says not-dicom for DICOM-JSON (PS3.18: keys "ggggeeee" holding {vr, Value})', () => {
    const dicomJson = { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JOHN' }] }, '00080018': { vr: 'UI', Value: ['1.2.3'] } };
    expect(classOf(classify(utf8(JSON.stringify(dicomJson))))).toBe('not-dicom');
    expect(classOf(classify(utf8(JSON.stringify([dicomJson]))))).toBe('not-dicom');
  });

  it('says not-dicom for JSON keyed like tags but not holding {Name, Type, Value} with a known Type', () => {
    for (const entry of ['1.2.3', { Name: 'SOPInstanceUID', Value: '1.2.3' }, { Name: 'SOPInstanceUID', Type: 'Banana', Value: '1.2.3' }, { vr: 'UI', Value: ['1.2.3'] }]) {
      expect(classOf(classify(utf8(JSON.stringify({ '0008,0018': entry }))))).toBe('not-dicom');
    }
  });

  it('says not-dicom for other JSON, for arrays and for broken JSON', () => {
    expect(classOf(classify(utf8('{"name": "orthanc", "version": 1}')))).toBe('not-dicom');
    expect(classOf(classify(utf8('{}')))).toBe('not-dicom');
    expect(classOf(classify(utf8('[{"0008,0018": {}}]')))).toBe('not-dicom');
    expect(classOf(classify(utf8('{"0008,0018": ')))).toBe('not-dicom');
  });

  it('says dicom for a non-image object without PixelData (it must be uploaded)', () => {
    const verdict = classify(buildPart10({ sopClassUid: UID.basicTextSr, image: false, pixelData: 'none' }).bytes);
    expect(classOf(verdict)).toBe('dicom');
  });

  it('says dicom for an image with Float Pixel Data (7FE0,0008) and no (7FE0,0010)', () => {
    expect(classOf(classify(buildPart10({ pixelData: 'float' }).bytes))).toBe('dicom');
  });

  it('does not call a still-compressed Orthanc file DICOM', () => {
    const compressed = concat(u64(100n), Uint8Array.of(0x78, 0x9c), noise(50, 11));
    expect(classOf(classify(compressed))).not.toBe('dicom');
  });
});
