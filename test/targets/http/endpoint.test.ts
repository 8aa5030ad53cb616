import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../src/core/errors.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

const usageError = (run: () => unknown): { code: string; message: string } => {
  try {
    run();
  } catch (error) {
    if (isImporterError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an ImporterError');
};

describe('parseEndpoint', () => {
  it('turns URL credentials into a Basic Authorization header and leaves them out of display', () => {
    const target = parseEndpoint('http://alice:s%40cret@orthanc.local:8042/orthanc/', {});
    expect(target.headers['authorization']).toBe(basic('alice', 's@cret'));
    expect(target.origin).toBe('http://orthanc.local:8042');
    expect(target.display).toBe('http://orthanc.local:8042/orthanc');
    expect(target.display).not.toContain('alice');
    expect(target.display).not.toContain('cret');
  });

  it('says why a URL with a port out of range is refused, without its credentials', () => {
    expect(() => parseEndpoint('http://admin:s3cret@host:80800', {})).toThrow(/got 'http:\/\/…@host:80800' \(its port 80800 is out of range: 1 to 65535\)$/);
    expect(() => parseEndpoint('http://admin:s3cret@host:80800', {})).not.toThrow(/s3cret/);
  });

  it('uses --username/--password when the URL has none', () => {
    const target = parseEndpoint('https://pacs.example:443', { username: 'bob', password: 'pw' });
    expect(target.headers['authorization']).toBe(basic('bob', 'pw'));
    expect(target.origin).toBe('https://pacs.example');
  });

  it('lets URL credentials win over flags', () => {
    const target = parseEndpoint('http://alice:one@host:8042', { username: 'bob', password: 'two' });
    expect(target.headers['authorization']).toBe(basic('alice', 'one'));
  });

  it('sends no Authorization without credentials', () => {
    const target = parseEndpoint('http://host:8042', {});
    expect(target.headers).toEqual({});
  });

  it('adds --header values with a lower-cased name', () => {
    const target = parseEndpoint('http://host:8042', { headers: ['X-Api-Key: abc', 'X-Other:  two words'] });
    expect(target.headers['x-api-key']).toBe('abc');
    expect(target.headers['x-other']).toBe('two words');
    expect(target.headers['X-Api-Key']).toBeUndefined();
  });

  it('does not overwrite an explicit Authorization header with credentials', () => {
    const target = parseEndpoint('http://host:8042', { username: 'bob', password: 'pw', headers: ['Authorization: Bearer tok'] });
    expect(target.headers['authorization']).toBe('Bearer tok');
  });

  it('refuses a malformed header with E_USAGE, without echoing its value', () => {
    const error = usageError(() => parseEndpoint('http://host:8042', { headers: ['X Api Key: s3cret'] }));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).not.toContain('s3cret');
    expect(usageError(() => parseEndpoint('http://host:8042', { headers: ['NoColonHere'] })).code).toBe('E_USAGE');
  });

  it('refuses a non-http URL with E_USAGE', () => {
    expect(usageError(() => parseEndpoint('ftp://host/orthanc', {})).code).toBe('E_USAGE');
    expect(usageError(() => parseEndpoint('file:///var/lib/orthanc', {})).code).toBe('E_USAGE');
  });

  it('refuses an unparsable URL with E_USAGE, hiding credentials', () => {
    const error = usageError(() => parseEndpoint('http://alice:topsecret@', {}));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).not.toContain('topsecret');
    expect(usageError(() => parseEndpoint('orthanc.local:8042', {})).code).toBe('E_USAGE');
  });

  it('keeps the path prefix without trailing slashes', () => {
    expect(parseEndpoint('http://host:8042/orthanc/', {}).prefix).toBe('/orthanc');
    expect(parseEndpoint('http://host:8042/a/b//', {}).prefix).toBe('/a/b');
    expect(parseEndpoint('http://host:8042', {}).prefix).toBe('');
    expect(parseEndpoint('http://host:8042/', {}).prefix).toBe('');
  });
});
