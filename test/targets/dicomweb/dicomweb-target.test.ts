// The DICOMweb target through the Target interface, against Orthanc with Debian's DICOMweb plugin 1.7.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HttpClient, type HttpRequest } from '../../../src/targets/http/client.js';
import { dicomwebPolicy } from '../../../src/targets/dicomweb/answer-policy.js';
import { DEFAULT_BOUNDS, type BatchBounds } from '../../../src/targets/dicomweb/batcher.js';
import { DicomwebTarget } from '../../../src/targets/dicomweb/dicomweb-target.js';
import { parseDicomwebUrl } from '../../../src/targets/dicomweb/url.js';
import type { InstanceRef, PutResult } from '../../../src/targets/target.js';
import { UID, buildPart10, concat, encodeExplicit } from '../../helpers/dicom-bytes.js';
import { dicomwebOptions, dicomwebUrl, instanceWithoutStudy, testInstance } from '../../helpers/dicomweb.js';
import { orthancsOfThisFile, startOrthanc, type RunningOrthanc } from '../../helpers/orthanc.js';

const startOrthancHere = orthancsOfThisFile();

const at = <T>(list: readonly T[], index: number): T => {
  const item = list[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
};

/** A client that counts the STOW-RS and QIDO-RS requests it sends. */
class CountingClient extends HttpClient {
  posts = 0;
  gets = 0;
  override send(request: HttpRequest): ReturnType<HttpClient['send']> {
    if (request.method === 'POST') this.posts++;
    else this.gets++;
    return super.send(request);
  }
}

const openTarget = (url: string, options: { bounds?: BatchBounds; verifyFull?: boolean; retryTimeoutMs?: number; auth?: { username: string; password: string } } = {}) => {
  const endpoint = parseDicomwebUrl(url, options.auth ?? {});
  const client = new CountingClient(
    endpoint,
    { concurrency: 2, retries: 2, retryDelayMs: 5, retryTimeoutMs: options.retryTimeoutMs ?? 60_000, outagePollMs: 100 },
    { policy: dicomwebPolicy(endpoint.display), probePath: '/studies?limit=1' },
  );
  const target = new DicomwebTarget(endpoint, client, { bounds: options.bounds ?? DEFAULT_BOUNDS, connections: 2, verifyFull: options.verifyFull ?? false });
  return { target, client };
};

const REFUSING_FILTER = `function ReceivedInstanceFilter(dicom, origin, info)
  if dicom.PatientID == 'REFUSE' then error('refused by the test filter') end
  return true
end
`;

describe('DicomwebTarget on Orthanc + DICOMweb plugin', () => {
  it('refuses a root that is not DICOMweb, refused credentials and a server away, naming the URL without credentials', async () => {
    const orthanc = await startOrthancHere(dicomwebOptions({ auth: { username: 'alice', password: 's3cret' } }));
    const good = openTarget(`dicomweb+http://alice:s3cret@127.0.0.1:${orthanc.port}/dicom-web`).target;
    await expect(good.assess()).resolves.toEqual({ transcoding: false, warnings: [] });
    const wrongRoot = openTarget(`dicomweb+http://alice:s3cret@127.0.0.1:${orthanc.port}/nothing`).target;
    await expect(wrongRoot.assess()).rejects.toMatchObject({ code: 'E_TARGET_NOT_DICOMWEB', message: expect.stringContaining(`dicomweb+http://127.0.0.1:${orthanc.port}/nothing answered HTTP 404`) as unknown });
    const refused = openTarget(`dicomweb+http://alice:wrong@127.0.0.1:${orthanc.port}/dicom-web`).target;
    const refusal = refused.assess();
    await expect(refusal).rejects.toMatchObject({ code: 'E_TARGET_AUTH' });
    await expect(refusal).rejects.not.toThrow(/wrong/);
    await orthanc.stop();
    await expect(good.assess()).rejects.toMatchObject({ code: 'E_TARGET_UNREACHABLE', message: expect.stringContaining('ECONNREFUSED') as unknown });
    await Promise.all([good.close(), wrongRoot.close(), refused.close()]);
  });

  it('stores a batch in few requests; holds() asks one QIDO-RS request per study before, and one naming the instances just put after', async () => {
    const orthanc = await startOrthancHere(dicomwebOptions());
    const { target, client } = openTarget(dicomwebUrl(orthanc), { bounds: { instances: 4, bytes: 1 << 20, lingerMs: 5 } });
    const instances = Array.from({ length: 10 }, (_, index) => testInstance('1001', index));
    const absent = testInstance('1001', 99).ref;
    expect(await Promise.all(instances.slice(0, 3).map(({ ref }) => target.holds(ref)))).toEqual([{ kind: 'absent' }, { kind: 'absent' }, { kind: 'absent' }]);
    expect(client.gets).toBe(1); // the study listed once for the three
    const results = await Promise.all(instances.map(({ bytes, ref }) => target.put(ref, bytes)));
    expect(results.every((result) => result.kind === 'stored' && result.status === 'stored' && result.answer === 'stored')).toBe(true);
    expect(client.posts).toBe(3); // 4 + 4 + 2
    // Verification: never the listing taken before the puts; one query naming the ten instances.
    const held = await Promise.all(instances.map(({ ref }) => target.holds(ref, { afterPut: 'stored' })));
    expect(held.every((h) => h.kind === 'same' && h.by === 'presence')).toBe(true);
    expect(client.gets).toBe(2);
    // Not among the named ones: the whole study is listed afresh before it counts as absent.
    expect(await target.holds(absent, { now: true })).toEqual({ kind: 'absent' });
    expect(client.gets).toBe(4);
    const otherClass: InstanceRef = { ...at(instances, 0).ref, sopClassUid: UID.basicTextSr };
    expect(await target.holds(otherClass, { now: true })).toMatchObject({ kind: 'other', reason: expect.stringContaining(`SOP Class ${UID.ctImage}, not ${UID.basicTextSr}`) as unknown });
    expect(await target.holds({ ...absent, sopInstanceUid: '' })).toMatchObject({ kind: 'unknown' });
    await target.close();
  });

  it('a study is listed once for the instances not yet put; instances just put are asked together, by name: no listing of the study per batch', async () => {
    const orthanc = await startOrthancHere(dicomwebOptions());
    const { target, client } = openTarget(dicomwebUrl(orthanc), { bounds: { instances: 2, bytes: 1 << 20, lingerMs: 5 } });
    const instances = Array.from({ length: 6 }, (_, index) => testInstance('1008', index));
    expect(await target.holds(at(instances, 0).ref)).toEqual({ kind: 'absent' });
    const sent = instances.slice(0, 4);
    expect((await Promise.all(sent.map(({ bytes, ref }) => target.put(ref, bytes)))).every((result) => result.kind === 'stored')).toBe(true);
    // Not put since the listing: its answer still holds for them.
    expect(await target.holds(at(instances, 4).ref)).toEqual({ kind: 'absent' });
    expect(await target.holds(at(instances, 5).ref)).toEqual({ kind: 'absent' });
    expect(client.gets).toBe(1);
    // Just put (two batches): asked after the puts, the four in one query naming them.
    const verified = await Promise.all(sent.map(({ ref }) => target.holds(ref, { afterPut: 'stored' })));
    expect(verified.every((held) => held.kind === 'same' && held.by === 'presence')).toBe(true);
    expect(client.gets).toBe(2);
    await target.close();
  });

  it('gives a rejected instance its own reason while the rest of its batch is stored', async () => {
    const orthanc = await startOrthancHere(dicomwebOptions());
    const { target, client } = openTarget(dicomwebUrl(orthanc));
    const good = [testInstance('1002', 1), testInstance('1002', 2)];
    const bad = instanceWithoutStudy('1002', 1);
    const [first, rejected, second] = await Promise.all([at(good, 0), bad, at(good, 1)].map(({ bytes, ref }) => target.put(ref, bytes)));
    expect(client.posts).toBe(1);
    expect(rejected).toEqual({ kind: 'rejected', reason: 'the DICOMweb server refused it: failure reason 0xC000 (cannot understand)', fields: { httpStatus: 400 } });
    expect(first).toMatchObject({ kind: 'stored' });
    expect(second).toMatchObject({ kind: 'stored' });
    expect(await target.holds(at(good, 1).ref)).toEqual({ kind: 'same', by: 'presence' });
    await target.close();
  });

  it('a file that changed while sent fails alone: the rest of its request is sent again, each alone, and stored', async () => {
    const orthanc = await startOrthancHere(dicomwebOptions());
    const { target, client } = openTarget(dicomwebUrl(orthanc));
    const batch = [testInstance('1007', 1), testInstance('1007', 2), testInstance('1007', 3)];
    const changed = at(batch, 1);
    const results = await Promise.all(
      batch.map(({ bytes, ref }) => (ref === changed.ref ? target.put({ ...ref, size: ref.size + 10 }, () => Readable.from([Buffer.from(bytes)])) : target.put(ref, bytes))),
    );
    expect(results.map((result) => result.kind)).toEqual(['stored', 'failed', 'stored']);
    expect(results[1]).toMatchObject({ reason: expect.stringContaining('the file changed') as unknown });
    expect(client.posts).toBe(4);
    await target.close();
  });

  it('plugin 1.7 answers 200 and lists neither the instance Orthanc refused nor those after it: they are sent again alone', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'oi-dicomweb-lua-'));
    await writeFile(join(runDir, 'filter.lua'), REFUSING_FILTER);
    const orthanc = await startOrthancHere(dicomwebOptions({ config: { LuaScripts: [join(runDir, 'filter.lua')] } }));
    const { target, client } = openTarget(dicomwebUrl(orthanc));
    const batch = [testInstance('1003', 1), testInstance('1003', 2, 'REFUSE'), testInstance('1003', 3), testInstance('1003', 4)];
    const results = await Promise.all(batch.map(({ bytes, ref }) => target.put(ref, bytes)));
    expect(results.map((result) => result.kind)).toEqual(['stored', 'failed', 'stored', 'stored']);
    expect(results[1]).toMatchObject({ reason: 'the DICOMweb server answered HTTP 200 but its answer does not list this instance', fields: { httpStatus: 200 } });
    expect(client.posts).toBe(4); // the batch, then the three it did not list, each alone
    expect(await target.holds(at(batch, 1).ref)).toEqual({ kind: 'absent' });
    expect(await target.holds(at(batch, 3).ref)).toEqual({ kind: 'same', by: 'presence' });
    await target.close();
  });

  it('--verify full: the instance retrieved through WADO-RS has the MD5 of the bytes sent; another version is told apart', async () => {
    const orthanc = await startOrthancHere(dicomwebOptions());
    const { target } = openTarget(dicomwebUrl(orthanc), { verifyFull: true });
    const { bytes, ref } = testInstance('1004', 1);
    expect(await target.put(ref, bytes)).toMatchObject({ kind: 'stored' });
    expect(await target.holds(ref)).toEqual({ kind: 'same', by: 'md5' });
    const other = await target.holds({ ...ref, md5: '0'.repeat(32) });
    expect(other).toMatchObject({ kind: 'other', reason: expect.stringContaining(`MD5 ${ref.md5 ?? ''}, the source's ${'0'.repeat(32)}`) as unknown });
    await target.close();
  });

  it('pauses through an outage mid-run (the server stopped, then started again on the same port) and stores everything', async () => {
    const first = await startOrthanc(dicomwebOptions());
    const { target } = openTarget(dicomwebUrl(first));
    const before = testInstance('1005', 0);
    expect(await target.put(before.ref, before.bytes)).toMatchObject({ kind: 'stored' });
    await first.stop();
    const puts: Promise<PutResult>[] = Array.from({ length: 6 }, (_, index) => testInstance('1005', index + 1)).map(({ bytes, ref }) => target.put(ref, bytes));
    const second: RunningOrthanc = await startOrthancHere(dicomwebOptions({ port: first.port, storageDir: first.storageDir }));
    expect(second.port).toBe(first.port);
    const results = await Promise.all(puts);
    expect(results.every((result) => result.kind === 'stored')).toBe(true);
    for (let index = 0; index <= 6; index++) expect(await target.holds(testInstance('1005', index).ref)).toEqual({ kind: 'same', by: 'presence' });
    await target.close();
  });

  it('a server that stays away past --retry-timeout stops the run through holds() with one error, not an unhandled rejection', async () => {
    const orthanc = await startOrthanc(dicomwebOptions());
    const { target } = openTarget(dicomwebUrl(orthanc), { retryTimeoutMs: 300 });
    const { bytes, ref } = testInstance('1009', 1);
    expect(await target.put(ref, bytes)).toMatchObject({ kind: 'stored' });
    await orthanc.stop();
    await expect(target.holds(testInstance('1009', 2).ref)).rejects.toMatchObject({ code: 'E_TARGET_UNREACHABLE' });
    await new Promise((resolve) => setImmediate(resolve));
    await target.close();
  });

  it('streams an instance of 120 MB from disk, alone in its request, and reads it back with the same MD5', async () => {
    const orthanc = await startOrthancHere(dicomwebOptions());
    const { target, client } = openTarget(dicomwebUrl(orthanc), { verifyFull: true });
    const ids = { studyInstanceUid: '2.25.1006', seriesInstanceUid: '2.25.1006.1', sopInstanceUid: '2.25.1006.1.1' };
    const head = concat(buildPart10({ ...ids, pixelData: 'none' }).bytes, encodeExplicit({ group: 0x7fe0, element: 0x0010, vr: 'OW', value: new Uint8Array(0), length: 120 * 1024 * 1024 }));
    const file = join(await mkdtemp(join(tmpdir(), 'oi-dicomweb-big-')), 'big.dcm');
    const hash = createHash('md5').update(head);
    const handle = await open(file, 'w');
    await handle.write(head);
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    for (let index = 0; index < 30; index++) {
      chunk.fill(index);
      hash.update(chunk);
      await handle.write(chunk);
    }
    await handle.close();
    const size = head.length + 30 * chunk.length;
    const ref: InstanceRef = { instanceId: '', patientId: 'PAT-001', ...ids, sopClassUid: UID.ctImage, md5: hash.digest('hex'), size };
    const small = testInstance('1006', 2);
    const [big, other] = await Promise.all([target.put(ref, () => createReadStream(file)), target.put(small.ref, small.bytes)]);
    expect(big).toMatchObject({ kind: 'stored' });
    expect(other).toMatchObject({ kind: 'stored' });
    expect(client.posts).toBe(2);
    expect(await target.holds(ref)).toEqual({ kind: 'same', by: 'md5' });
    await target.close();
  });
});
