import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listingPlan, openRunListing } from '../src/run-listing.js';
import type { Uploader } from '../src/upload.js';
import { OrthancIndex } from '../src/source/orthanc-index.js';
import type { TargetInstance } from '../src/target-listing.js';
import { SAMPLE_STORAGE } from './helpers/storages.js';

async function* pagesOf(pages: readonly (readonly TargetInstance[])[]): AsyncGenerator<readonly TargetInstance[]> {
  for (const page of pages) {
    await new Promise((resolve) => setImmediate(resolve));
    yield page;
  }
}

const opened: OrthancIndex[] = [];
const openSample = async (): Promise<OrthancIndex> => {
  const index = await OrthancIndex.open({ indexPath: join(SAMPLE_STORAGE, 'index'), storageRoot: SAMPLE_STORAGE });
  opened.push(index);
  return index;
};

afterEach(async () => {
  await Promise.all(opened.splice(0).map((index) => index.close()));
});

describe('openRunListing', () => {
  it('from the start in index mode: settles each page as it comes, and is loaded only after the last', async () => {
    const index = await openSample();
    const [one, two, ...rest] = [...index.instances()];
    if (one === undefined || two === undefined) throw new Error('expected instances');
    const pages = [[{ id: one.instanceId, size: 10 }, { id: 'held-elsewhere', size: 1 }], [], [{ id: two.instanceId, size: 20 }]];
    const infos: string[] = [];
    const listing = openRunListing({ from: 'start', pages: pagesOf(pages) }, index, { onInfo: (text) => infos.push(text) }, (instance, size) => ({ uuid: instance.uuid, size }));
    let loaded = false;
    void listing.loaded?.then(() => (loaded = true));
    const batches = [];
    for await (const batch of listing.settled ?? []) {
      batches.push(batch);
      expect(loaded).toBe(false);
    }
    await listing.lookup.ready();
    expect(loaded).toBe(true);
    expect(batches).toEqual([[{ uuid: one.uuid, size: 10 }], [{ uuid: two.uuid, size: 20 }]]);
    expect(listing.lookup.size('held-elsewhere')).toBe(1);
    expect([...index.instances('unlisted')]).toEqual(rest);
    expect(infos).toEqual([expect.stringMatching(/already holds 3 instances/)]);
    listing.close();
  });

  it('from the start without an index (walk mode): loads every page in the background, settles nothing itself', async () => {
    const listing = openRunListing({ from: 'start', pages: pagesOf([[{ id: 'a', size: 1 }], [{ id: 'b', size: 2 }]]) }, undefined, {}, () => 'unused');
    expect(listing.settled).toBeUndefined();
    await listing.loaded;
    expect(listing.lookup.size('b')).toBe(2);
    listing.close();
  });

  it('on first need: asks the target only when an instance needs it, and only once', async () => {
    let asked = 0;
    const list = (): AsyncGenerator<readonly TargetInstance[]> => {
      asked++;
      return pagesOf([[{ id: 'a', size: 1 }]]);
    };
    const listing = openRunListing({ from: 'need', list }, await openSample(), {}, () => 'unused');
    expect(listing.loaded).toBeUndefined();
    expect(listing.settled).toBeUndefined();
    expect(asked).toBe(0);
    await Promise.all([listing.lookup.ready(), listing.lookup.ready()]);
    expect(asked).toBe(1);
    expect(listing.lookup.size('a')).toBe(1);
    listing.close();
  });

  it('from the start, a failed page stops the settled stream with its error and still opens the gate', async () => {
    async function* failing(): AsyncGenerator<readonly TargetInstance[]> {
      yield* pagesOf([[]]);
      throw new Error('Cannot list the target');
    }
    const listing = openRunListing({ from: 'start', pages: failing() }, await openSample(), {}, () => 'unused');
    await expect(async () => {
      for await (const batch of listing.settled ?? []) expect(batch).toBeDefined();
    }).rejects.toThrow('Cannot list the target');
    await listing.loaded;
  });

  it('is planned from the start with an empty journal, asked for once the target answered; on need otherwise; never without a journal', async () => {
    let asked = 0;
    const uploader = { listInstances: () => (asked++, pagesOf([[{ id: 'a', size: 1 }]])) } as unknown as Uploader;
    const options = { skipExisting: true };
    let answer: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const plan = listingPlan(options, true, uploader, false, ready);
    await new Promise((resolve) => setImmediate(resolve));
    expect(plan?.from).toBe('start');
    expect(asked).toBe(0); // not before the target said who it is
    answer();
    await ready;
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toBe(1);
    const pages = [];
    if (plan?.from === 'start') for await (const page of plan.pages) pages.push(page);
    expect(pages).toEqual([[{ id: 'a', size: 1 }]]);
    expect(listingPlan(options, true, uploader, true, ready)?.from).toBe('need');
    expect(listingPlan(options, false, uploader, false, ready)).toBeUndefined();
    expect(listingPlan(options, true, undefined, false, ready)).toBeUndefined();
    expect(listingPlan({ skipExisting: false }, true, uploader, false, ready)).toBeUndefined();
    expect(asked).toBe(1);
  });
});
