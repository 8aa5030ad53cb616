// The target's listing in one run: what it holds, so that instances already there are not sent
// again (once their MD5 is read back), and so that what the journal says was delivered is
// confirmed there. Asked for from the start, as soon as the target has said who it is.
import type { ImportEvents } from '../core/events.js';
import type { ListedInstance, Target } from '../targets/target.js';
import type { ListingLookup } from './resume.js';
import type { IndexedInstance, OrthancIndex } from '../sources/orthanc-storage/orthanc-index.js';
import { TargetListing } from './target-listing.js';

type Pages = AsyncIterable<readonly ListedInstance[]>;

/** The target's listing, its first pages already on their way. */
export interface ListingPlan {
  readonly pages: Pages;
}

// Why: a run that may skip what the target holds, or replay from its journal what it delivered,
// needs the target's listing for every instance: its first pages are asked for as soon as the
// target has said who it is (`ready`: a target that is away or refuses is for that answer to
// report). None without a journal, a target, or with --no-skip-existing (a replayed delivery is
// then read back from the target one by one).
export const listingPlan = (options: { readonly skipExisting: boolean }, journaled: boolean, target: Target | undefined, ready: Promise<unknown>): ListingPlan | undefined => {
  const list = target?.list?.bind(target);
  if (!options.skipExisting || !journaled || list === undefined) return undefined;
  const asked = ready.then(() => list());
  asked.catch(() => undefined); // the run stops on `ready` itself
  return { pages: pagesOf(asked) };
};

async function* pagesOf(asked: Promise<Pages>): AsyncGenerator<readonly ListedInstance[]> {
  yield* await asked;
}

/** The listing of one run, as the stages take it. */
export interface RunListing {
  readonly lookup: ListingLookup;
  /** Index mode: the index's instances each page names, as the page arrives (the source then gives the rest). */
  readonly listed: AsyncIterable<readonly IndexedInstance[]> | undefined;
  /** Settles once every page is in; a walk's files wait for it. */
  readonly loaded: Promise<void>;
  close(): void;
}

const announce = (events: ImportEvents, count: number): void => {
  events.onInfo?.(
    count === 0 ? 'the target holds no instance yet' : `the target already holds ${count} instances; any of them this run would send has its MD5 read back there instead`,
  );
};

// A lookup that answers at once for an instance already listed, and after the last page otherwise.
const lookupOf = (store: TargetListing, loaded: Promise<void>): ListingLookup => ({
  find: async (id) => {
    const now = store.find(id);
    if (now !== undefined) return now;
    await loaded;
    return store.find(id);
  },
});

// In index mode the listing goes beside the index copy, and each page's instances are found there
// as the page arrives, for the stages to take while Orthanc prepares the next page. The source
// then gives only the instances no page named.
const listedPageByPage = (pages: Pages, index: OrthancIndex, events: ImportEvents): RunListing => {
  const store = index.listing();
  let markLoaded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });
  async function* listed(): AsyncGenerator<readonly IndexedInstance[]> {
    try {
      let count = 0;
      for await (const page of pages) {
        count += page.length;
        const found = index.addListingPage(page);
        if (found.length > 0) yield found;
      }
      announce(events, count);
    } finally {
      markLoaded();
    }
  }
  return { lookup: lookupOf(store, loaded), listed: listed(), loaded, close: () => { store.close(); } };
};

// Why: one place decides where the listing is kept and when it is read. In a walk it goes to a
// database of its own, loaded from the start.
export const openRunListing = (plan: ListingPlan, index: OrthancIndex | undefined, events: ImportEvents): RunListing => {
  if (index !== undefined) return listedPageByPage(plan.pages, index, events);
  const store = TargetListing.standalone();
  const load = async (): Promise<void> => {
    let count = 0;
    for await (const page of plan.pages) {
      store.add(page);
      count += page.length;
    }
    announce(events, count);
  };
  const loaded = load();
  loaded.catch(() => undefined); // met by the first file that waits for it
  return { lookup: lookupOf(store, loaded), listed: undefined, loaded, close: () => { store.close(); } };
};
