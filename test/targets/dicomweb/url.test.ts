import { describe, expect, it } from 'vitest';
import { isDicomwebUrl, parseDicomwebUrl } from '../../../src/targets/dicomweb/url.js';
import { DEFAULT_TLS } from '../../../src/targets/http/tls.js';

describe('the DICOMweb URL', () => {
  it('is told by its scheme', () => {
    expect(isDicomwebUrl('dicomweb+http://h:8042/dicom-web')).toBe(true);
    expect(isDicomwebUrl('DICOMweb+https://h/dicom-web')).toBe(true);
    expect(isDicomwebUrl('http://h:8042')).toBe(false);
    expect(isDicomwebUrl('dicomweb://h')).toBe(false);
  });

  it('is read as an HTTP endpoint whose prefix is the DICOMweb root, credentials out of its display', () => {
    const endpoint = parseDicomwebUrl('dicomweb+https://alice:s%40cret@pacs.example:8443/dicom-web/', { headers: ['X-Api-Key: k'] });
    expect(endpoint).toEqual({
      origin: 'https://pacs.example:8443',
      prefix: '/dicom-web',
      display: 'dicomweb+https://pacs.example:8443/dicom-web',
      headers: { 'x-api-key': 'k', authorization: `Basic ${Buffer.from('alice:s@cret').toString('base64')}` },
      tls: DEFAULT_TLS,
    });
  });
});
