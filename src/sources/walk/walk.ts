import { isUtf8 } from 'node:buffer';
import type { BigIntStats, Dirent, OpenDirOptions } from 'node:fs';
import { lstat, opendir, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FileEntry } from '../../core/types.js';
import { errnoOrMessage } from '../../core/errno.js';

/** A walk result: a file to classify, or something that cannot be (with the reason). */
export type WalkItem =
  | { readonly kind: 'file'; readonly entry: FileEntry }
  | { readonly kind: 'unreadable'; readonly entry: FileEntry; readonly reason: string; readonly fileClass: 'not-dicom' | 'failed' };

/** How the walk treats what it meets. */
export interface WalkOptions {
  /** Follow symbolic links (to directories too), detecting loops. @default false */
  readonly followSymlinks?: boolean;
}

/**
 * A directory whose own size on disk is at most this is listed in one readdir call (about four
 * times cheaper than a streamed listing, and Orthanc's xx/yy folders hold a file or two each);
 * a larger one, which may hold millions of entries, is streamed with fs.opendir.
 */
export const WHOLE_LISTING_MAX_BYTES = 1024 * 1024;


const HEX_PAIR = /^[0-9a-f]{2}$/i;

// Orthanc's own two levels (xx, then xx/yy) spread attachments over 65,536 folders: always small.
const isOrthancLevel = (relative: string): boolean => {
  const parts = relative.split('/');
  return parts.length <= 2 && parts.every((part) => HEX_PAIR.test(part));
};

/**
 * Where an entry is. Names are read as bytes: Node would decode a name that is not valid UTF-8
 * with replacement characters, giving a path that opens nothing (or another file). Such an entry
 * keeps its exact bytes in `raw` (what fs calls use), and a readable `path` with the invalid
 * bytes shown as \xNN (what reports show).
 */
interface Place {
  readonly path: string;
  readonly raw: Buffer | undefined;
  readonly relative: string;
}

const fsPath = (place: Place): string | Buffer => place.raw ?? place.path;

const entryOf = (place: Place): FileEntry =>
  place.raw === undefined ? { path: place.path, relativePath: place.relative } : { path: place.path, relativePath: place.relative, rawPath: place.raw };

const utf8Length = (lead: number): number => {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
};

/** A file name's bytes as readable text: valid UTF-8 as is, every other byte as \xNN. */
export const readableName = (name: Uint8Array): string => {
  const bytes = Buffer.from(name.buffer, name.byteOffset, name.byteLength);
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let text = '';
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at] ?? 0;
    const length = utf8Length(lead);
    const sequence = bytes.subarray(at, at + length);
    if (length > 0 && sequence.length === length && isUtf8(sequence)) {
      text += sequence.toString('utf8');
      at += length;
    } else {
      text += `\\x${lead.toString(16).padStart(2, '0')}`;
      at += 1;
    }
  }
  return text;
};

const SLASH = Buffer.from('/');

const childOf = (parent: Place, given: Buffer | string): Place => {
  if (typeof given === 'string' && parent.raw === undefined) {
    return { path: join(parent.path, given), raw: undefined, relative: parent.relative === '' ? given : `${parent.relative}/${given}` };
  }
  const name = typeof given === 'string' ? Buffer.from(given) : given;
  const valid = isUtf8(name);
  const text = valid ? name.toString('utf8') : readableName(name);
  const relative = parent.relative === '' ? text : `${parent.relative}/${text}`;
  const raw = valid && parent.raw === undefined ? undefined : Buffer.concat([parent.raw ?? Buffer.from(parent.path), SLASH, name]);
  return { path: join(parent.path, text), raw, relative };
};

// opendir takes encoding 'buffer' (names as bytes), which @types/node does not declare.
const BUFFER_NAMES = { encoding: 'buffer' } as unknown as OpenDirOptions;

/** A directory entry, its name as text or, where it is not valid UTF-8, as bytes. */
type Entry = Dirent | Dirent<Buffer>;

/** A directory's entries: all of a small one at once, or a stream over a large one. */
type Listing = readonly Entry[] | AsyncIterable<Entry>;

// A name Node could not decode as UTF-8 comes back with replacement characters: such a directory
// is listed again with names as bytes.
export const undecodable = (entries: readonly Entry[]): boolean => entries.some((entry) => entry.name.includes('\uFFFD'));

// Reads small directories at once (names as text, the cheap way; as bytes only when a name did not
// decode) and opens large ones as a stream of byte names.
const openListing = async (directory: string | Buffer, relative: string, knownSize: number | undefined): Promise<Listing> => {
  if (isOrthancLevel(relative) || (knownSize ?? (await stat(directory)).size) <= WHOLE_LISTING_MAX_BYTES) {
    const entries = await readdir(directory, { withFileTypes: true });
    return undecodable(entries) ? readdir(directory, { withFileTypes: true, encoding: 'buffer' }) : entries;
  }
  return await opendir(directory, { ...BUFFER_NAMES, bufferSize: 256 });
};

/**
 * Sub-directories of a small directory whose listings are read ahead, in parallel: a storage holds
 * tens of thousands of tiny xx/yy folders, and reading them one after the other leaves the disk
 * and the thread pool idle. Bounded per level, so memory stays bounded.
 */
const READ_AHEAD = 16;

// Starts reading the listings of the next sub-directories while the walk is busy with this one.
const readAhead = (place: Place, listing: readonly Entry[]): ((dirent: Entry) => Promise<Listing> | undefined) => {
  const subdirectories = listing.filter((dirent) => dirent.isDirectory());
  const pending = new Map<Entry, Promise<Listing>>();
  let next = 0;
  return (dirent) => {
    while (pending.size < READ_AHEAD && next < subdirectories.length) {
      const upcoming = subdirectories[next++];
      if (upcoming === undefined) break;
      const child = childOf(place, upcoming.name);
      const promise = openListing(fsPath(child), child.relative, undefined);
      promise.catch(() => undefined); // observed when its turn comes; dropped if the walk stops first
      pending.set(upcoming, promise);
    }
    const promise = pending.get(dirent);
    pending.delete(dirent);
    return promise;
  };
}

/**
 * Sub-folders of one folder held back until its files are given (their names only); a streamed
 * folder with more has the next walked as they come, so memory stays bounded.
 */
const DEFERRED_DIRECTORIES_MAX = 10_000;

/** What the walk keeps while descending: only the directories of the current path. */
interface Walk {
  readonly follow: boolean;
  /** dev:ino of each directory on the current path -> its relative path ('' for the source). */
  readonly ancestors: Map<string, string>;
}

const identity = (stats: BigIntStats): string => `${stats.dev}:${stats.ino}`;

const unreadable = (place: Place, fileClass: 'not-dicom' | 'failed', reason: string): WalkItem => ({ kind: 'unreadable', entry: entryOf(place), fileClass, reason });

const loopItem = (place: Place, ancestor: string, viaLink: boolean): WalkItem =>
  unreadable(
    place,
    'not-dicom',
    `${viaLink ? 'a symbolic link loop' : 'a directory loop (a bind mount?)'}: it leads back to ${ancestor === '' ? 'the source folder' : `its ancestor ${ancestor}`}; not entered`,
  );

const brokenLink = (code: string): string => {
  if (code === 'ENOENT') return 'a dangling symbolic link: its target does not exist (ENOENT)';
  if (code === 'ELOOP') return 'a symbolic link that resolves to itself through other links (ELOOP)';
  return `a symbolic link whose target cannot be read (${code})`;
};

// Walks depth-first, lazily, a folder's files before its sub-folders: memory holds one listing of
// a small directory, or one open handle of a large one (and up to DEFERRED_DIRECTORIES_MAX names of
// its sub-folders), per level; never the listing of the tree.
async function* walkDirectory(place: Place, walk: Walk, known?: BigIntStats, prefetched?: Promise<Listing>): AsyncGenerator<WalkItem> {
  let id: string | undefined;
  try {
    let size = known?.size;
    if (walk.follow) {
      const own = known ?? (await stat(fsPath(place), { bigint: true }));
      id = identity(own);
      size = own.size;
      walk.ancestors.set(id, place.relative);
    }
    const listing = await (prefetched ?? openListing(fsPath(place), place.relative, size === undefined ? undefined : Number(size)));
    const ahead = Array.isArray(listing) && !walk.follow ? readAhead(place, listing) : undefined;
    const visit = (dirent: Entry): AsyncIterable<WalkItem> | Iterable<WalkItem> => {
      const child = childOf(place, dirent.name);
      if (dirent.isDirectory()) return walk.follow ? followDirectory(child, walk, false) : walkDirectory(child, walk, undefined, ahead?.(dirent));
      if (dirent.isFile()) return [{ kind: 'file', entry: entryOf(child) }];
      if (dirent.isSymbolicLink()) return walk.follow ? followDirectory(child, walk, true) : [unreadable(child, 'not-dicom', 'a symbolic link (not followed)')];
      return [unreadable(child, 'not-dicom', 'not a regular file (device, socket or pipe)')];
    };
    // The folder's own files first, its sub-folders after: the files of a folder (often a series or
    // a study) arrive together, not split by a sub-folder met halfway through the listing.
    const later: Entry[] = [];
    for await (const dirent of listing) {
      if (dirent.isDirectory() && later.length < DEFERRED_DIRECTORIES_MAX) later.push(dirent);
      else yield* visit(dirent);
    }
    for (const dirent of later) yield* visit(dirent);
  } catch (error) {
    yield unreadable({ ...place, relative: place.relative || '.' }, 'failed', `cannot list the directory (${errnoOrMessage(error)})`);
  } finally {
    if (id !== undefined) walk.ancestors.delete(id);
  }
}

// With --follow-symlinks: resolves a link (or a directory, for its identity), refusing to enter
// a directory that is already on the current path.
async function* followDirectory(place: Place, walk: Walk, viaLink: boolean): AsyncGenerator<WalkItem> {
  let target: BigIntStats;
  try {
    target = await stat(fsPath(place), { bigint: true });
  } catch (error) {
    const code = errnoOrMessage(error);
    yield unreadable(place, 'failed', viaLink ? brokenLink(code) : `cannot read the directory (${code})`);
    return;
  }
  if (target.isDirectory()) {
    const ancestor = walk.ancestors.get(identity(target));
    yield* ancestor === undefined ? walkDirectory(place, walk, target) : [loopItem(place, ancestor, viaLink)];
  } else if (target.isFile()) {
    yield { kind: 'file', entry: entryOf(place) };
  } else {
    yield unreadable(place, 'not-dicom', 'a symbolic link to something that is not a regular file (device, socket or pipe)');
  }
}

// Enumerates every file under the source (or the source itself when it is a file), lazily:
// the caller's pace sets the walker's pace, so a slow upload slows the walk.
export async function* walk(source: string, options: WalkOptions = {}): AsyncGenerator<WalkItem> {
  // The source itself was named by the user, so a link to it is followed; links inside are
  // followed only with followSymlinks.
  const stats = await stat(source, { bigint: true });
  const root: Place = { path: source, raw: undefined, relative: '' };
  const name = basename(source);
  if (stats.isDirectory()) {
    yield* walkDirectory(root, { follow: options.followSymlinks ?? false, ancestors: new Map() }, stats);
  } else if (stats.isFile()) {
    yield { kind: 'file', entry: { path: source, relativePath: name } };
  } else {
    yield unreadable({ path: source, raw: undefined, relative: name }, 'not-dicom', 'not a regular file (device, socket or pipe)');
  }
}

// Walks one entry found inside a tree exactly as the walk of the whole tree would meet it (a link
// is not followed): for readers that list the familiar part of a tree themselves and leave the
// rest to this module.
export async function* walkWithin(root: string, relative: string): AsyncGenerator<WalkItem> {
  const place: Place = { path: join(root, relative), raw: undefined, relative };
  let stats;
  try {
    stats = await lstat(place.path);
  } catch (error) {
    yield unreadable(place, 'failed', `cannot read it (${errnoOrMessage(error)})`);
    return;
  }
  if (stats.isDirectory()) yield* walkDirectory(place, { follow: false, ancestors: new Map() });
  else if (stats.isFile()) yield { kind: 'file', entry: entryOf(place) };
  else if (stats.isSymbolicLink()) yield unreadable(place, 'not-dicom', 'a symbolic link (not followed)');
  else yield unreadable(place, 'not-dicom', 'not a regular file (device, socket or pipe)');
}
