import type { SourceItem } from '../core/types.js';
import { indexedInstances, indexSourceWithOrphans } from './orthanc-storage/index-source.js';
import { scanStorage, type StorageScan } from './orthanc-storage/storage-scan.js';
import { fingerprintSource, type IndexStamp, type SourceFingerprint } from './orthanc-storage/unchanged.js';
import type { FileOutcome } from '../core/types.js';
import { OrthancIndex, type IndexSummary } from './orthanc-storage/orthanc-index.js';
import { walkSource } from './walk/walk-source.js';
import type { LocatedSource } from './locate-source.js';

/** Where the files of a run come from, and the index when there is one. */
export interface OpenedSource {
  readonly root: string;
  /** What the stages (workers, uploads) must see. */
  readonly items: AsyncIterable<SourceItem> | Iterable<SourceItem>;
  /** Outcomes known without reading the files (index mode's storage walk), kept out of the stages. */
  readonly settled: AsyncIterable<readonly FileOutcome[]> | undefined;
  /** The fingerprint asked for, taken before the walk listed anything. */
  readonly fingerprint: Promise<SourceFingerprint | undefined> | undefined;
  readonly index: OrthancIndex | undefined;
  readonly indexSummary: IndexSummary | undefined;
  close(): Promise<void>;
}

export interface SourceOptions {
  readonly source: string;
  /** An explicit index path (IndexDirectory set apart). */
  readonly indexPath: string | undefined;
  /** false: walk even when an index is there (--no-index). */
  readonly useIndex: boolean;
  readonly includeOrphans: boolean;
  readonly followSymlinks: boolean;
}

// Opens the source located by locateSource: a private copy of the index, or a walker. In index
// mode the storage is walked in a thread of its own, which takes the fingerprint (from the index's
// stamp) first if asked; `instances` 'unlisted' leaves out the instances the target's listing
// named (the run settles those from the listing itself).
export const openSource = async (located: LocatedSource, options: SourceOptions, fingerprint?: IndexStamp, instances: 'all' | 'unlisted' = 'all'): Promise<OpenedSource> => {
  const { root, indexPath } = located;
  if (indexPath === undefined) {
    return { root, items: walkSource(root, { followSymlinks: options.followSymlinks }), settled: undefined, fingerprint: undefined, index: undefined, indexSummary: undefined, close: () => Promise.resolve() };
  }
  if (options.includeOrphans) {
    // Orphans are read and uploaded: the walk feeds the stages, in this thread.
    const index = await OrthancIndex.open({ indexPath, storageRoot: root });
    const taken = fingerprint === undefined ? undefined : fingerprintSource(root, fingerprint);
    taken?.catch(() => undefined); // awaited at the end of the run; a run that stops early does not
    return { root, index, indexSummary: index.summary, items: indexSourceWithOrphans(index, root, instances, taken), settled: undefined, fingerprint: taken, close: () => index.close() };
  }
  // The walker's thread starts up (and takes the fingerprint) while the index is copied.
  const opening = OrthancIndex.open({ indexPath, storageRoot: root });
  let scan: StorageScan;
  try {
    scan = scanStorage({ root, fingerprint }, opening.then((index) => index.copyPath));
  } catch (error) {
    await opening.then((index) => index.close(), () => undefined);
    throw error;
  }
  let index: OrthancIndex;
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
  return { root, index, indexSummary: index.summary, items: indexedInstances(index, root, instances), settled: scan.outcomes, fingerprint: scan.fingerprint, close };
};
