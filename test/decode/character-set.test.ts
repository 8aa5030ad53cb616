// Identifiers are decoded as Orthanc decodes them before hashing them into its IDs.
import { describe, expect, it } from 'vitest';
import { decoderFor, latin1 } from '../../src/decode/character-set.js';

describe('decoderFor', () => {
  it('reads ISO_IR 192 as UTF-8 and the ISO 8859 parts by their number, code extensions by their first set', () => {
    expect(decoderFor('ISO_IR 192')(Buffer.from('山田^太郎', 'utf8'))).toBe('山田^太郎');
    expect(decoderFor('ISO_IR 144')(Buffer.from([0xb8, 0xd2, 0xd0, 0xdd]))).toBe('Иван');
    expect(decoderFor('ISO 2022 IR 100\\ISO 2022 IR 87')(Buffer.from([0x4d, 0xfc]))).toBe('Mü');
  });

  it('reads Latin-1 byte for byte (not windows-1252) when the set is absent, ISO_IR 100 or unknown', () => {
    const bytes = Buffer.from([0x41, 0x80, 0xe9]);
    for (const set of ['', 'ISO_IR 100', 'NOT A CHARSET']) expect(decoderFor(set)(bytes)).toBe('A\u0080é');
    expect(latin1(bytes)).toBe('A\u0080é');
  });
});
