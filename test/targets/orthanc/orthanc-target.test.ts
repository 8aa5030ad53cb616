// The Orthanc backend through the Target interface, against a real Orthanc: its answers in the
// core's words and its own, what it holds, and the proofs it takes from its listing.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/core/options.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { OrthancTarget } from '../../../src/targets/orthanc/orthanc-target.js';
import type { ListedInstance } from '../../../src/targets/target.js';
import { instanceRefOf } from '../../helpers/dicom-bytes.js';
import { orthancJson, orthancsOfThisFile } from '../../helpers/orthanc.js';

const start = orthancsOfThisFile();

const instance = instanceRefOf;

const targetOn = async (url: string): Promise<OrthancTarget> => {
  const target = new OrthancTarget(parseEndpoint(url, {}), resolveOptions({ source: 's', target: url, retries: 0 }), {});
  await target.assess();
  return target;
};

const listAll = async (target: OrthancTarget): Promise<ListedInstance[]> => {
  const listed: ListedInstance[] = [];
  for await (const page of target.list()) listed.push(...page);
  return listed;
};

describe('OrthancTarget', () => {
  it('puts an instance (stored, then already there, in Orthanc\'s words too), lists it and proves it by its MD5', async () => {
    const orthanc = await start();
    const target = await targetOn(orthanc.url);
    try {
      const { ref, bytes } = instance();
      expect(await target.holds(ref)).toMatchObject({ kind: 'absent' });
      expect(await target.put(ref, bytes)).toMatchObject({ kind: 'stored', status: 'stored', answer: 'Success', fields: { instanceId: ref.instanceId, httpStatus: 200 } });
      expect(await target.put(ref, bytes)).toMatchObject({ kind: 'stored', status: 'already-there', answer: 'AlreadyStored' });
      const held = await target.holds(ref, { afterPut: 'stored' });
      const uuid = (await orthancJson<{ Uuid: string }>(orthanc, `/instances/${ref.instanceId}/attachments/dicom/info`)).Uuid;
      expect(held).toEqual({ kind: 'same', by: 'md5', file: uuid, instanceId: ref.instanceId });
      expect(await listAll(target)).toEqual([{ id: ref.instanceId, size: ref.size, file: uuid }]);
    } finally {
      await target.close();
    }
  });

  it('takes the listing\'s proof only for the file whose MD5 was read back (same size, same UUID); another size is another version', async () => {
    const orthanc = await start();
    const target = await targetOn(orthanc.url);
    try {
      const { ref, bytes } = instance();
      await target.put(ref, bytes);
      const [listed] = await listAll(target);
      if (listed === undefined) throw new Error('expected the instance listed');
      expect(await target.holds(ref, { listed, recorded: { verified: 'md5', targetFile: listed.file } })).toEqual({ kind: 'same', by: 'listing' });
      // Recorded with another file's UUID: its MD5 is read back, not taken from the listing.
      expect(await target.holds(ref, { listed, recorded: { verified: 'md5', targetFile: 'another-uuid' } })).toMatchObject({ kind: 'same', by: 'md5' });
      const bigger = instance({ pixelBytes: 1024 });
      const other = await target.holds({ ...bigger.ref, transferSyntax: '1.2.840.10008.1.2.1' }, { listed });
      expect(other).toMatchObject({ kind: 'other', reason: expect.stringMatching(new RegExp(`^the target holds another version of this instance \\(${listed.size} bytes there, ${bigger.ref.size} in the source; the copy there: transfer syntax [0-9.]+ as in the source, with pixel data\\)`)) as string });
    } finally {
      await target.close();
    }
  });

  it('finds an instance under the ID Orthanc gives its SOP Instance UID when its computed ID differs', async () => {
    const orthanc = await start();
    const target = await targetOn(orthanc.url);
    try {
      const { ref, bytes } = instance({ sopInstanceUid: '1.2.3.4.5.6' });
      await target.put(ref, bytes);
      const held = await target.holds({ ...ref, instanceId: 'ffffffff-ffffffff-ffffffff-ffffffff-ffffffff' });
      expect(held).toMatchObject({ kind: 'same', by: 'md5', instanceId: ref.instanceId });
    } finally {
      await target.close();
    }
  });
});
