import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ImporterError } from '../errors.js';
import type { SourceItem } from '../types.js';
import { indexSource } from './index-source.js';
import { OrthancIndex, type IndexSummary } from './orthanc-index.js';
import { walkSource } from './walk-source.js';
import { errnoOrMessage } from '../errno.js';

/** Where the files of a run come from, and the index when there is one. */
export interface OpenedSource {
  readonly root: string;
  readonly items: AsyncIterable<SourceItem>;
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

const isDirectoryOrThrow = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch (error) {
    throw new ImporterError('E_SOURCE', `Cannot read the source ${path} (${errnoOrMessage(error)})`, { cause: error });
  }
};

// Chooses the mode: the storage's own SQLite index when it has one (or --index names it), else a walk.
export const openSource = async (options: SourceOptions): Promise<OpenedSource> => {
  const root = resolve(options.source);
  const isDirectory = isDirectoryOrThrow(root);
  const found = isDirectory && options.useIndex && existsSync(join(root, 'index')) ? join(root, 'index') : undefined;
  const indexPath = options.indexPath === undefined ? found : resolve(options.indexPath);
  if (indexPath === undefined) {
    return { root, items: walkSource(root, { followSymlinks: options.followSymlinks }), index: undefined, indexSummary: undefined, close: () => Promise.resolve() };
  }
  if (!isDirectory) throw new ImporterError('E_USAGE', `--index needs a storage folder as the source, got the file ${root}`);
  const index = await OrthancIndex.open({ indexPath, storageRoot: root });
  return { root, items: indexSource(index, root, options.includeOrphans), index, indexSummary: index.summary, close: () => index.close() };
};
