import { opendir, lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FileEntry } from './types.js';

/** A walk result: a regular file to classify, or something that cannot be (with the reason). */
export type WalkItem =
  | { readonly kind: 'file'; readonly entry: FileEntry }
  | { readonly kind: 'unreadable'; readonly entry: FileEntry; readonly reason: string; readonly fileClass: 'not-dicom' | 'failed' };

const errorCode = (error: unknown): string => (error as { code?: string }).code ?? (error as Error).message;

// Lists one directory as a stream (fs.opendir), recursing depth-first: memory holds one open
// directory handle per level, never the tree's listing.
async function* walkDirectory(directory: string, relative: string): AsyncGenerator<WalkItem> {
  let dir;
  try {
    dir = await opendir(directory, { bufferSize: 64 });
  } catch (error) {
    const entry = { path: directory, relativePath: relative || '.', size: 0 };
    yield { kind: 'unreadable', entry, fileClass: 'failed', reason: `cannot list the directory (${errorCode(error)})` };
    return;
  }
  for await (const dirent of dir) {
    const path = join(directory, dirent.name);
    const relativePath = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
    if (dirent.isDirectory()) {
      yield* walkDirectory(path, relativePath);
    } else if (dirent.isFile()) {
      try {
        const stats = await lstat(path);
        yield { kind: 'file', entry: { path, relativePath, size: stats.size } };
      } catch (error) {
        yield { kind: 'unreadable', entry: { path, relativePath, size: 0 }, fileClass: 'failed', reason: `cannot read the file (${errorCode(error)})` };
      }
    } else {
      const what = dirent.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file (device, socket or pipe)';
      yield { kind: 'unreadable', entry: { path, relativePath, size: 0 }, fileClass: 'not-dicom', reason: what };
    }
  }
}

// Enumerates every file under the source (or the source itself when it is a file), lazily:
// the caller's pace sets the walker's pace, so a slow upload slows the walk.
export async function* walk(source: string): AsyncGenerator<WalkItem> {
  const stats = await lstat(source);
  if (stats.isDirectory()) {
    yield* walkDirectory(source, '');
  } else {
    yield { kind: 'file', entry: { path: source, relativePath: basename(source), size: stats.size } };
  }
}
