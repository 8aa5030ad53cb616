import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHAPE_NAMES, writeRealWorldShapes } from '../../fixtures/real-world-shapes.js';
import { inspectFile } from '../../src/decode/inspect-file.js';
import { orthancInstanceId } from '../../src/decode/orthanc-id.js';
import { orthancJson, orthancsOfThisFile, uploadToOrthanc } from '../helpers/orthanc.js';
import { BLANK_HEADER, type DicomHeader } from '../../src/core/types.js';

const header = (patientId: string, study: string, series: string, sop: string): DicomHeader => ({
  ...BLANK_HEADER,
  patientId,
  studyInstanceUid: study,
  seriesInstanceUid: series,
  sopInstanceUid: sop,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
});

// Independent of the implementation: hash the UTF-8 bytes, then cut the hex into 5 groups by index.
const expectedId = (key: string): string => {
  const hex = createHash('sha1').update(Buffer.from(key, 'utf8')).digest('hex');
  return [0, 8, 16, 24, 32].map((start) => hex.slice(start, start + 8)).join('-');
};

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

describe('orthancInstanceId', () => {
  it("is SHA-1 of 'PatientID|Study|Series|SOP' in five dash-separated groups of 8", () => {
    const id = orthancInstanceId(header('PAT-1', '1.2.3', '1.2.3.4', '1.2.3.4.5'));
    expect(id).toMatch(FORMAT);
    expect(id).toBe(expectedId('PAT-1|1.2.3|1.2.3.4|1.2.3.4.5'));
    // Computed with Python's hashlib, outside Node.
    expect(id).toBe('6a316c23-39823817-8f54dec1-7007d0fe-fc67ffcf');
  });

  it('hashes non-ASCII patient IDs as UTF-8', () => {
    const id = orthancInstanceId(header('Müller', '1.2', '1.3', '1.4'));
    expect(id).toBe(expectedId('Müller|1.2|1.3|1.4'));
    expect(id).toBe('34b39772-54bbb945-1ff4b54e-21acd3e1-e01b7bcd');
  });

  it('uses the empty string for an empty PatientID and keeps the separators', () => {
    const id = orthancInstanceId(header('', '1.2', '1.3', '1.4'));
    expect(id).toMatch(FORMAT);
    expect(id).toBe(expectedId('|1.2|1.3|1.4'));
  });

  it('depends on every identifier', () => {
    const base = orthancInstanceId(header('P', 'A', 'B', 'C'));
    expect(orthancInstanceId(header('Q', 'A', 'B', 'C'))).not.toBe(base);
    expect(orthancInstanceId(header('P', 'X', 'B', 'C'))).not.toBe(base);
    expect(orthancInstanceId(header('P', 'A', 'X', 'C'))).not.toBe(base);
    expect(orthancInstanceId(header('P', 'A', 'B', 'X'))).not.toBe(base);
  });
});

describe('the real-world shapes: the ID computed from the parsed header is the one a real Orthanc gives', () => {
  const start = orthancsOfThisFile();

  it('for every shape Orthanc stores (NUL byte, trailing spaces, empty PatientID, UTF-8 and Latin-1 included)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oi-id-shapes-'));
    try {
      const paths = await writeRealWorldShapes(dir);
      const target = await start();
      // nested-10000 kills Orthanc 1.10.1 (test/decode/sequence-depth.test.ts); it is never sent.
      const stored = SHAPE_NAMES.filter((name) => name !== 'nested-10000');
      for (const name of stored) {
        const classified = await inspectFile({ path: paths[name], inlineLimit: 1 << 20, maxDecodedSize: 1 << 30, keepBytes: false });
        if (classified.kind !== 'dicom') throw new Error(`${name}: ${classified.fileClass} ${classified.reason}`);
        const answer = await uploadToOrthanc(target, paths[name]);
        expect({ name, id: classified.orthancId }).toEqual({ name, id: answer.ID });
        const patient = await orthancJson<{ MainDicomTags: { PatientID?: string } }>(target, `/instances/${answer.ID}/patient`);
        expect({ name, patientId: classified.header.patientId }).toEqual({ name, patientId: patient.MainDicomTags.PatientID ?? '' });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
