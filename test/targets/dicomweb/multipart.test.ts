import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { multipartBody } from '../../../src/targets/dicomweb/multipart.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('multipartBody', () => {
  it('writes each part with Content-Type application/dicom and no transfer syntax, and its exact length', async () => {
    const body = multipartBody(
      [
        { body: bytes('first'), size: 5 },
        { body: () => Readable.from([Buffer.from('sec'), Buffer.from('ond')]), size: 6 },
      ],
      'BOUND',
    );
    const expected =
      '--BOUND\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n' + '--BOUND\r\nContent-Type: application/dicom\r\n\r\nsecond\r\n' + '--BOUND--\r\n';
    expect(body.contentType).toBe('multipart/related; type="application/dicom"; boundary=BOUND');
    const sent = await buffer(body.open());
    expect(sent.toString('latin1')).toBe(expected);
    expect(body.length).toBe(sent.length);
  });

  it('opens a fresh stream for each attempt', async () => {
    let opened = 0;
    const body = multipartBody([{ body: () => (opened++, Readable.from([Buffer.from('abc')])), size: 3 }], 'B');
    const first = await buffer(body.open());
    const second = await buffer(body.open());
    expect(second.equals(first)).toBe(true);
    expect(opened).toBe(2);
  });

  it('fails the body when a streamed part is not the size announced (the file changed)', async () => {
    const shorter = multipartBody([{ body: () => Readable.from([Buffer.from('ab')]), size: 3 }], 'B');
    await expect(buffer(shorter.open())).rejects.toThrow(/2 bytes instead of 3/);
    const longer = multipartBody([{ body: () => Readable.from([Buffer.from('abcd')]), size: 3 }], 'B');
    await expect(buffer(longer.open())).rejects.toThrow(/longer than its 3 bytes/);
  });

  it('draws a random boundary of 32 hex digits by default', () => {
    const { contentType } = multipartBody([], undefined);
    expect(contentType).toMatch(/boundary=[0-9a-f]{32}$/);
  });
});
