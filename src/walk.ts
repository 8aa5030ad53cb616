import type { Dirent } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FileEntry } from './types.js';

/** A walk result: a regular file to classify, or something that cannot be (with the reason). */
export type WalkItem =
  | { readonly kind: 'file'; readonly entry: FileEntry }
  | { readonly kind: 'unreadable'; readonly entry: FileEntry; readonly reason: string; readonly fileClass: 'not-dicom' | 'failed' };

const errorCode = (error: unknown): string => (error as { code?: string }).code ?? (error as Error).message;

/** Directory entries examined together: their sizes are read in parallel. */
const BATCH = 64;

type Sized = { readonly size: number } | { readonly error: string };

const sizeOf = async (path: string): Promise<Sized> => {
  try {
    return { size: (await lstat(path)).size };
  } catch (error) {
    return { error: errorCode(error) };
  }
};

// Turns one batch of directory entries into walk items, recursing into sub-directories in order.
async function* visitBatch(batch: readonly Dirent[], directory: string, relative: string): AsyncGenerator<WalkItem> {
  const sizes = await Promise.all(batch.map((dirent) => (dirent.isFile() ? sizeOf(join(directory, dirent.name)) : Promise.resolve(undefined))));
  for (const [index, dirent] of batch.entries()) {
    const path = join(directory, dirent.name);
    const relativePath = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
    const sized = sizes[index];
    if (dirent.isDirectory()) {
      yield* walkDirectory(path, relativePath);
    } else if (sized !== undefined && 'size' in sized) {
      yield { kind: 'file', entry: { path, relativePath, size: sized.size } };
    } else if (sized !== undefined) {
      yield { kind: 'unreadable', entry: { path, relativePath, size: 0 }, fileClass: 'failed', reason: `cannot read the file (${sized.error})` };
    } else {
      const what = dirent.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file (device, socket or pipe)';
      yield { kind: 'unreadable', entry: { path, relativePath, size: 0 }, fileClass: 'not-dicom', reason: what };
    }
  }
}

// Lists one directory as a stream (fs.opendir), recursing depth-first: memory holds one open
// directory handle and one batch of entries per level, never the tree's listing.
async function* walkDirectory(directory: string, relative: string): AsyncGenerator<WalkItem> {
  let dir;
  try {
    dir = await opendir(directory, { bufferSize: BATCH });
  } catch (error) {
    const entry = { path: directory, relativePath: relative || '.', size: 0 };
    yield { kind: 'unreadable', entry, fileClass: 'failed', reason: `cannot list the directory (${errorCode(error)})` };
    return;
  }
  const batch: Dirent[] = [];
  for await (const dirent of dir) {
    batch.push(dirent);
    if (batch.length >= BATCH) yield* visitBatch(batch.splice(0), directory, relative);
  }
  yield* visitBatch(batch, directory, relative);
}

// Enumerates every file under the source (or the source itself when it is a file), lazily:
// the caller's pace sets the walker's pace, so a slow upload slows the walk.
export async function* walk(source: string): AsyncGenerator<WalkItem> {
  // The source itself was named by the user, so a link to it is followed; links inside are not.
  const stats = await stat(source);
  if (stats.isDirectory()) {
    yield* walkDirectory(source, '');
  } else {
    yield { kind: 'file', entry: { path: source, relativePath: basename(source), size: stats.size } };
  }
}
