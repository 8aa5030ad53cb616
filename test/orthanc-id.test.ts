import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orthancInstanceId } from '../src/orthanc-id.js';
import { BLANK_HEADER, type DicomHeader } from '../src/types.js';

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
