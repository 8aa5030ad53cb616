import type { Dirent } from 'node:fs';
import { opendir, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FileEntry } from './types.js';

/** A walk result: a file to classify, or something that cannot be (with the reason). */
export type WalkItem =
  | { readonly kind: 'file'; readonly entry: FileEntry }
  | { readonly kind: 'unreadable'; readonly entry: FileEntry; readonly reason: string; readonly fileClass: 'not-dicom' | 'failed' };

/**
 * A directory whose own size on disk is at most this is listed in one readdir call (about four
 * times cheaper than a streamed listing, and Orthanc's xx/yy folders hold a file or two each);
 * a larger one, which may hold millions of entries, is streamed with fs.opendir.
 */
const WHOLE_LISTING_MAX_BYTES = 1024 * 1024;

const errorCode = (error: unknown): string => (error as { code?: string }).code ?? (error as Error).message;

const HEX_PAIR = /^[0-9a-f]{2}$/i;

// Orthanc's own two levels (xx, then xx/yy) spread attachments over 65,536 folders: always small.
const isOrthancLevel = (relative: string): boolean => {
  const parts = relative.split('/');
  return parts.length <= 2 && parts.every((part) => HEX_PAIR.test(part));
};

// Yields a directory's entries, reading small directories at once and streaming large ones.
async function* listDirectory(directory: string, relative: string): AsyncGenerator<Dirent> {
  if (isOrthancLevel(relative) || (await stat(directory)).size <= WHOLE_LISTING_MAX_BYTES) {
    yield* await readdir(directory, { withFileTypes: true });
    return;
  }
  yield* await opendir(directory, { bufferSize: 256 });
}

// Walks depth-first, lazily: memory holds one listing of a small directory, or one open handle
// of a large one, per level; never the listing of the tree.
async function* walkDirectory(directory: string, relative: string): AsyncGenerator<WalkItem> {
  let entries: AsyncGenerator<Dirent>;
  try {
    entries = listDirectory(directory, relative);
    for await (const dirent of entries) {
      const path = join(directory, dirent.name);
      const relativePath = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      if (dirent.isDirectory()) {
        yield* walkDirectory(path, relativePath);
      } else if (dirent.isFile()) {
        yield { kind: 'file', entry: { path, relativePath } };
      } else {
        const what = dirent.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file (device, socket or pipe)';
        yield { kind: 'unreadable', entry: { path, relativePath }, fileClass: 'not-dicom', reason: what };
      }
    }
  } catch (error) {
    yield { kind: 'unreadable', entry: { path: directory, relativePath: relative || '.' }, fileClass: 'failed', reason: `cannot list the directory (${errorCode(error)})` };
  }
}

/** How the walk treats what it meets. */
export interface WalkOptions {
  /** Follow symbolic links (to directories too), detecting loops. @default false */
  readonly followSymlinks?: boolean;
}

// Enumerates every file under the source (or the source itself when it is a file), lazily:
// the caller's pace sets the walker's pace, so a slow upload slows the walk.
export async function* walk(source: string, _options: WalkOptions = {}): AsyncGenerator<WalkItem> {
  // The source itself was named by the user, so a link to it is followed; links inside are not.
  const stats = await stat(source);
  if (stats.isDirectory()) {
    yield* walkDirectory(source, '');
  } else {
    yield { kind: 'file', entry: { path: source, relativePath: basename(source) } };
  }
}
