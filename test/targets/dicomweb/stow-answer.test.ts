import { describe, expect, it } from 'vitest';
import { readStowAnswer, statusInWords } from '../../../src/targets/dicomweb/stow-answer.js';

// Captured from Orthanc 1.10.1 + DICOMweb plugin 1.7 (Debian 12): three parts, one stored, one
// without StudyInstanceUID (FailedSOPSequence, 0xC000), one without SOPInstanceUID (in neither
// sequence); HTTP 400.
const MIXED_400 =
  '{"00080005": {"Value": ["ISO_IR 100"], "vr": "CS"}, "00081190": {"Value": ["http://127.0.0.1:18842/dicom-web/studies/2.25.238805865906389066469862863422048609159"], "vr": "UR"}, ' +
  '"00081198": {"Value": [{"00081150": {"Value": ["1.2.840.10008.5.1.4.1.1.2"], "vr": "UI"}, "00081155": {"Value": ["2.25.34261883423498511460687211355383960571"], "vr": "UI"}, "00081197": {"Value": [49152], "vr": "US"}}], "vr": "SQ"}, ' +
  '"00081199": {"Value": [{"00081150": {"Value": ["1.2.840.10008.5.1.4.1.1.2"], "vr": "UI"}, "00081155": {"Value": ["2.25.207700876291869225398735072454702226833"], "vr": "UI"}, ' +
  '"00081190": {"Value": ["http://127.0.0.1:18842/dicom-web/studies/2.25.238805865906389066469862863422048609159/series/2.25.180609539543001147987729908119390406076/instances/2.25.207700876291869225398735072454702226833"], "vr": "UR"}}], "vr": "SQ"}}';

// Captured likewise: a part refused by Orthanc's Lua filter; plugin 1.7 answers 200 with both sequences empty.
const EMPTY_200 = '{"00080005":{"Value":["ISO_IR 100"],"vr":"CS"},"00081190":{"Value":["http://127.0.0.1:18842/dicom-web/studies/2.25.1"],"vr":"UR"},"00081198":{"vr":"SQ"},"00081199":{"vr":"SQ"}}';

describe('readStowAnswer', () => {
  it('reads each instance of the answer of the real plugin 1.7, whatever the status', () => {
    const fates = readStowAnswer(MIXED_400);
    expect(fates).toEqual(
      new Map([
        ['2.25.207700876291869225398735072454702226833', { kind: 'stored' }],
        ['2.25.34261883423498511460687211355383960571', { kind: 'failed', code: 0xc000, reason: '0xC000 (cannot understand)' }],
      ]),
    );
  });

  it('lists nothing of an answer whose sequences are empty (the 200 of plugin 1.7 when Orthanc refused)', () => {
    expect(readStowAnswer(EMPTY_200)).toEqual(new Map());
  });

  it('reads warnings, lower-case tags and reasons written as strings of digits', () => {
    const answer = JSON.stringify({
      '00081199': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['1.2.3'] }, '00081196': { vr: 'US', Value: [0xb000] } }] },
      '00081198': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['1.2.4'] }, '00081197': { vr: 'US', Value: ['272'] } }, { '00081155': { vr: 'UI', Value: ['1.2.5'] } }] },
    }).replace(/"0008119(\d)"/g, (tag) => tag.toLowerCase());
    expect(readStowAnswer(answer)).toEqual(
      new Map([
        ['1.2.3', { kind: 'stored', warning: '0xB000 (coercion of data elements)' }],
        ['1.2.4', { kind: 'failed', code: 0x0110, reason: '0x0110 (processing failure)' }],
        ['1.2.5', { kind: 'failed', code: undefined, reason: 'the server listed it as failed without a reason' }],
      ]),
    );
  });

  it('gives undefined for an answer that is not a DICOM JSON dataset', () => {
    expect(readStowAnswer('')).toBeUndefined();
    expect(readStowAnswer('<html>')).toBeUndefined();
    expect(readStowAnswer('[]')).toBeUndefined();
  });
});

describe('statusInWords', () => {
  it('names the codes of PS3.4 and their families', () => {
    expect(statusInWords(0xa700)).toBe('0xA700 (out of resources)');
    expect(statusInWords(0xa7ff)).toBe('0xA7FF (out of resources)');
    expect(statusInWords(0xa900)).toBe('0xA900 (data set does not match the SOP Class)');
    expect(statusInWords(0xc122)).toBe('0xC122 (transfer syntax not supported)');
    expect(statusInWords(0xc123)).toBe('0xC123 (cannot understand)');
    expect(statusInWords(0x0001)).toBe('0x0001');
  });
});
