import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { parseDicomHeader, type HeaderFacts, type HeaderResult } from '../../src/decode/dicom-header.js';
import { buildImplicitDataset, buildPart10, cutBeforePixelData, DEFAULT_IDS, noise, text, UID } from '../helpers/dicom-bytes.js';

const whole = (bytes: Uint8Array): HeaderResult => parseDicomHeader(bytes, bytes.length);

const factsOf = (result: HeaderResult): HeaderFacts => {
  if (!result.ok) throw new Error(`expected the header to parse, got: ${result.reason}`);
  return result.facts;
};

const failureOf = (result: HeaderResult): { notDicom: boolean; reason: string } => {
  if (result.ok) throw new Error('expected the header not to parse');
  return { notDicom: result.notDicom, reason: result.reason };
};

describe('parseDicomHeader', () => {
  it('reads the identifiers of a Part 10 file with preamble', () => {
    const facts = factsOf(whole(buildPart10().bytes));
    expect(facts.header).toEqual({
      patientId: DEFAULT_IDS.patientId,
      studyInstanceUid: DEFAULT_IDS.studyInstanceUid,
      seriesInstanceUid: DEFAULT_IDS.seriesInstanceUid,
      sopInstanceUid: DEFAULT_IDS.sopInstanceUid,
      sopClassUid: DEFAULT_IDS.sopClassUid,
      transferSyntaxUid: UID.explicitLe,
      accessionNumber: '', // absent from this minimal file: read as ''
      modality: 'CT',
      studyDate: '',
    });
    expect(facts.isImage).toBe(true);
    expect(facts.hasPixelData).toBe(true);
    expect(facts.endsBeforePixelData).toBe(false);
    expect(facts.isDicomdir).toBe(false);
    expect(facts.hasFloatPixelData).toBe(false);
  });

  it('strips the padding of odd-length values', () => {
    const facts = factsOf(whole(buildPart10({ patientId: 'ABC', sopInstanceUid: '1.2.345' }).bytes));
    expect(facts.header.patientId).toBe('ABC');
    expect(facts.header.sopInstanceUid).toBe('1.2.345');
  });

  it('reads PatientID as Orthanc does: cut at a NUL byte, trailing spaces dropped, leading whitespace kept', () => {
    const patientIdOf = (patientId: string): string => factsOf(whole(buildPart10({ patientId }).bytes)).header.patientId;
    expect(patientIdOf('ABC   ')).toBe('ABC');
    expect(patientIdOf('ABC\0XY')).toBe('ABC');
    expect(patientIdOf(' ABC')).toBe(' ABC');
    expect(patientIdOf('\tABC')).toBe('\tABC');
    expect(patientIdOf('ABC\t')).toBe('ABC\t');
  });

  it('reads a file without preamble that starts with the meta group', () => {
    const { bytes } = buildPart10({ preamble: false, sopInstanceUid: '1.2.3.99' });
    expect(bytes[0]).toBe(0x02);
    const facts = factsOf(whole(bytes));
    expect(facts.header.sopInstanceUid).toBe('1.2.3.99');
    expect(facts.header.patientId).toBe(DEFAULT_IDS.patientId);
    expect(facts.header.transferSyntaxUid).toBe(UID.explicitLe);
    expect(facts.hasPixelData).toBe(true);
  });

  it('checks PixelData lengths of a file without preamble against its own size', () => {
    const { bytes } = buildPart10({ preamble: false, pixelBytes: 64, pixelLengthOverride: 128 });
    const failure = failureOf(whole(bytes));
    expect(failure.notDicom).toBe(false);
    expect(failure.reason).toMatch(/PixelData declares 128 bytes but only 64 follow it/);
  });

  it('reads a raw implicit-LE dataset without meta group', () => {
    const bytes = buildImplicitDataset({ sopInstanceUid: '1.2.3.4.5' });
    expect(bytes[0]).toBe(0x08);
    const facts = factsOf(whole(bytes));
    expect(facts.header.sopInstanceUid).toBe('1.2.3.4.5');
    expect(facts.header.studyInstanceUid).toBe(DEFAULT_IDS.studyInstanceUid);
    expect(facts.header.sopClassUid).toBe(DEFAULT_IDS.sopClassUid);
    expect(facts.header.transferSyntaxUid).toBe(UID.implicitLe);
    expect(facts.hasPixelData).toBe(true);
    expect(facts.isImage).toBe(true);
  });

  it('sees a file cut exactly before PixelData as an image header that ends there', () => {
    const cut = cutBeforePixelData(buildPart10());
    const facts = factsOf(whole(cut));
    expect(facts.endsBeforePixelData).toBe(true);
    expect(facts.hasPixelData).toBe(false);
    expect(facts.isImage).toBe(true);
    expect(facts.header.sopInstanceUid).toBe(DEFAULT_IDS.sopInstanceUid);
  });

  it('does not say endsBeforePixelData when only the head of a longer file was given', () => {
    const cut = cutBeforePixelData(buildPart10());
    const facts = factsOf(parseDicomHeader(cut, cut.length + 1000));
    expect(facts.endsBeforePixelData).toBe(false);
  });

  it('sees PixelData in a full file', () => {
    const facts = factsOf(whole(buildPart10({ pixelBytes: 512 }).bytes));
    expect(facts.hasPixelData).toBe(true);
    expect(facts.endsBeforePixelData).toBe(false);
  });

  it('says where the PixelData element begins, in the bytes given, with or without preamble', () => {
    for (const preamble of [true, false]) {
      const built = buildPart10({ pixelBytes: 512, preamble });
      expect(factsOf(whole(built.bytes)).pixelDataOffset).toBe(built.pixelDataOffset);
    }
    expect(factsOf(whole(buildPart10({ pixelData: 'encapsulated' }).bytes)).pixelDataOffset).toBe(buildPart10({ pixelData: 'encapsulated' }).pixelDataOffset);
    expect(factsOf(whole(cutBeforePixelData(buildPart10()))).pixelDataOffset).toBeUndefined();
  });

  it('fails (as DICOM, not as not-DICOM) when PixelData declares more bytes than remain', () => {
    const { bytes } = buildPart10({ pixelBytes: 64, pixelLengthOverride: 4096 });
    const failure = failureOf(whole(bytes));
    expect(failure.notDicom).toBe(false);
    expect(failure.reason).toMatch(/PixelData declares 4096 bytes but only 64 follow it/);
  });

  it('fails when the file was truncated inside the pixel data', () => {
    const { bytes } = buildPart10({ pixelBytes: 1024 });
    const failure = failureOf(whole(bytes.subarray(0, bytes.length - 100)));
    expect(failure.notDicom).toBe(false);
  });

  it('fails when an element before the pixel data runs past the end (explicit, with preamble)', () => {
    const { bytes } = buildPart10({
      pixelData: 'none',
      extra: [{ group: 0x0020, element: 0x4000, vr: 'LT', value: text('abcd'), length: 200 }],
    });
    const failure = failureOf(whole(bytes));
    expect(failure.notDicom).toBe(false);
    expect(failure.reason.length).toBeGreaterThan(0);
  });

  it('fails when an element runs past the end (raw implicit dataset)', () => {
    const bytes = buildImplicitDataset({
      pixelData: 'none',
      extra: [{ group: 0x0020, element: 0x4000, vr: 'LT', value: text('abcd'), length: 200 }],
    });
    const failure = failureOf(whole(bytes));
    expect(failure.notDicom).toBe(false);
    expect(failure.reason).toMatch(/\(0020,4000\) runs past the end of the file/);
  });

  it('fails on encapsulated pixel data whose fragments are not closed by a sequence delimiter', () => {
    const { bytes } = buildPart10({ pixelData: 'encapsulated-unterminated' });
    const failure = failureOf(whole(bytes));
    expect(failure.notDicom).toBe(false);
    expect(failure.reason).toMatch(/encapsulated PixelData is cut short/);
  });

  it('accepts encapsulated pixel data closed by a sequence delimiter', () => {
    const facts = factsOf(whole(buildPart10({ pixelData: 'encapsulated' }).bytes));
    expect(facts.hasPixelData).toBe(true);
    expect(facts.header.transferSyntaxUid).toBe(UID.jpegBaseline);
  });

  it('recognises a DICOMDIR by its MediaStorageSOPClassUID', () => {
    const { bytes } = buildPart10({
      sopClassUid: UID.dicomdir,
      image: false,
      pixelData: 'none',
      extra: [{ group: 0x0004, element: 0x1130, vr: 'CS', value: text('FILESET') }],
    });
    const facts = factsOf(whole(bytes));
    expect(facts.isDicomdir).toBe(true);
  });

  it('says notDicom for random bytes', () => {
    const failure = failureOf(whole(noise(4096, 123)));
    expect(failure.notDicom).toBe(true);
  });

  it('says notDicom for text', () => {
    const failure = failureOf(whole(new TextEncoder().encode('just some text, long enough to parse')));
    expect(failure.notDicom).toBe(true);
  });

  it('sees float pixel data without (7FE0,0010)', () => {
    const facts = factsOf(whole(buildPart10({ pixelData: 'float' }).bytes));
    expect(facts.hasFloatPixelData).toBe(true);
    expect(facts.hasPixelData).toBe(false);
    expect(facts.isImage).toBe(true);
  });

  it('sees a non-image object without pixel data', () => {
    const facts = factsOf(whole(buildPart10({ sopClassUid: UID.basicTextSr, image: false, pixelData: 'none' }).bytes));
    expect(facts.isImage).toBe(false);
    expect(facts.hasPixelData).toBe(false);
    expect(facts.header.sopClassUid).toBe(UID.basicTextSr);
  });
});

describe('parseDicomHeader on the Deflated Transfer Syntax', () => {
  const DEFLATED = '1.2.840.10008.1.2.1.99';
  const plain = buildPart10({ transferSyntaxUid: DEFLATED }).bytes;
  // Preamble + DICM (132 bytes), then the meta group: its (0002,0000) element (12 bytes) gives the rest's length.
  const datasetStart = 132 + 12 + new DataView(plain.buffer, plain.byteOffset + 140, 4).getUint32(0, true);
  const deflatedFile = (dataset: Uint8Array): Uint8Array => Buffer.concat([plain.subarray(0, datasetStart), dataset]);

  it('reads the identifiers of a deflated dataset', () => {
    const file = deflatedFile(deflateRawSync(plain.subarray(datasetStart)));
    const result = parseDicomHeader(file, file.length);
    expect(result.ok && result.facts.header.sopInstanceUid).toBe(DEFAULT_IDS.sopInstanceUid);
  });

  it('says the deflated dataset does not inflate, instead of throwing', () => {
    const file = deflatedFile(noise(200, 9));
    const result = parseDicomHeader(file, file.length);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/deflated dataset does not inflate/);
  });
});
