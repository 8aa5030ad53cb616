import type { ImportOptions } from '../../core/options.js';
import { matchesFilter, type Filter } from '../../core/filter.js';
import type { SourceItem } from '../../core/types.js';
import { knownCount, type ListingJoin, type LocatedSource, type Source, type SourceOptions } from '../source.js';
import { indexedInstances, indexSourceWithOrphans, instanceItem, instanceKey } from './index-source.js';
import type { IndexReader } from './index-reader.js';
import { OrthancIndex } from './sqlite/orthanc-index.js';
import { refuseIfRunning } from './running-orthanc.js';
import { scanStorage, type StorageScan } from './storage-scan.js';
import { fingerprintSource, outcomeOptionsKey, stampIndex, type IndexStamp } from './unchanged.js';

/** Which of the index's instances the items give: all, or those no page of the target's listing named. */
type Selection = 'all' | 'unlisted';

/** What differs between the two ways of reading a storage (with or without --include-orphans). */
interface Reading {
  readonly items: (selection: Selection) => AsyncIterable<SourceItem> | Iterable<SourceItem>;
  readonly settled?: Source['settled'];
  readonly fingerprint?: Source['fingerprint'];
  close(): Promise<void>;
}

// The storage as the run sees it: the index's instances (once the target's listing is joined,
// only those it did not name: the run takes the named ones from the join, page by page).
const storageSource = (root: string, index: IndexReader, reading: Reading, includeOrphans: boolean): Source => {
  let joined = false;
  const joinListing = (): ListingJoin => {
    joined = true;
    const store = index.listing();
    return {
      addPage: (page) => index.addListingPage(page).map((instance) => instanceItem(root, instance, index)),
      find: (id) => store.find(id),
      close: () => {
        store.close();
      },
    };
  };
  const plannedBytes = (filter: Filter | undefined, isRecorded: (key: string) => boolean): number => {
    let bytes = 0;
    for (const instance of index.instances('all', false)) {
      if (filter !== undefined && !matchesFilter(instance.tags, filter)) continue;
      if (!isRecorded(instanceKey(instance))) bytes += instance.uncompressedSize;
    }
    return bytes;
  };
  const { settled, fingerprint } = reading;
  return {
    root,
    // Orphans included are classified by content, like any file of a walk.
    features: { wholeStudies: true, unknownFiles: includeOrphans },
    items: () => reading.items(joined ? 'unlisted' : 'all'),
    ...(settled === undefined ? {} : { settled }),
    ...(fingerprint === undefined ? {} : { fingerprint }),
    plannedBytes,
    studySize: (studyId) => index.studySize(studyId),
    // Orphans included are found by the walk as it goes: no count known up front.
    ...(includeOrphans ? {} : { count: () => knownCount(index.summary.instances, 'instances') }),
    joinListing,
    summary: index.summary,
    close: () => reading.close(),
  };
};

// Opens a private copy of the index, and the walk of the storage for everything else. Without
// --include-orphans the storage is walked in a thread of its own, which takes the fingerprint
// (from the index's stamp) first if asked.
const openStorage = async (root: string, indexPath: string, options: SourceOptions, fingerprint: IndexStamp | undefined): Promise<Source> => {
  if (options.includeOrphans) {
    // Orphans are read and uploaded: the walk feeds the stages, in this thread.
    const index = await OrthancIndex.open({ indexPath, storageRoot: root, studiesInFlight: options.studiesInFlight });
    const taken = fingerprint === undefined ? undefined : fingerprintSource(root, fingerprint);
    taken?.catch(() => undefined); // awaited at the end of the run; a run that stops early does not
    const items = (selection: Selection): AsyncIterable<SourceItem> => indexSourceWithOrphans(index, root, selection, taken);
    return storageSource(root, index, { items, fingerprint: taken, close: () => index.close() }, true);
  }
  // The walker's thread starts up (and takes the fingerprint) while the index is copied.
  const opening = OrthancIndex.open({ indexPath, storageRoot: root, studiesInFlight: options.studiesInFlight });
  let scan: StorageScan;
  try {
    scan = scanStorage({ root, fingerprint }, opening.then((index) => index.copyPath));
  } catch (error) {
    await opening.then((index) => index.close(), () => undefined);
    throw error;
  }
  let index: IndexReader;
  try {
    index = await opening;
  } catch (error) {
    await scan.close();
    throw error;
  }
  const close = async (): Promise<void> => {
    await scan.close();
    await index.close();
  };
  const items = (selection: Selection): Iterable<SourceItem> => indexedInstances(index, root, selection);
  return storageSource(root, index, { items, settled: scan.outcomes, fingerprint: scan.fingerprint, close }, false);
};

// Why: a storage read through its index can say it is unchanged since a complete run, from the
// metadata of its index files and folders (unchanged.ts); the index files' part is taken just
// before they are copied.
export const locatedStorage = (root: string, indexPath: string, options: SourceOptions): LocatedSource => {
  const stamp = (run: ImportOptions): IndexStamp => stampIndex(root, indexPath, outcomeOptionsKey(run));
  return {
    root,
    fingerprint: {
      // /proc/locks is read on the thread pool while the directories are read here.
      now: async (run) => (await Promise.all([fingerprintSource(root, stamp(run)), refuseIfRunning(indexPath)]))[0],
    },
    open: (fingerprintFor) => openStorage(root, indexPath, options, fingerprintFor === undefined ? undefined : stamp(fingerprintFor)),
  };
};
