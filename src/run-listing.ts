// The target's listing in one run: what it holds, so instances already there are not sent again.
// Asked for from the start when the journal holds nothing (every instance then needs it), else
// only when a file first needs it.
import type { ImportEvents } from './events.js';
import type { Uploader } from './upload.js';
import type { ListingLookup } from './resume.js';
import type { IndexedInstance, OrthancIndex } from './source/orthanc-index.js';
import { TargetListing, type TargetInstance } from './target-listing.js';

type Pages = AsyncIterable<readonly TargetInstance[]>;

/** How a run lists the target: from the start (its pages already on their way), or on first need. */
export type ListingPlan = { readonly from: 'start'; readonly pages: Pages } | { readonly from: 'need'; readonly list: () => Pages };

// Why: a run lists the target from the start when the journal settles nothing (every instance needs
// the listing), on first need otherwise; not at all without a journal, a target, or with
// --no-skip-existing. Listed from the start, the first pages are asked for as soon as the target
// has said who it is (`ready`: a target that is away or refuses is for that answer to report).
export const listingPlan = (
  options: { readonly skipExisting: boolean },
  journaled: boolean,
  uploader: Uploader | undefined,
  replay: boolean,
  ready: Promise<unknown>,
): ListingPlan | undefined => {
  if (!options.skipExisting || !journaled || uploader === undefined) return undefined;
  if (replay) return { from: 'need', list: () => uploader.listInstances() };
  const asked = ready.then(() => uploader.listInstances());
  asked.catch(() => undefined); // the run stops on `ready` itself
  return { from: 'start', pages: pagesOf(asked) };
};

async function* pagesOf(asked: Promise<Pages>): AsyncGenerator<readonly TargetInstance[]> {
  yield* await asked;
}

/** The listing of one run, as the stages and the run's merge take it. */
export interface RunListing<T> {
  readonly lookup: ListingLookup;
  /** Index mode, listed from the start: the instances each page names, settled as the page arrives. */
  readonly settled: AsyncIterable<readonly T[]> | undefined;
  /** Listed from the start: settles once every page is in; the instances the stages take wait for it. */
  readonly loaded: Promise<void> | undefined;
  close(): void;
}

const announce = (events: ImportEvents, count: number): void => {
  events.onInfo?.(`the target already holds ${count} instances; those with the same file size are not sent again`);
};

// In index mode, listed from the start: the listing goes beside the index copy, and each page's
// instances are found there and settled while Orthanc prepares the next page. The stages then
// take only the instances no page named.
const settledPageByPage = <T>(pages: Pages, index: OrthancIndex, events: ImportEvents, settle: (instance: IndexedInstance, size: number) => T): RunListing<T> => {
  const store = index.listing();
  let markLoaded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });
  async function* settled(): AsyncGenerator<readonly T[]> {
    try {
      let count = 0;
      for await (const page of pages) {
        count += page.length;
        const found = index.addListingPage(page);
        const sizes = new Map<string, number>();
        for (const { id, size } of page) if (!sizes.has(id)) sizes.set(id, size); // the first one named, as kept
        if (found.length > 0) yield found.map((instance) => settle(instance, sizes.get(instance.instanceId) ?? 0));
      }
      announce(events, count);
    } finally {
      markLoaded();
    }
  }
  return {
    lookup: { ready: () => loaded, size: (id) => store.size(id) },
    settled: settled(),
    loaded,
    close: () => {
      store.close();
    },
  };
};

// Why: one place decides where the listing is kept and when it is read. A listing read on first
// need goes to a database of its own: the index's connection may then be reading instances, and
// SQLite does not let it write meanwhile.
export const openRunListing = <T>(plan: ListingPlan, index: OrthancIndex | undefined, events: ImportEvents, settle: (instance: IndexedInstance, size: number) => T): RunListing<T> => {
  if (plan.from === 'start' && index !== undefined) return settledPageByPage(plan.pages, index, events, settle);
  const store = TargetListing.standalone();
  const load = async (pages: Pages): Promise<void> => {
    let count = 0;
    for await (const page of pages) {
      store.add(page);
      count += page.length;
    }
    announce(events, count);
  };
  let loading = plan.from === 'start' ? load(plan.pages) : undefined;
  loading?.catch(() => undefined); // met by the first instance that waits for it
  const ready = (): Promise<void> => (loading ??= load(plan.from === 'need' ? plan.list() : plan.pages));
  return {
    lookup: { ready, size: (id) => store.size(id) },
    settled: undefined,
    loaded: plan.from === 'start' ? loading : undefined,
    close: () => {
      store.close();
    },
  };
};
