// Where instances go in a target folder: safe on every common filesystem, and unique.
import { describe, expect, it } from 'vitest';
import { disambiguatedPath, type LayoutHeader, MAX_COMPONENT_LENGTH, outputPath, safeComponent } from '../../../src/targets/folder/folder-layout.js';

const header: LayoutHeader = {
  patientId: 'PAT001',
  studyInstanceUid: '1.2.840.113619.2.55.3.1',
  seriesInstanceUid: '1.2.840.113619.2.55.3.1.2',
  sopInstanceUid: '1.2.840.113619.2.55.3.1.2.3',
};
const orthancId = '8a8cf898-ca27c490-d0c7058c-929d0581-2bbf104d';
const TAGGED = /~[0-9a-f]{8}$/;

// What every component must satisfy, on ext4, APFS, NTFS, exFAT and FAT32 alike.
const expectSafe = (component: string): void => {
  expect(component).toMatch(/^[A-Za-z0-9._~-]+$/);
  expect(component.length).toBeLessThanOrEqual(MAX_COMPONENT_LENGTH);
  expect(component).not.toMatch(/^[.-]/);
  expect(component).not.toMatch(/[. ]$/);
  expect(component).not.toMatch(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i);
};

describe('safeComponent', () => {
  it('keeps a safe value (UIDs, upper-case IDs) as it is', () => {
    for (const value of ['1.2.840.10008.5.1.4.1.1.2', 'PAT001', 'A_B', 'X-RAY.1']) expect(safeComponent(value)).toBe(value);
    const longestUid = `1.${'2'.repeat(62)}`;
    expect(safeComponent(longestUid)).toBe(longestUid);
  });

  it('replaces separators and characters forbidden anywhere, and tags the result', () => {
    for (const value of ['A/B', 'A\\B', 'C:D', 'a*b?c', '"<x>|"', 'tab\there', 'new\nline', 'nul\u0000byte', 'two words', 'x~y']) {
      const safe = safeComponent(value);
      expectSafe(safe);
      expect(safe).toMatch(TAGGED);
    }
    expect(safeComponent('A/B')).toMatch(/^A_B~[0-9a-f]{8}$/);
  });

  it('never lets two different values share a component', () => {
    expect(safeComponent('A/B')).not.toBe(safeComponent('A_B'));
    expect(safeComponent('A/B')).not.toBe(safeComponent('A\\B'));
    expect(safeComponent('A/B')).not.toBe(safeComponent('A:B'));
    // On a case-insensitive filesystem (Windows, macOS, exFAT) too.
    expect(safeComponent('ab12').toLowerCase()).not.toBe(safeComponent('AB12').toLowerCase());
    expect(safeComponent('AB12')).toBe('AB12');
    // A tag-like value cannot take the place of a tagged one.
    const tagged = safeComponent('A/B');
    expect(safeComponent(tagged)).not.toBe(tagged);
    const values = ['', '.', '..', 'unknown', 'UNKNOWN', 'CON', 'CON_', 'con', 'A/B', 'A_B', 'A B', 'é', 'e', 'x'.repeat(100), `${'x'.repeat(99)}y`];
    const components = values.map((value) => safeComponent(value).toLowerCase());
    expect(new Set(components).size).toBe(values.length);
  });

  it("never gives '.', '..' or a hidden name", () => {
    for (const value of ['.', '..', '...', '.hidden', '-rf', '--help']) {
      const safe = safeComponent(value);
      expectSafe(safe);
      expect(safe.startsWith('_')).toBe(true);
    }
  });

  it('ends neither with a dot nor with a space', () => {
    for (const value of ['ABC.', 'ABC..', 'ABC ', 'ABC. ', ' ']) expectSafe(safeComponent(value));
  });

  it('avoids the Windows device names, with or without an extension, in any case', () => {
    for (const value of ['CON', 'con', 'PRN', 'AUX', 'NUL', 'nul', 'COM1', 'com9', 'LPT1', 'LPT9', 'CON.txt', 'nul.dcm', 'Aux.tar.gz']) {
      const safe = safeComponent(value);
      expectSafe(safe);
      expect(safe).toMatch(TAGGED);
    }
    expect(safeComponent('CON')).toMatch(/^CON_~[0-9a-f]{8}$/);
    expect(safeComponent('CON.txt')).toMatch(/^CON_\.txt~[0-9a-f]{8}$/);
    // Names that merely start like a device name are fine.
    expect(safeComponent('CONSOLE')).toBe('CONSOLE');
    expect(safeComponent('COM10')).toBe('COM10');
  });

  it('names an empty value', () => {
    expect(safeComponent('')).toMatch(/^unknown~[0-9a-f]{8}$/);
    expect(safeComponent('')).not.toBe(safeComponent('unknown'));
  });

  it('bounds the length and keeps long values apart', () => {
    const long = 'A'.repeat(300);
    const safe = safeComponent(long);
    expect(safe.length).toBe(MAX_COMPONENT_LENGTH);
    expect(safe).toMatch(TAGGED);
    expect(safeComponent(`${long}B`)).not.toBe(safe);
    expect(safeComponent('A'.repeat(65))).toHaveLength(MAX_COMPONENT_LENGTH);
    expect(safeComponent('A'.repeat(64))).toBe('A'.repeat(64));
    expect(safeComponent('A'.repeat(40), 20)).toHaveLength(20);
  });

  it('replaces non-ASCII characters, counting characters, not UTF-16 units', () => {
    for (const value of ['Müller', 'é', '患者', '😀', 'e\u0301']) {
      const safe = safeComponent(value);
      expectSafe(safe);
      expect(safe).toMatch(TAGGED);
    }
    expect(safeComponent('😀')).toMatch(/^_~[0-9a-f]{8}$/);
    // NFC and NFD spellings stay apart (macOS normalises names).
    expect(safeComponent('\u00e9')).not.toBe(safeComponent('e\u0301'));
  });
});

describe('outputPath', () => {
  it('hierarchy: PatientID/StudyInstanceUID/SeriesInstanceUID/SOPInstanceUID.dcm', () => {
    expect(outputPath('hierarchy', header, orthancId)).toBe(
      'PAT001/1.2.840.113619.2.55.3.1/1.2.840.113619.2.55.3.1.2/1.2.840.113619.2.55.3.1.2.3.dcm',
    );
  });

  it('hierarchy: every component made safe, the path stays relative', () => {
    const path = outputPath('hierarchy', { ...header, patientId: '../../etc/passwd', studyInstanceUid: '', seriesInstanceUid: 'CON' }, orthancId);
    const parts = path.split('/');
    expect(parts).toHaveLength(4);
    expect(path.startsWith('/')).toBe(false);
    for (const part of parts) expectSafe(part);
    expect(parts[0]).toMatch(/^_\.\._\.\._etc_passwd~[0-9a-f]{8}$/);
    expect(parts[1]).toMatch(/^unknown~/);
    expect(parts[2]).toMatch(/^CON_~/);
  });

  it('hierarchy: patients A/B and A_B get different folders', () => {
    const first = outputPath('hierarchy', { ...header, patientId: 'A/B' }, orthancId);
    const second = outputPath('hierarchy', { ...header, patientId: 'A_B' }, orthancId);
    expect(first.split('/')[0]).not.toBe(second.split('/')[0]);
    expect(first.split('/')).toHaveLength(4);
  });

  it('flat: SOPInstanceUID.dcm', () => {
    expect(outputPath('flat', header, orthancId)).toBe('1.2.840.113619.2.55.3.1.2.3.dcm');
    expect(outputPath('flat', { ...header, sopInstanceUid: 'x/y' }, orthancId)).toMatch(/^x_y~[0-9a-f]{8}\.dcm$/);
  });

  it('orthanc: the Orthanc instance ID', () => {
    expect(outputPath('orthanc', header, orthancId)).toBe(`${orthancId}.dcm`);
    expect(outputPath('orthanc', header, 'not/an id')).toMatch(/^not_an_id~[0-9a-f]{8}\.dcm$/);
  });

  it('a missing SOPInstanceUID falls back to the Orthanc ID', () => {
    const noSop = { ...header, sopInstanceUid: '' };
    expect(outputPath('flat', noSop, orthancId)).toBe(`${orthancId}.dcm`);
    expect(outputPath('hierarchy', noSop, orthancId).split('/')[3]).toBe(`${orthancId}.dcm`);
  });

  it('file names never become a Windows device name with the extension', () => {
    expect(outputPath('flat', { ...header, sopInstanceUid: 'NUL' }, orthancId)).toMatch(/^NUL_~[0-9a-f]{8}\.dcm$/);
  });
});

describe('disambiguatedPath', () => {
  it('puts ~ and the first 8 hex digits of the Orthanc ID before .dcm, in the same folder, every component still safe', () => {
    for (const layout of ['hierarchy', 'flat', 'orthanc'] as const) {
      const natural = outputPath(layout, header, orthancId);
      const beside = disambiguatedPath(natural, orthancId);
      expect(beside).toBe(natural.replace(/\.dcm$/, '~8a8cf898.dcm'));
      for (const component of beside.split('/')) expectSafe(component);
    }
  });

  it('tags an ID that is not in Orthanc form by its hash, and tells two instances apart', () => {
    expect(disambiguatedPath('x.dcm', 'not an id')).toMatch(/^x~[0-9a-f]{8}\.dcm$/);
    expect(disambiguatedPath('x.dcm', orthancId)).not.toBe(disambiguatedPath('x.dcm', '9a4444b6-35707a74-7df30367-9269de87-c9640e0c'));
  });
});
