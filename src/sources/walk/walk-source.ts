import type { SourceItem } from '../../core/types.js';
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

// Why: any folder of files (or a single file) is a source, the one every path no other backend
// takes falls back to (registry.ts); it knows nothing before reading, so it offers no feature.
export const locateWalk = ({ root }: SourcePath, options: Pick<SourceOptions, 'followSymlinks'>): LocatedSource => {
  const source = {
    root,
    features: { wholeStudies: false, unknownFiles: true },
    items: () => walkItems(root, { followSymlinks: options.followSymlinks }),
    close: () => Promise.resolve(),
  } satisfies Source;
  return { root, open: () => Promise.resolve(source) };
};
