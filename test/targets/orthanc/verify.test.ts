// The verdict on a stored instance: the same bytes, another version (conflict), or unknown.
import { describe, expect, it } from 'vitest';
import { compareStored } from '../../../src/targets/orthanc/verify.js';

const expected = { md5: '0123456789abcdef0123456789abcdef', size: 1000 };

describe('compareStored', () => {
  it('verifies by MD5 when the target reports the same MD5', () => {
    expect(compareStored('Success', expected, { kind: 'md5', md5: expected.md5 }, false)).toEqual({ kind: 'verified', by: 'md5' });
  });

  it('falls back to the size when the target keeps no MD5', () => {
    expect(compareStored('Success', expected, { kind: 'size', size: 1000 }, false)).toEqual({ kind: 'verified', by: 'size' });
    expect(compareStored('Success', expected, { kind: 'size', size: 999 }, false).kind).toBe('conflict');
  });

  it('calls AlreadyStored with another MD5 a conflict and points at OverwriteInstances', () => {
    const verdict = compareStored('AlreadyStored', expected, { kind: 'md5', md5: 'ffffffffffffffffffffffffffffffff' }, false);
    expect(verdict.kind).toBe('conflict');
    expect(verdict.kind === 'conflict' ? verdict.reason : '').toMatch(/another version.*ffff.*OverwriteInstances/);
  });

  it('calls Success with another MD5 a conflict that suspects the target of rewriting files', () => {
    const verdict = compareStored('Success', expected, { kind: 'md5', md5: 'ffffffffffffffffffffffffffffffff' }, false);
    expect(verdict.kind === 'conflict' ? verdict.reason : '').toMatch(/transcode/);
  });

  it('only checks presence when the target transcodes', () => {
    expect(compareStored('Success', expected, { kind: 'md5', md5: 'ffffffffffffffffffffffffffffffff' }, true)).toEqual({ kind: 'verified', by: 'presence' });
  });

  it('reports an instance it cannot read back as unverified', () => {
    expect(compareStored('Success', expected, { kind: 'unavailable', reason: 'HTTP 404' }, false)).toEqual({ kind: 'unverified', reason: 'HTTP 404' });
  });
});
