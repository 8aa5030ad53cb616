// Orthanc's storage layout (root/xx/yy/uuid, 65,536 small folders) read with as few calls and as
// little per-file work as can be: a storage of millions of files is walked on every run that
// reads it. Whatever does not fit the layout is left to the general walk (walk.ts).
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { undecodable, walk, walkWithin, WHOLE_LISTING_MAX_BYTES, type WalkItem } from '../walk/walk.js';

/** Orthanc names its two folder levels with lower-case hex pairs. */
const HEX_PAIR = /^[0-9a-f]{2}$/;
/** Files handed on at once: per-file work stays plain function calls, not async steps. */
const BATCH = 512;

// By name, as SQLite orders the UUIDs (bytes; the layout's names are ASCII).
const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A folder's entries, sorted by name; undefined when it cannot be listed or a name does not decode. */
const listSorted = (path: string): Dirent[] | undefined => {
  try {
    const entries = readdirSync(path, { withFileTypes: true });
    return undecodable(entries) ? undefined : entries.sort(byName);
  } catch {
    return undefined;
  }
};

const fileItem = (root: string, relative: string): WalkItem => ({ kind: 'file', entry: { path: `${root}/${relative}`, relativePath: relative } });

// One xx folder, one yy folder at a time (synchronous: a few small listings): the files of the
// layout in name order, and the relative paths of everything else for the general walk.
function* levelOne(root: string, xx: string, odd: string[]): Generator<WalkItem[]> {
  const subfolders = listSorted(`${root}/${xx}`);
  if (subfolders === undefined) {
    odd.push(xx);
    return;
  }
  for (const sub of subfolders) {
    const yy = `${xx}/${sub.name}`;
    const names = sub.isDirectory() && HEX_PAIR.test(sub.name) ? listSorted(`${root}/${yy}`) : undefined;
    if (names === undefined) {
      odd.push(yy);
      continue;
    }
    const files: WalkItem[] = [];
    for (const name of names) {
      if (name.isFile()) files.push(fileItem(root, `${yy}/${name.name}`));
      else odd.push(`${yy}/${name.name}`);
    }
    if (files.length > 0) yield files;
  }
}

// Why: the general walk costs about ten microseconds of async steps per file, the larger part of
// a second run over a storage; this reads the layout in UUID order (so the index can be read
// alongside) and hands files on in batches.
export async function* storageWalk(root: string): AsyncGenerator<WalkItem[]> {
  let top: Dirent[] | undefined;
  try {
    // A root too large to list at once is not Orthanc's layout (which holds ~260 entries).
    top = statSync(root).size <= WHOLE_LISTING_MAX_BYTES ? listSorted(root) : undefined;
  } catch {
    top = undefined;
  }
  let batch: WalkItem[] = [];
  const take = (): WalkItem[] => {
    const full = batch;
    batch = [];
    return full;
  };
  if (top === undefined) {
    // Not Orthanc's layout at its root: the general walk, batched all the same.
    for await (const item of walk(root)) if (batch.push(item) >= BATCH) yield take();
  } else {
    for (const entry of top) {
      const odd: string[] = [];
      if (entry.isDirectory() && HEX_PAIR.test(entry.name)) {
        for (const files of levelOne(root, entry.name, odd)) if (batch.push(...files) >= BATCH) yield take();
      } else if (entry.isFile()) {
        batch.push(fileItem(root, entry.name));
      } else {
        odd.push(entry.name);
      }
      for (const relative of odd) for await (const item of walkWithin(root, relative)) if (batch.push(item) >= BATCH) yield take();
    }
  }
  if (batch.length > 0) yield batch;
}
