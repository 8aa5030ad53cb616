// How Orthanc's metadata are told apart: the user's (carried), the system's lost in any
// re-import (reported), the system's Orthanc computes again from the file (nothing said).
import { describe, expect, it } from 'vitest';
import { isUserType, metadataByName, metadataByType } from '../../src/core/extras.js';

describe('metadata kinds', () => {
  it('by number, as the index stores them', () => {
    expect(metadataByType(1024)).toEqual({ kind: 'user', name: '1024' });
    expect(metadataByType(65535)).toEqual({ kind: 'user', name: '65535' });
    expect(metadataByType(2)).toEqual({ kind: 'lost', name: 'ReceptionDate' });
    expect(metadataByType(5)).toEqual({ kind: 'lost', name: 'ModifiedFrom' });
    expect(metadataByType(9)).toEqual({ kind: 'recomputed', name: 'TransferSyntax' });
    expect(metadataByType(7)).toEqual({ kind: 'recomputed', name: 'LastUpdate' });
    // A system type this tool does not know (a later Orthanc's) is not assumed recomputed.
    expect(metadataByType(18)).toEqual({ kind: 'lost', name: 'system metadata 18' });
  });

  it('by name, as the REST API gives them', () => {
    expect(metadataByName('Sample')).toBe('user');
    expect(metadataByName('1500')).toBe('user');
    expect(metadataByName('RemoteIP')).toBe('lost');
    expect(metadataByName('PixelDataOffset')).toBe('recomputed');
    expect(metadataByName('18')).toBe('lost');
  });

  it('the user range is 1024..65535', () => {
    expect([1023, 1024, 65535, 65536, 1024.5].map(isUserType)).toEqual([false, true, true, false, false]);
  });
});
