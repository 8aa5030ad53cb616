import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ImporterError } from '../errors.js';
import { errnoOrMessage } from '../errno.js';
import type { SourceOptions } from './open-source.js';

const isDirectoryOrThrow = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch (error) {
    throw new ImporterError('E_SOURCE', `Cannot read the source ${path} (${errnoOrMessage(error)})`, { cause: error });
  }
};

const isFile = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isFile() === true;

/** Where a run's files are, before anything is opened. */
export interface LocatedSource {
  readonly root: string;
  readonly isDirectory: boolean;
  /** The SQLite index of a storage folder (index mode); undefined: a walk. */
  readonly indexPath: string | undefined;
}

// Chooses the mode: the storage's own SQLite index when it has one (or --index names it), else a walk.
export const locateSource = (options: SourceOptions): LocatedSource => {
  const root = resolve(options.source);
  const isDirectory = isDirectoryOrThrow(root);
  const found = isDirectory && options.useIndex && isFile(join(root, 'index')) ? join(root, 'index') : undefined;
  const indexPath = options.indexPath === undefined ? found : resolve(options.indexPath);
  if (indexPath !== undefined && !isDirectory) throw new ImporterError('E_USAGE', `--index needs a storage folder as the source, got the file ${root}`);
  return { root, isDirectory, indexPath };
};

