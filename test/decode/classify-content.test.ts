// Which JSON is Orthanc's dicom-as-json summary, and which is any other JSON.
import { describe, expect, it } from 'vitest';
import { classifyContent } from '../../src/decode/classify-content.js';

const classOf = (value: unknown): string => {
  const bytes = Buffer.from(JSON.stringify(value));
  const verdict = classifyContent(bytes, bytes.length);
  return verdict.kind === 'dicom' ? 'dicom' : verdict.fileClass;
};

describe('JSON files', () => {
  it("are a json-summary only in Orthanc's format: keys \"gggg,eeee\" holding {Name, Type, Value}", () => {
    expect(
      classOf({
        '0008,0018': { Name: 'SOPInstanceUID', Type: 'String', Value: '1.2.3' },
        '0008,1140': { Name: 'ReferencedImageSequence', Type: 'Sequence', Value: [{ '0008,1150': { Name: 'ReferencedSOPClassUID', Type: 'String', Value: '1.2' } }] },
        '0010,0010': { Name: 'PatientName', Type: 'Null', Value: null },
        '7fe0,0010': { Name: 'PixelData', Type: 'TooLong', Value: null },
      }),
    ).toBe('json-summary');
  });

  it('are not-dicom as DICOM-JSON (PS3.18: keys "ggggeeee" holding {vr, Value})', () => {
    expect(classOf({ '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JOHN' }] }, '00080018': { vr: 'UI', Value: ['1.2.3'] } })).toBe('not-dicom');
    expect(classOf([{ '00100010': { vr: 'PN' } }])).toBe('not-dicom');
  });

  it('are not-dicom as any other JSON, even keyed like tags', () => {
    expect(classOf({ Name: 'not a summary' })).toBe('not-dicom');
    expect(classOf({ '0008,0018': '1.2.3' })).toBe('not-dicom');
    expect(classOf({ '0008,0018': { Name: 'SOPInstanceUID', Value: '1.2.3' } })).toBe('not-dicom');
    expect(classOf({ '0008,0018': { Name: 'SOPInstanceUID', Type: 'Banana', Value: '1.2.3' } })).toBe('not-dicom');
    expect(classOf({})).toBe('not-dicom');
  });
});
