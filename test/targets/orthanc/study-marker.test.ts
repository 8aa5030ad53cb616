// --mark-complete against a real Orthanc (Debian's 1.10.1): the preflight tells a declared name
// from an undeclared one without touching a study, and a study's marker is set, or left as it is.
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../src/core/errors.js';
import { resolveOptions } from '../../../src/core/options.js';
import { OrthancTarget } from '../../../src/targets/orthanc/orthanc-target.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { instanceRefOf } from '../../helpers/dicom-bytes.js';
import { orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../../helpers/orthanc.js';

const start = orthancsOfThisFile();

const targetOf = (orthanc: RunningOrthanc, markComplete: string): OrthancTarget =>
  new OrthancTarget(parseEndpoint(orthanc.url, {}), resolveOptions({ source: 's', target: orthanc.url, markComplete }), {});

const metadata = async (orthanc: RunningOrthanc, path: string): Promise<{ status: number; text: string }> => {
  const res = await fetch(`${orthanc.url}${path}`);
  return { status: res.status, text: await res.text() };
};

describe('the study marker on an Orthanc', () => {
  it('refuses a name the target does not declare before anything is sent, saying how to declare it', async () => {
    const orthanc = await start();
    const target = targetOf(orthanc, 'ImportComplete');
    try {
      const error: unknown = await target.assess().then(() => undefined, (err: unknown) => err);
      expect(isImporterError(error) && error.code).toBe('E_USAGE');
      expect((error as Error).message).toBe(
        '--mark-complete ImportComplete: the target does not declare the metadata "ImportComplete": add "UserMetadata": { "ImportComplete": 1024 } to its configuration (any number from 1024 to 65535 that no other name uses), restart it, and run again',
      );
      expect(await orthancJson<string[]>(orthanc, '/studies')).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('takes a declared name, sets a study marker, and leaves one that is there when asked to', async () => {
    const orthanc = await start({ config: { UserMetadata: { ImportComplete: 1024 } } });
    const target = targetOf(orthanc, 'ImportComplete');
    try {
      await target.assess();
      const { bytes } = instanceRefOf();
      const { ParentStudy: study } = await orthancJson<{ ParentStudy: string }>(orthanc, '/instances', { body: bytes });
      const path = `/studies/${study}/metadata/ImportComplete`;
      expect(await metadata(orthanc, path)).toMatchObject({ status: 404 }); // the preflight touched no study
      expect(await target.markStudy(study, 'ImportComplete', '2026-12-01T06:00:00.000Z', true)).toEqual({ kind: 'marked' });
      expect(await metadata(orthanc, path)).toEqual({ status: 200, text: '2026-12-01T06:00:00.000Z' });
      expect(await target.markStudy(study, 'ImportComplete', '2026-12-02T06:00:00.000Z', true)).toEqual({ kind: 'present' });
      expect((await metadata(orthanc, path)).text).toBe('2026-12-01T06:00:00.000Z');
      expect(await target.markStudy(study, 'ImportComplete', '2026-12-02T06:00:00.000Z', false)).toEqual({ kind: 'marked' });
      expect((await metadata(orthanc, path)).text).toBe('2026-12-02T06:00:00.000Z');
      const gone = await target.markStudy('00000000-00000000-00000000-00000000-00000001', 'ImportComplete', 'x', false);
      expect(gone).toEqual({ kind: 'failed', reason: 'study 00000000-00000000-00000000-00000000-00000001: its metadata ImportComplete was not set (HTTP 404 Unknown resource)' });
    } finally {
      await target.close();
    }
  });
});
