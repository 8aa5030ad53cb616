import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ImporterError } from '../../core/errors.js';
import type { SourceBackend } from '../source.js';
import { refuseIfStorageRunning } from './running-orthanc.js';
import { locatedStorage } from './storage-source.js';

const isFile = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isFile() === true;

const HEX_PAIR = /^[0-9a-f]{2}$/;

// The Orthanc storage a path lies inside, when it is one of its xx or xx/yy folders (or a file in
// them) and the storage's index is there: undefined otherwise.
const enclosingStorage = (path: string): string | undefined => {
  let folder = path;
  for (let depth = 0; depth < 3; depth++) {
    const parent = dirname(folder);
    if (parent === folder || !HEX_PAIR.test(basename(folder))) return undefined;
    if (isFile(join(parent, 'index'))) return parent;
    folder = parent;
  }
  return undefined;
};

// Why: part of a storage holds caches whose full files are in other folders, so they cannot be
// proven caches (cache-evidence.ts) and would be sent as pixel-less instances; the whole storage,
// with its index, says what each file is, and filters take part of it.
const refusePartOfStorage = (root: string, isDirectory: boolean): void => {
  const storage = enclosingStorage(isDirectory ? root : dirname(root));
  if (storage === undefined) return;
  throw new ImporterError(
    'E_USAGE',
    `The source ${root} is part of the Orthanc storage ${storage} (its index is ${join(storage, 'index')}): alone, its dicom-until-pixel-data caches ` +
      'cannot be told from instances and would arrive as pixel-less copies. Give the whole storage as the source; --patient-id, --study-uid, --accession, --modality or --study-date take part of it',
  );
};

// Why: a stopped Orthanc's storage is read through its own SQLite index when it has one (or
// --index names one); a folder or file inside a storage that has an index is refused, and so is
// any folder whose own index a running Orthanc holds, whichever backend would read it.
export const orthancStorage: SourceBackend = {
  locate: async ({ root, isDirectory }, options) => {
    refusePartOfStorage(root, isDirectory);
    const found = isDirectory && options.useIndex && isFile(join(root, 'index')) ? join(root, 'index') : undefined;
    const indexPath = options.indexPath === undefined ? found : resolve(options.indexPath);
    if (indexPath !== undefined && !isDirectory) throw new ImporterError('E_USAGE', `--index needs a storage folder as the source, got the file ${root}`);
    await refuseIfStorageRunning({ root, isDirectory, indexPath });
    return indexPath === undefined ? undefined : locatedStorage(root, indexPath, options);
  },
};
