// Reading a running Orthanc's extras over REST (a real Orthanc 1.10.1, compressing), and carrying
// them into another that declares none of its names.
import { createHash } from 'node:crypto';
import { text as readAll } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { ExtrasGone } from '../../../src/core/extras.js';
import { resolveOptions } from '../../../src/core/options.js';
import { HttpClient } from '../../../src/targets/http/client.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { orthancPolicy } from '../../../src/targets/orthanc/answer.js';
import { OrthancTarget } from '../../../src/targets/orthanc/orthanc-target.js';
import { readRestExtras, type SourceResource } from '../../../src/sources/orthanc-rest/extras.js';
import { orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../../helpers/orthanc.js';
import { instanceRefOf } from '../../helpers/dicom-bytes.js';

const start = orthancsOfThisFile();

const DECLARED = { UserMetadata: { Sample: 1024 }, UserContentType: { report: [1030, 'text/plain'] } };
const REPORT = 'a report, '.repeat(500);

const put = async (orthanc: RunningOrthanc, path: string, body: string): Promise<void> => {
  const res = await fetch(`${orthanc.url}${path}`, { method: 'PUT', body });
  if (res.status !== 200) throw new Error(`PUT ${path} -> ${res.status}`);
};

const clientOf = (orthanc: RunningOrthanc): HttpClient =>
  new HttpClient(parseEndpoint(orthanc.url, {}), { concurrency: 2, retries: 0, retryDelayMs: 10, retryTimeoutMs: 1000 }, { policy: orthancPolicy, probePath: '/system' });

describe('readRestExtras', () => {
  it('reads user metadata (declared names and numbers), user attachments and the system metadata a re-import loses, at every level', async () => {
    const source = await start({ compression: true, config: DECLARED });
    const { bytes, ref } = instanceRefOf();
    const stored = await orthancJson<{ ParentSeries: string; ParentStudy: string; ParentPatient: string }>(source, '/instances', { body: bytes });
    const instance = ref.instanceId;
    await put(source, `/instances/${instance}/metadata/Sample`, 'declared');
    await put(source, `/instances/${instance}/metadata/1500`, 'undeclared number');
    await put(source, `/instances/${instance}/attachments/report`, REPORT);
    await put(source, `/studies/${stored.ParentStudy}/attachments/1100`, 'study attachment');
    const resources: SourceResource[] = [
      { level: 'instance', orthancId: instance },
      { level: 'series', orthancId: stored.ParentSeries },
      { level: 'study', orthancId: stored.ParentStudy },
      { level: 'patient', orthancId: stored.ParentPatient },
    ];
    const http = clientOf(source);
    try {
      // A resource the run carried already is not read again.
      const read = await readRestExtras(http, resources, false, (level) => level !== 'patient');
      expect(read.map((resource) => resource.level)).toEqual(['instance', 'series', 'study']);
      const [ofInstance, ofSeries, ofStudy] = read;
      expect(ofInstance?.metadata).toEqual([
        { name: '1500', value: 'undeclared number' },
        { name: 'Sample', value: 'declared' },
      ]);
      expect([...(ofInstance?.lost ?? [])].sort()).toEqual(['HttpUsername', 'Origin', 'ReceptionDate', 'RemoteAET', 'RemoteIP']);
      expect(ofSeries).toMatchObject({ metadata: [], attachments: [], lost: ['RemoteAET'] });
      const report = ofInstance?.attachments[0];
      if (report === undefined) throw new Error('no attachment read');
      expect(report).toMatchObject({ name: 'report', size: REPORT.length, md5: createHash('md5').update(REPORT).digest('hex') });
      expect(await readAll(report.body())).toBe(REPORT); // uncompressed, though stored compressed
      expect(ofStudy?.attachments.map(({ name, size }) => ({ name, size }))).toEqual([{ name: '1100', size: 16 }]);

      // Into a target that declares none of the names: the numbers are carried, the names are not.
      const orthanc = await start();
      await orthancJson(orthanc, '/instances', { body: bytes });
      const target = new OrthancTarget(parseEndpoint(orthanc.url, {}), resolveOptions({ source: 's', target: orthanc.url, retries: 0 }), {});
      await target.assess();
      try {
        const result = await target.carry(read);
        expect(result.carried).toBe(2);
        expect(result.failed).toEqual([]);
        expect(result.notCarried).toEqual([
          `instance ${instance}: metadata Sample: the target does not declare this name (UserMetadata in its configuration)`,
          `instance ${instance}: attachment report: the target does not declare this name (UserContentType in its configuration)`,
        ]);
        expect(await (await fetch(`${orthanc.url}/studies/${stored.ParentStudy}/attachments/1100/data`)).text()).toBe('study attachment');
      } finally {
        await target.close();
      }
    } finally {
      await http.close();
    }
  });

  it('says a resource the source no longer holds (deleted after its instance was delivered) is gone, not failed', async () => {
    const source = await start();
    const { bytes, ref } = instanceRefOf();
    await orthancJson(source, '/instances', { body: bytes });
    await fetch(`${source.url}/instances/${ref.instanceId}`, { method: 'DELETE' });
    const http = clientOf(source);
    try {
      const read = readRestExtras(http, [{ level: 'instance', orthancId: ref.instanceId }], false);
      await expect(read).rejects.toBeInstanceOf(ExtrasGone);
      await expect(read).rejects.toThrow(`GET /instances/${ref.instanceId}/metadata?expand: HTTP 404, deleted from the source after the instance was delivered: not carried`);
    } finally {
      await http.close();
    }
  });
});
