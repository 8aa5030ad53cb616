// One instance of a running Orthanc: described as the source stores it, downloaded and proven
// against the source's MD5 (in memory, or spooled when large); one deleted after it was listed is
// an outcome ('missing'), never a crash.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Classifier } from '../../../src/decode/classifier.js';
import { hasAttachmentInfo, InstanceFiles } from '../../../src/sources/orthanc-rest/instance-file.js';
import { remoteItems } from '../../../src/sources/orthanc-rest/listing.js';
import { SourceClient } from '../../../src/sources/orthanc-rest/source-client.js';
import type { RemoteItem } from '../../../src/core/types.js';
import { buildPart10 } from '../../helpers/dicom-bytes.js';
import { orthancJson, orthancsOfThisFile } from '../../helpers/orthanc.js';

const start = orthancsOfThisFile();
const OPTIONS = { sourceCredentials: {}, sourceConcurrency: 2, sourceDownload: 'compressed-data' as const, retries: 1, retryDelayMs: 10, retryTimeoutMs: 5000 };
const classifier = new Classifier({ workers: 1, inlineLimit: 4096, maxDecodedSize: 1 << 30, keepBytes: true });
afterAll(() => classifier.close());

const listAll = async (client: SourceClient): Promise<RemoteItem[]> => {
  const items: RemoteItem[] = [];
  for await (const item of remoteItems(client, undefined, undefined)) items.push(item);
  return items;
};

describe('InstanceFiles', () => {
  it('tells Orthanc versions with /attachments/{name}/info', () => {
    expect(hasAttachmentInfo('1.10.1')).toBe(true);
    expect(hasAttachmentInfo('1.9.7')).toBe(false);
    expect(hasAttachmentInfo('mainline')).toBe(true);
  });

  it('downloads the stored zlib bytes of a compressed source, small in memory and large through a spooled file, both proven by the source\'s MD5', async () => {
    const source = await start({ compression: true });
    const small = buildPart10({ sopInstanceUid: '2.25.901', pixelBytes: 64 }).bytes;
    const large = buildPart10({ sopInstanceUid: '2.25.902', pixelBytes: 64 * 1024 }).bytes;
    for (const bytes of [small, large]) await orthancJson(source, '/instances', { method: 'POST', body: bytes });
    const client = await SourceClient.open(source.url, OPTIONS, undefined);
    const spoolDir = await mkdtemp(join(tmpdir(), 'oi-spool-'));
    const files = new InstanceFiles(client, { mode: 'compressed-data', spoolDir, inlineLimit: 4096 });
    try {
      for (const item of await listAll(client)) {
        const expected = await files.describe(item);
        if ('kind' in expected) throw new Error(expected.reason);
        expect(expected.compressionType).toBe(2);
        const md5 = (await (await fetch(`${source.url}/instances/${item.instanceId}/attachments/dicom/md5`)).text()).trim();
        expect(expected.uncompressedMd5).toBe(md5);
        const read = await files.read(item, expected, classifier);
        expect(read.classified).toMatchObject({ kind: 'dicom', encoding: 'zlib', md5, diskSize: expected.compressedSize });
        const spooled = expected.uncompressedSize > 4096;
        expect(read.entry.path === item.entry.path).toBe(!spooled);
        expect(read.entry.relativePath).toBe(`instances/${item.instanceId}`);
        await read.release();
        expect(await readdir(spoolDir)).toEqual([]);
      }
    } finally {
      await client.close();
    }
  });

  it('says an instance deleted from the source after it was listed is missing, when described or when downloaded', async () => {
    const source = await start();
    for (const index of [1, 2]) await orthancJson(source, '/instances', { method: 'POST', body: buildPart10({ sopInstanceUid: `2.25.91${index}` }).bytes });
    const client = await SourceClient.open(source.url, OPTIONS, undefined);
    const files = new InstanceFiles(client, { mode: 'file', spoolDir: tmpdir(), inlineLimit: 4096 });
    try {
      const [first, second] = await listAll(client);
      if (first === undefined || second === undefined) throw new Error('two instances were listed');
      const described = await files.describe(second);
      await orthancJson(source, `/instances/${first.instanceId}`, { method: 'DELETE' });
      await orthancJson(source, `/instances/${second.instanceId}`, { method: 'DELETE' });
      expect(await files.describe(first)).toMatchObject({ kind: 'skipped', fileClass: 'missing', reason: `instance ${first.instanceId} was deleted from the source after it was listed` });
      if ('kind' in described) throw new Error(described.reason);
      const read = await files.read(second, described, classifier);
      expect(read.classified).toMatchObject({ kind: 'skipped', fileClass: 'missing' });
    } finally {
      await client.close();
    }
  });
});
