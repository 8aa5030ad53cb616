import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/core/redact.js';

describe('redactUrl', () => {
  it.each([
    ['http://admin:my/secret@host:80800', 'http://…@host:80800'],
    ['http://u:secret@[bad', 'http://…@[bad'],
    ['https://user:pa ss secret@h', 'https://…@h'],
    ['http://u:se@cret@host:8042/orthanc', 'http://…@host:8042/orthanc'],
    ['admin:secret@pacs.example.org:8042', '…@pacs.example.org:8042'],
    ['http://alice:secret@', 'http://…@'],
  ])('cuts the credentials out of %j', (typed, shown) => {
    expect(redactUrl(typed)).toBe(shown);
    expect(redactUrl(typed)).not.toMatch(/secret|ss/);
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('http://127.0.0.1:8042/orthanc')).toBe('http://127.0.0.1:8042/orthanc');
    expect(redactUrl('pacs.example.org')).toBe('pacs.example.org');
  });
});
