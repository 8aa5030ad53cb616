// When the run reads and carries an instance's extras, and what it counts: a scripted target
// (the Orthanc side is tested against a real Orthanc in test/targets/orthanc/carry.test.ts).
import { describe, expect, it } from 'vitest';
import { ExtrasGone, type CarryResult, type ResourceExtras, type ResourceLevel } from '../../src/core/extras.js';
import type { FileOutcome } from '../../src/core/types.js';
import { ExtrasCarrier } from '../../src/run/carry.js';
import type { Target } from '../../src/targets/target.js';

const resource = (level: ResourceLevel, orthancId: string, lost: string[] = []): ResourceExtras => ({ level, orthancId, metadata: [{ name: '1024', value: orthancId }], attachments: [], labels: [], lost });

const delivered: FileOutcome = { path: 'a', size: 1, fileClass: 'dicom', status: 'stored', verified: 'md5' };

const targetThat = (answer: (resources: readonly ResourceExtras[]) => CarryResult, carried: ResourceExtras[][]): Target =>
  ({
    carry: (resources: readonly ResourceExtras[]) => {
      carried.push([...resources]);
      return Promise.resolve(answer(resources));
    },
  }) as unknown as Target;

const allCarried = (resources: readonly ResourceExtras[]): CarryResult => ({ carried: resources.length, notCarried: [], failed: [] });

describe('ExtrasCarrier', () => {
  it('carries an instance with its parents, each parent once per run; counts lost system metadata per resource', async () => {
    const carried: ResourceExtras[][] = [];
    const carrier = new ExtrasCarrier(targetThat(allCarried, carried), true);
    const extrasOf = (instance: string) => () => Promise.resolve([resource('instance', instance, ['ReceptionDate']), resource('series', 'se', ['RemoteAET']), resource('study', 'st')]);
    expect(await carrier.settle(delivered, extrasOf('i1'))).toMatchObject({ extrasCarried: 3 });
    expect(await carrier.settle(delivered, extrasOf('i2'))).toMatchObject({ extrasCarried: 1 });
    expect(carried.map((batch) => batch.map((r) => r.orthancId))).toEqual([['i1', 'se', 'st'], ['i2']]);
    expect(carrier.summary()).toEqual({ instances: 2, carried: 4, notCarried: 0, failed: 0, lost: { ReceptionDate: 2, RemoteAET: 1 } });
  });

  it('asks a source that reads per resource only for what it has not carried', async () => {
    const carrier = new ExtrasCarrier(targetThat(allCarried, []), false);
    const asked: string[][] = [];
    const reader = (instance: string) => (wanted: (level: ResourceLevel, id: string) => boolean) => {
      const all = [resource('instance', instance), resource('series', 'se')];
      asked.push(all.filter((r) => wanted(r.level, r.orthancId)).map((r) => r.orthancId));
      return Promise.resolve(all);
    };
    await carrier.settle(delivered, reader('i1'));
    await carrier.settle(delivered, reader('i2'));
    expect(asked).toEqual([['i1', 'se'], ['i2']]);
    expect(carrier.summary()?.carried).toBe(3);
  });

  it('reads nothing for an instance not on the target, unverified, or replayed from the journal', async () => {
    const carried: ResourceExtras[][] = [];
    const carrier = new ExtrasCarrier(targetThat(allCarried, carried), true);
    const never = () => Promise.reject(new Error('read'));
    for (const outcome of [{ ...delivered, verified: undefined }, { ...delivered, resumed: true as const }, { ...delivered, fileClass: 'failed' as const }, { ...delivered, status: 'dropped' as const }]) {
      expect(await carrier.settle(outcome, never)).toBe(outcome);
    }
    expect(carried).toEqual([]);
    expect(carrier.summary()).toBeUndefined();
  });

  it('a target that holds no extras: counted, never read', async () => {
    const carrier = new ExtrasCarrier({} as Target, true);
    expect(await carrier.settle(delivered, () => Promise.reject(new Error('read')))).toBe(delivered);
    expect(carrier.summary()).toEqual({ instances: 0, carried: 0, notCarried: 0, failed: 0, lost: {}, notRead: 1 });
  });

  it('a failure is on the outcome, and a parent that failed is carried again with the next instance', async () => {
    const carried: ResourceExtras[][] = [];
    let fail = true;
    const carrier = new ExtrasCarrier(targetThat((resources) => (fail ? { carried: 0, notCarried: [], failed: ['series se: HTTP 500'] } : allCarried(resources)), carried), true);
    const extrasOf = (instance: string) => () => Promise.resolve([resource('instance', instance), resource('series', 'se')]);
    expect(await carrier.settle(delivered, extrasOf('i1'))).toMatchObject({ extrasFailed: ['series se: HTTP 500'] });
    fail = false;
    await carrier.settle(delivered, extrasOf('i2'));
    expect(carried.map((batch) => batch.map((r) => r.orthancId))).toEqual([['i1', 'se'], ['i2', 'se']]);
    const unreadable = await carrier.settle(delivered, () => Promise.reject(new Error('disk gone')));
    expect(unreadable.extrasFailed).toEqual(["reading what the source knows beyond the file: disk gone"]);
  });

  it('an instance the source deleted after it was delivered: its extras not carried (not failed), its parents carried with the next instance', async () => {
    const carried: ResourceExtras[][] = [];
    const carrier = new ExtrasCarrier(targetThat(allCarried, carried), true);
    const gone = await carrier.settle(delivered, (wanted) => {
      wanted('series', 'se');
      return Promise.reject(new ExtrasGone('GET /instances/i1/metadata?expand: HTTP 404, deleted from the source after the instance was delivered: not carried'));
    });
    expect(gone).toMatchObject({ extrasNotCarried: ['GET /instances/i1/metadata?expand: HTTP 404, deleted from the source after the instance was delivered: not carried'] });
    expect(gone.extrasFailed).toBeUndefined();
    await carrier.settle(delivered, () => Promise.resolve([resource('instance', 'i2'), resource('series', 'se')]));
    expect(carried.map((batch) => batch.map((r) => r.orthancId))).toEqual([['i2', 'se']]);
    expect(carrier.summary()).toMatchObject({ notCarried: 1, failed: 0 });
  });
});
