// The target's listing in one run: what it holds, so that instances already there are not sent
// again (once their MD5 is read back), and so that what the journal says was delivered is
// confirmed there. Asked for from the start, as soon as the target has said who it is.
import type { ImportEvents } from '../core/events.js';
import type { ListedInstance, Target } from '../targets/target.js';
import type { ListingLookup } from './resume.js';
import type { SourceItem } from '../core/types.js';
import type { ListingJoin } from '../sources/source.js';
import { TargetListing } from '../record/target-listing.js';

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

// Why: the whole listing into a store of its own; returns how many instances the pages named.
export const loadListing = async (pages: Pages, store: Pick<TargetListing, 'add'>): Promise<number> => {
  let count = 0;
  for await (const page of pages) {
    store.add(page);
    count += page.length;
  }
  return count;
};

/** The listing of one run, as the stages take it. */
export interface RunListing {
  readonly lookup: ListingLookup;
  /** A source that joins the listing: its items each page names, as the page arrives (the source then gives the rest). */
  readonly listed: AsyncIterable<readonly SourceItem[]> | undefined;
  /** Settles once every page is in; a walk's files wait for it. */
  readonly loaded: Promise<void>;
  close(): void;
}

const announce = (events: ImportEvents, count: number): void => {
  events.onInfo?.(
    count === 0 ? 'the target holds no instance yet' : `the target already holds ${count} instances; any of them this run would send has its MD5 read back there instead`,
  );
};

// Why: a lookup that answers at once for an instance already listed, and after the last page
// otherwise (`loaded`: settles with the last page).
export const lookupOf = (store: Pick<TargetListing, 'find'>, loaded: Promise<void>): ListingLookup => ({
  find: async (id) => {
    const now = store.find(id);
    if (now !== undefined) return now;
    await loaded;
    return store.find(id);
  },
});

// A source that joins the listing (an index) keeps it beside itself, and finds each page's items
// there as the page arrives, for the stages to take while the target prepares the next page. The
// source then gives only the items no page named.
const listedPageByPage = (pages: Pages, join: ListingJoin, events: ImportEvents): RunListing => {
  let markLoaded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });
  async function* listed(): AsyncGenerator<readonly SourceItem[]> {
    try {
      let count = 0;
      for await (const page of pages) {
        count += page.length;
        const found = join.addPage(page);
        if (found.length > 0) yield found;
      }
      announce(events, count);
    } finally {
      markLoaded();
    }
  }
  return { lookup: lookupOf(join, loaded), listed: listed(), loaded, close: () => { join.close(); } };
};

// Why: one place decides where the listing is kept and when it is read. A source that cannot join
// it (a walk) has it kept in a database of its own, loaded from the start.
export const openRunListing = (plan: ListingPlan, join: ListingJoin | undefined, events: ImportEvents): RunListing => {
  if (join !== undefined) return listedPageByPage(plan.pages, join, events);
  const store = TargetListing.standalone();
  const load = async (): Promise<void> => {
    announce(events, await loadListing(plan.pages, store));
  };
  const loaded = load();
  loaded.catch(() => undefined); // met by the first file that waits for it
  return { lookup: lookupOf(store, loaded), listed: undefined, loaded, close: () => { store.close(); } };
};
