import { afterEach, describe, expect, it } from 'vitest';
import { listingPlan, openRunListing } from '../../src/run/run-listing.js';
import type { ListedInstance, Target } from '../../src/targets/target.js';
import type { SourceItem } from '../../src/core/types.js';
import { locateSource } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { SAMPLE_STORAGE } from '../helpers/storages.js';

async function* pagesOf(pages: readonly (readonly ListedInstance[])[]): AsyncGenerator<readonly ListedInstance[]> {
  for (const page of pages) {
    await new Promise((resolve) => setImmediate(resolve));
    yield page;
  }
}

const opened: Source[] = [];
const openSample = async (): Promise<Source> => {
  const source = await (await locateSource({ source: SAMPLE_STORAGE, indexPath: undefined, useIndex: true, includeOrphans: false, followSymlinks: false, studiesInFlight: 2 })).open();
  opened.push(source);
  return source;
};

afterEach(async () => {
  await Promise.all(opened.splice(0).map((source) => source.close()));
});

// Items as data: each carries a fresh reader of its extras (a function), compared here by what it is.
const data = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const idOf = (item: SourceItem | undefined): string => (item?.kind === 'indexed' ? item.expected.instanceId : '');

describe('openRunListing', () => {
  it('joined with a source (an index): gives the items each page names as the page comes, and is loaded only after the last', async () => {
    const source = await openSample();
    const [one, two, ...rest] = [...(source.items() as Iterable<SourceItem>)];
    if (one === undefined || two === undefined) throw new Error('expected instances');
    const pages = [[{ id: idOf(one), size: 10, file: '' }, { id: 'held-elsewhere', size: 1, file: '' }], [], [{ id: idOf(two), size: 20, file: '' }]];
    const infos: string[] = [];
    const listing = openRunListing({ pages: pagesOf(pages) }, source.joinListing?.(), { onInfo: (text) => infos.push(text) });
    let loaded = false;
    void listing.loaded.then(() => (loaded = true));
    const batches = [];
    for await (const batch of listing.listed ?? []) {
      batches.push(batch);
      // an instance already listed is answered at once, before the listing is complete
      expect(await listing.lookup.find(idOf(batch[0]))).toBeDefined();
      expect(loaded).toBe(false);
    }
    await listing.loaded;
    expect(data(batches)).toEqual(data([[one], [two]]));
    expect((await listing.lookup.find('held-elsewhere'))?.size).toBe(1);
    expect(await listing.lookup.find('not-there')).toBeUndefined();
    expect(data([...(source.items() as Iterable<SourceItem>)])).toEqual(data(rest)); // the source gives only the others
    expect(infos).toEqual([expect.stringMatching(/already holds 3 instances/)]);
    listing.close();
  });

  it('without an index (walk mode): loads every page in the background, an unlisted instance answered once all are in', async () => {
    const listing = openRunListing({ pages: pagesOf([[{ id: 'a', size: 1, file: '' }], [{ id: 'b', size: 2, file: '' }]]) }, undefined, {});
    expect(listing.listed).toBeUndefined();
    expect(await listing.lookup.find('b')).toEqual({ id: 'b', size: 2, file: '' });
    expect(await listing.lookup.find('c')).toBeUndefined();
    listing.close();
  });

  it('says so when the target holds nothing yet', async () => {
    const infos: string[] = [];
    const listing = openRunListing({ pages: pagesOf([[]]) }, undefined, { onInfo: (text) => infos.push(text) });
    await listing.loaded;
    expect(infos).toEqual(['the target holds no instance yet']);
    listing.close();
  });

  it('a failed page stops the listed stream with its error and still opens the gate', async () => {
    async function* failing(): AsyncGenerator<readonly ListedInstance[]> {
      yield* pagesOf([[]]);
      throw new Error('Cannot list the target');
    }
    const listing = openRunListing({ pages: failing() }, (await openSample()).joinListing?.(), {});
    await expect(async () => {
      for await (const batch of listing.listed ?? []) expect(batch).toBeDefined();
    }).rejects.toThrow('Cannot list the target');
    await listing.loaded;
  });

  it('is planned with a journal and a target, asked for once the target answered; never without a journal or with --no-skip-existing', async () => {
    let asked = 0;
    const uploader = { list: () => (asked++, pagesOf([[{ id: 'a', size: 1, file: '' }]])) } as unknown as Target;
    const options = { skipExisting: true };
    let answer: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const plan = listingPlan(options, true, uploader, ready);
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toBe(0); // not before the target said who it is
    answer();
    await ready;
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toBe(1);
    const pages = [];
    for await (const page of plan?.pages ?? []) pages.push(page);
    expect(pages).toEqual([[{ id: 'a', size: 1, file: '' }]]);
    expect(listingPlan(options, false, uploader, ready)).toBeUndefined();
    expect(listingPlan(options, true, undefined, ready)).toBeUndefined();
    expect(listingPlan({ skipExisting: false }, true, uploader, ready)).toBeUndefined();
    expect(asked).toBe(1);
  });
});
