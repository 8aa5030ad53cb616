import { describe, expect, it } from 'vitest';
import { parseTargetSpec } from '../../../src/targets/registry.js';

describe('the DICOMweb backend in the registry', () => {
  it('claims dicomweb+http(s):// URLs, its display and identity without credentials', () => {
    const spec = parseTargetSpec('dicomweb+http://alice:s3cret@127.0.0.1:8042/dicom-web', { source: '/s' });
    expect(spec).toMatchObject({ display: 'dicomweb+http://127.0.0.1:8042/dicom-web', identity: 'dicomweb+http://127.0.0.1:8042/dicom-web', recovery: false, outcomeKey: 'dicomweb' });
    expect(parseTargetSpec('dicomweb+https://h/dicom-web', { source: '/s', verifyFull: true }).outcomeKey).toBe('dicomweb verify-full');
  });

  it('refuses the recovery options, and names its scheme when refusing another', () => {
    expect(() => parseTargetSpec('dicomweb+http://h/dicom-web', { source: '/s', layout: 'flat' })).toThrow(/--layout only applies to a recovery into a folder, not to a DICOMweb URL/);
    expect(() => parseTargetSpec('ftp://h', { source: '/s' })).toThrow(/dicomweb\+http:\/\/ or dicomweb\+https:\/\/ \(a DICOMweb server\)/);
  });
});
