import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Batcher, type Waiting } from '../../../src/targets/dicomweb/batcher.js';

const waiting = (sopInstanceUid: string, size: number): Waiting => ({
  instance: { instanceId: '', patientId: '', sopInstanceUid, studyInstanceUid: '1', seriesInstanceUid: '1.1', sopClassUid: '', md5: undefined, size },
  body: new Uint8Array(0),
  resolve: () => undefined,
  reject: () => undefined,
});

const uids = (batches: (readonly Waiting[])[]): string[][] => batches.map((batch) => batch.map((item) => item.instance.sopInstanceUid));

describe('Batcher', () => {
  it('sends a batch when full in instances or in bytes; one over the byte bound goes alone', () => {
    const sent: (readonly Waiting[])[] = [];
    const batcher = new Batcher({ instances: 2, bytes: 100, lingerMs: 60_000 }, (batch) => sent.push(batch));
    for (const [uid, size] of [['a', 10], ['b', 10], ['c', 60], ['d', 50], ['e', 500], ['f', 1]] as const) batcher.add(waiting(uid, size));
    expect(uids(sent)).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    batcher.flush();
    expect(uids(sent)).toEqual([['a', 'b'], ['c'], ['d'], ['e'], ['f']]);
  });

  it('never puts one SOP Instance UID twice in a batch, and an unknown UID goes alone', () => {
    const sent: (readonly Waiting[])[] = [];
    const batcher = new Batcher({ instances: 10, bytes: 1000, lingerMs: 60_000 }, (batch) => sent.push(batch));
    for (const uid of ['a', 'b', 'a', '', 'c']) batcher.add(waiting(uid, 1));
    batcher.flush();
    expect(uids(sent)).toEqual([['a', 'b'], ['a'], [''], ['c']]);
  });

  it('sends a batch that is not full once no instance joined it for the linger', async () => {
    const sent: (readonly Waiting[])[] = [];
    const batcher = new Batcher({ instances: 10, bytes: 1000, lingerMs: 5 }, (batch) => sent.push(batch));
    batcher.add(waiting('a', 1));
    batcher.add(waiting('b', 1));
    expect(sent).toEqual([]);
    while (sent.length === 0) await sleep(5);
    expect(uids(sent)).toEqual([['a', 'b']]);
  });
});
