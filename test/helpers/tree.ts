// File-tree helpers for tests: hashing files and proving a source folder was left untouched.
import { createHash } from 'node:crypto';
import { readdir, readFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';

// Why: byte-for-byte comparisons are made on MD5s, the same digest Orthanc stores.
export const md5File = async (path: string): Promise<string> => createHash('md5').update(await readFile(path)).digest('hex');

// Why: "the source folder is never modified" is checked as names, sizes and hashes of every entry.
export const snapshotTree = async (root: string): Promise<Map<string, string>> => {
  const result = new Map<string, string>();
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const stats = await lstat(path);
      if (stats.isDirectory()) {
        result.set(rel, 'dir');
        await visit(path, rel);
      } else {
        result.set(rel, `${stats.size}:${await md5File(path)}`);
      }
    }
  };
  await visit(root, '');
  return result;
};

// Why: tests assert on every regular file below a folder without caring about the layout.
export const listFiles = async (root: string): Promise<string[]> => {
  const files: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
  }
  return files;
};

/** How old a timestamp must be before a fingerprint relies on it (src/unchanged.ts), with a margin. */
const TRUSTED_AGE_MS = 2100;

// Why: a run's fingerprint is trusted only once every timestamp under the source is 2 s old; tests
// that expect a later run to be answered from the journal wait for that instead of hoping for it.
export const waitUntilTimestampsSettle = async (root: string): Promise<void> => {
  let newest = 0;
  const note = async (path: string): Promise<void> => {
    const stats = await lstat(path);
    newest = Math.max(newest, stats.mtimeMs, stats.ctimeMs);
  };
  await note(root);
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory() || entry.name.startsWith('index')) await note(join(entry.parentPath, entry.name));
  }
  const wait = newest + TRUSTED_AGE_MS - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
};
