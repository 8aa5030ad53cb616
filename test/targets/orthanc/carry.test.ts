// Carrying extras to a real Orthanc (Debian's 1.10.1): what it answers to a declared name, an
// undeclared one, a number of the user range and a system type, and what the target then holds.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/core/options.js';
import type { ResourceExtras, UserAttachment } from '../../../src/core/extras.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { OrthancTarget } from '../../../src/targets/orthanc/orthanc-target.js';
import { instanceRefOf } from '../../helpers/dicom-bytes.js';
import { orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../../helpers/orthanc.js';
import { authHeaders } from '../../../fixtures/orthanc-process.js';

const start = orthancsOfThisFile();

const DECLARED = { UserMetadata: { Sample: 1024 }, UserContentType: { report: [1030, 'text/plain'] } };

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

const attachment = (name: string, text: string, claimed?: string): UserAttachment => {
  const bytes = Buffer.from(text);
  return { name, size: bytes.length, md5: claimed ?? md5(bytes), body: () => Readable.from([bytes]) };
};

const put = async (orthanc: RunningOrthanc, path: string, body: string): Promise<{ status: number; orthancStatus?: number }> => {
  const res = await fetch(`${orthanc.url}${path}`, { method: 'PUT', body, headers: authHeaders(orthanc.auth) });
  const text = await res.text();
  const parsed = (text.startsWith('{') ? JSON.parse(text) : {}) as { OrthancStatus?: number };
  return parsed.OrthancStatus === undefined ? { status: res.status } : { status: res.status, orthancStatus: parsed.OrthancStatus };
};

const text = async (orthanc: RunningOrthanc, path: string): Promise<string> => (await fetch(`${orthanc.url}${path}`)).text();

describe('carrying extras to an Orthanc', () => {
  it('Orthanc 1.10.1 takes a declared name and any user number, refuses an undeclared name (404, status 7) and a system type (403), and has no labels', async () => {
    const orthanc = await start({ config: DECLARED });
    const { bytes, ref } = instanceRefOf();
    await orthancJson(orthanc, '/instances', { body: bytes });
    const base = `/instances/${ref.instanceId}`;
    expect(await put(orthanc, `${base}/metadata/Sample`, 'a')).toEqual({ status: 200 });
    expect(await put(orthanc, `${base}/metadata/1500`, 'b')).toEqual({ status: 200 });
    expect(await put(orthanc, `${base}/metadata/Undeclared`, 'c')).toEqual({ status: 404, orthancStatus: 7 });
    expect((await put(orthanc, `${base}/metadata/ReceptionDate`, 'd')).status).toBe(403);
    expect((await put(orthanc, `${base}/metadata/2`, 'd')).status).toBe(403);
    expect((await put(orthanc, `${base}/metadata/1023`, 'd')).status).toBe(403);
    expect(await put(orthanc, `${base}/attachments/report`, 'e')).toEqual({ status: 200 });
    expect(await put(orthanc, `${base}/attachments/1100`, 'f')).toEqual({ status: 200 });
    expect(await put(orthanc, `${base}/attachments/undeclared`, 'g')).toEqual({ status: 404, orthancStatus: 7 });
    expect((await put(orthanc, `${base}/attachments/3`, 'h')).status).toBe(403);
    expect(await put(orthanc, `${base}/labels/x`, '')).toMatchObject({ status: 404 });
    // The REST API names a declared metadata, and numbers an undeclared one.
    expect(await orthancJson(orthanc, `${base}/metadata?expand`)).toMatchObject({ Sample: 'a', '1500': 'b' });
    const system = await orthancJson<Record<string, unknown>>(orthanc, '/system');
    expect(system['HasLabels']).toBeUndefined();
  });

  it('carries metadata and attachments at every level, proves each attachment by its MD5, and says what the target cannot hold (a 403 does not stop the run)', async () => {
    const orthanc = await start({ config: DECLARED });
    const { bytes, ref } = instanceRefOf();
    const stored = await orthancJson<{ ParentSeries: string }>(orthanc, '/instances', { body: bytes });
    const target = new OrthancTarget(parseEndpoint(orthanc.url, {}), resolveOptions({ source: 's', target: orthanc.url, retries: 0 }), {});
    await target.assess();
    try {
      const instance: ResourceExtras = {
        level: 'instance',
        orthancId: ref.instanceId,
        metadata: [
          { name: 'Sample', value: 'declared' },
          { name: '1500', value: 'by number' },
          { name: 'Undeclared', value: 'lost' },
          { name: 'ReceptionDate', value: 'a system name, as a later Orthanc may add' },
        ],
        attachments: [attachment('report', 'a report'), attachment('1100', 'by number'), attachment('undeclared', 'x'), attachment('1101', 'liar', md5(Buffer.from('other')))],
        labels: ['reviewed'],
        lost: ['ReceptionDate'],
      };
      const series: ResourceExtras = { level: 'series', orthancId: stored.ParentSeries, metadata: [{ name: '2000', value: 'series value' }], attachments: [], labels: [], lost: [] };
      const result = await target.carry([instance, series]);
      expect(result.carried).toBe(5);
      expect(result.notCarried).toEqual([
        `instance ${ref.instanceId}: metadata Undeclared: the target does not declare this name (UserMetadata in its configuration)`,
        `instance ${ref.instanceId}: metadata ReceptionDate: the target lets no client write it (HTTP 403)`,
        `instance ${ref.instanceId}: attachment undeclared: the target does not declare this name (UserContentType in its configuration)`,
        `instance ${ref.instanceId}: labels reviewed: the target has no labels (Orthanc 1.10.1)`,
      ]);
      expect(result.failed).toEqual([`instance ${ref.instanceId}: attachment 1101: the source's bytes (MD5 ${md5(Buffer.from('liar'))}) are not those its MD5 names (${md5(Buffer.from('other'))})`]);
      const base = `/instances/${ref.instanceId}`;
      expect(await orthancJson(orthanc, `${base}/metadata?expand`)).toMatchObject({ Sample: 'declared', '1500': 'by number' });
      expect(await text(orthanc, `${base}/attachments/report/data`)).toBe('a report');
      expect(await text(orthanc, `${base}/attachments/1100/md5`)).toBe(md5(Buffer.from('by number')));
      expect(await text(orthanc, `/series/${stored.ParentSeries}/metadata/2000`)).toBe('series value');
      // Carrying again writes the same values again.
      expect((await target.carry([series])).carried).toBe(1);
    } finally {
      await target.close();
    }
  });
});
