import type { SourceItem } from '../../core/types.js';
import type { SourceCount } from '../../core/events.js';
import type { LocatedSource, Source, SourceOptions, SourcePath } from '../source.js';
import { walk, type WalkOptions } from './walk.js';

// Walk mode: every file is classified by its content.
async function* walkItems(source: string, options: WalkOptions): AsyncGenerator<SourceItem> {
  for await (const item of walk(source, options)) {
    if (item.kind === 'file') {
      yield { kind: 'file', entry: item.entry };
    } else {
      yield { kind: 'settled', entry: item.entry, classified: { kind: 'skipped', fileClass: item.fileClass, reason: item.reason, diskSize: 0 } };
    }
  }
}

/** A count found so far is told at most this often. */
const COUNT_EVERY_MS = 500;

// Counts the files (and what cannot be read) a walk gives, as the run's own walk will find them:
// a second walk, of names only, ahead of the run's; told now and then, and once whole.
async function* countFiles(source: string, options: WalkOptions, signal: AbortSignal): AsyncGenerator<SourceCount> {
  let items = 0;
  let told = Date.now();
  const walking = walk(source, options);
  while ((await walking.next()).done !== true) {
    if (signal.aborted) {
      await walking.return(undefined);
      return;
    }
    items++;
    if (Date.now() - told >= COUNT_EVERY_MS) {
      told = Date.now();
      yield { items, unit: 'files', final: false };
    }
  }
  yield { items, unit: 'files', final: true };
}

// Why: any folder of files (or a single file) is a source, the one every path no other backend
// takes falls back to (registry.ts); it knows nothing before reading, so it offers no feature.
export const locateWalk = ({ root }: SourcePath, options: Pick<SourceOptions, 'followSymlinks'>): LocatedSource => {
  const source = {
    root,
    features: { wholeStudies: false, unknownFiles: true },
    items: () => walkItems(root, { followSymlinks: options.followSymlinks }),
    count: (signal: AbortSignal) => countFiles(root, { followSymlinks: options.followSymlinks }, signal),
    close: () => Promise.resolve(),
  } satisfies Source;
  return { root, open: () => Promise.resolve(source) };
};
