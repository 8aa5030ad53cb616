import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readableName, walk, type WalkItem, type WalkOptions } from '../../../src/sources/walk/walk.js';

const isRoot = process.getuid?.() === 0;

let root = '';

const collect = async (source: string, options: WalkOptions = {}): Promise<WalkItem[]> => {
  const items: WalkItem[] = [];
  for await (const item of walk(source, options)) items.push(item);
  return items.sort((a, b) => a.entry.relativePath.localeCompare(b.entry.relativePath));
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'walk-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('walk', () => {
  it('yields every file of nested (and hidden) directories with a /-joined relative path', async () => {
    const source = join(root, 'tree');
    await mkdir(join(source, 'ab', 'cd'), { recursive: true });
    await mkdir(join(source, 'ef', 'empty'), { recursive: true });
    await writeFile(join(source, 'top.txt'), 'x');
    await writeFile(join(source, 'ab', 'cd', 'file1'), new Uint8Array(1234));
    await writeFile(join(source, 'ab', 'cd', 'file2'), new Uint8Array(0));
    await writeFile(join(source, 'ef', 'file3'), new Uint8Array(77));
    await mkdir(join(source, '.hidden-dir'));
    await writeFile(join(source, '.hidden-dir', '.dotfile'), new Uint8Array(5));

    const items = await collect(source);
    expect(items.every((item) => item.kind === 'file')).toBe(true);
    expect(items.map((item) => item.entry.relativePath).sort()).toEqual(['.hidden-dir/.dotfile', 'ab/cd/file1', 'ab/cd/file2', 'ef/file3', 'top.txt']);
    expect(items.map((item) => item.entry.path)).toContain(join(source, 'ab', 'cd', 'file1'));
  });

  it("gives a folder's own files together, before its sub-folders, whatever order the listing has", async () => {
    const source = join(root, 'files-first');
    await mkdir(source);
    // Names that interleave files and folders in any sorted or hashed listing.
    for (let i = 0; i < 20; i++) {
      await writeFile(join(source, `f${i}`), 'x');
      if (i % 4 === 0) {
        await mkdir(join(source, `d${i}`), { recursive: true });
        for (let j = 0; j < 3; j++) await writeFile(join(source, `d${i}`, `g${j}`), 'y');
      }
    }
    const order: string[] = [];
    for await (const item of walk(source)) order.push(item.entry.relativePath);
    expect(order).toHaveLength(20 + 5 * 3);
    // The top folder's 20 files first, then each sub-folder's 3 together.
    expect(order.slice(0, 20).every((path) => !path.includes('/'))).toBe(true);
    const folders = order.slice(20).map((path) => path.split('/')[0]);
    expect(folders.filter((folder, at) => at === 0 || folders[at - 1] !== folder)).toHaveLength(5);
  });

  it('reports symlinks to a file and to a directory as unreadable not-dicom, without following them', async () => {
    const source = join(root, 'links');
    const outside = join(root, 'outside');
    await mkdir(source, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'hidden.dcm'), new Uint8Array(10));
    await writeFile(join(source, 'real.dcm'), new Uint8Array(20));
    await symlink(join(outside, 'hidden.dcm'), join(source, 'file-link'));
    await symlink(outside, join(source, 'dir-link'));

    const items = await collect(source);
    expect(items.map((item) => item.entry.relativePath)).toEqual(['dir-link', 'file-link', 'real.dcm']);
    for (const name of ['dir-link', 'file-link']) {
      const item = items.find((candidate) => candidate.entry.relativePath === name);
      expect(item?.kind).toBe('unreadable');
      if (item?.kind === 'unreadable') {
        expect(item.fileClass).toBe('not-dicom');
        expect(item.reason).toMatch(/symbolic link/);
      }
    }
    expect(items.some((item) => item.entry.relativePath.includes('hidden.dcm'))).toBe(false);
  });

  it('yields a single-file source as that file, named by its base name', async () => {
    const file = join(root, 'single.dcm');
    await writeFile(file, new Uint8Array(321));
    const items = await collect(file);
    expect(items).toEqual([{ kind: 'file', entry: { path: file, relativePath: 'single.dcm' } }]);
  });

  it('yields nothing for an empty directory', async () => {
    const source = join(root, 'nothing');
    await mkdir(source);
    expect(await collect(source)).toEqual([]);
  });

  it('rejects a source that does not exist', async () => {
    await expect(collect(join(root, 'no-such-source'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.skipIf(isRoot)('reports an unreadable directory as failed and goes on', async () => {
    const source = join(root, 'locked-tree');
    await mkdir(join(source, 'locked'), { recursive: true });
    await writeFile(join(source, 'locked', 'inside'), 'x');
    await writeFile(join(source, 'ok'), 'y');
    await chmod(join(source, 'locked'), 0o000);
    try {
      const items = await collect(source);
      const locked = items.find((item) => item.entry.relativePath === 'locked');
      expect(locked?.kind).toBe('unreadable');
      if (locked?.kind === 'unreadable') {
        expect(locked.fileClass).toBe('failed');
        expect(locked.reason).toContain('EACCES');
      }
      expect(items.some((item) => item.kind === 'file' && item.entry.relativePath === 'ok')).toBe(true);
    } finally {
      await chmod(join(source, 'locked'), 0o755);
    }
  });

  describe('with followSymlinks', () => {
    const follow = { followSymlinks: true };
    const byPath = (items: WalkItem[], path: string): WalkItem | undefined => items.find((item) => item.entry.relativePath === path);

    it('follows links to files and to directories, naming what is found by the link path', async () => {
      const source = join(root, 'follow');
      const outside = join(root, 'follow-outside');
      await mkdir(join(outside, 'deep'), { recursive: true });
      await mkdir(source, { recursive: true });
      await writeFile(join(outside, 'deep', 'a.dcm'), 'a');
      await writeFile(join(outside, 'b.dcm'), 'b');
      await writeFile(join(source, 'real.dcm'), 'r');
      await symlink(join(outside, 'b.dcm'), join(source, 'file-link'));
      await symlink(outside, join(source, 'dir-link'));

      const items = await collect(source, follow);
      expect(items).toEqual([
        { kind: 'file', entry: { path: join(source, 'dir-link', 'b.dcm'), relativePath: 'dir-link/b.dcm' } },
        { kind: 'file', entry: { path: join(source, 'dir-link', 'deep', 'a.dcm'), relativePath: 'dir-link/deep/a.dcm' } },
        { kind: 'file', entry: { path: join(source, 'file-link'), relativePath: 'file-link' } },
        { kind: 'file', entry: { path: join(source, 'real.dcm'), relativePath: 'real.dcm' } },
      ]);
    });

    it('reports a link back to an ancestor once, as a loop it does not enter', async () => {
      const source = join(root, 'loop');
      await mkdir(join(source, 'a', 'b'), { recursive: true });
      await writeFile(join(source, 'a', 'b', 'x.dcm'), 'x');
      await symlink(source, join(source, 'a', 'b', 'to-root'));
      await symlink('..', join(source, 'a', 'b', 'to-parent'));
      await symlink('.', join(source, 'a', 'to-self'));

      const items = await collect(source, follow);
      expect(items.map((item) => `${item.kind} ${item.entry.relativePath}`)).toEqual([
        'unreadable a/b/to-parent',
        'unreadable a/b/to-root',
        'file a/b/x.dcm',
        'unreadable a/to-self',
      ]);
      const expectLoop = (path: string, target: RegExp): void => {
        const item = byPath(items, path);
        expect(item).toMatchObject({ kind: 'unreadable', fileClass: 'not-dicom' });
        if (item?.kind === 'unreadable') {
          expect(item.reason).toMatch(/symbolic link loop/);
          expect(item.reason).toMatch(target);
          expect(item.reason).toMatch(/not entered/);
        }
      };
      expectLoop('a/b/to-root', /the source folder/);
      expectLoop('a/b/to-parent', /its ancestor a\b/);
      expectLoop('a/to-self', /its ancestor a\b/);

      // Without the option, the same links are reported, not followed.
      const plain = await collect(source);
      expect(plain.flatMap((item) => (item.kind === 'unreadable' ? [item.reason] : []))).toEqual(
        Array.from({ length: 3 }, () => 'a symbolic link (not followed)'),
      );
    });

    it('walks a directory reached by two links twice (not a loop) and detects a loop through a link to outside', async () => {
      const source = join(root, 'diamond');
      const outside = join(root, 'diamond-outside');
      await mkdir(outside, { recursive: true });
      await mkdir(source, { recursive: true });
      await writeFile(join(outside, 'x.dcm'), 'x');
      await symlink(outside, join(outside, 'me'));
      await symlink(outside, join(source, 'one'));
      await symlink(outside, join(source, 'two'));
      const items = await collect(source, follow);
      expect(items.map((item) => `${item.kind} ${item.entry.relativePath}`)).toEqual([
        'unreadable one/me',
        'file one/x.dcm',
        'unreadable two/me',
        'file two/x.dcm',
      ]);
      const me = byPath(items, 'one/me');
      expect(me?.kind === 'unreadable' && me.reason).toMatch(/loop.*its ancestor one\b/);
    });

    it('reports a dangling link and a self-referencing link as failed with the errno', async () => {
      const source = join(root, 'dangling');
      await mkdir(source, { recursive: true });
      await symlink(join(root, 'no-such-target'), join(source, 'dangling'));
      await symlink('self', join(source, 'self'));
      const items = await collect(source, follow);
      const dangling = byPath(items, 'dangling');
      expect(dangling).toMatchObject({ kind: 'unreadable', fileClass: 'failed' });
      expect(dangling?.kind === 'unreadable' && dangling.reason).toMatch(/dangling symbolic link.*ENOENT/);
      const self = byPath(items, 'self');
      expect(self).toMatchObject({ kind: 'unreadable', fileClass: 'failed' });
      expect(self?.kind === 'unreadable' && self.reason).toMatch(/ELOOP/);
      // Without the option: not followed, not-dicom.
      const plain = await collect(source);
      expect(plain.map((item) => item.kind === 'unreadable' && item.fileClass)).toEqual(['not-dicom', 'not-dicom']);
    });

    it('keeps only the current path in memory: a deep chain of real directories is walked', async () => {
      const source = join(root, 'deep');
      let dir = source;
      for (let i = 0; i < 40; i++) dir = join(dir, `d${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'leaf'), 'x');
      await symlink(source, join(dir, 'back'));
      const items = await collect(source, follow);
      expect(items.map((item) => item.kind)).toEqual(['unreadable', 'file']);
    });
  });

  describe('file names that are not valid UTF-8', () => {
    const name = Buffer.from([0x66, 0xff, 0x2e, 0x64]); // "f\xff.d"

    it('shows invalid bytes as \\xNN and keeps valid UTF-8 as is', () => {
      expect(readableName(name)).toBe('f\\xff.d');
      expect(readableName(Buffer.from('été.dcm'))).toBe('été.dcm');
      expect(readableName(Buffer.from([0xc3, 0xa9, 0xc3, 0x41, 0xe2, 0x82]))).toBe('é\\xc3A\\xe2\\x82');
    });

    it('yields an openable raw path and a readable relative path, below such a directory too', async () => {
      const source = join(root, 'bytes');
      await mkdir(source, { recursive: true });
      const sourceBytes = Buffer.from(source);
      const slash = Buffer.from('/');
      writeFileSync(Buffer.concat([sourceBytes, slash, name]), 'file content');
      const dirName = Buffer.from([0x64, 0xfe]);
      mkdirSync(Buffer.concat([sourceBytes, slash, dirName]));
      writeFileSync(Buffer.concat([sourceBytes, slash, dirName, slash, Buffer.from('ok.dcm')]), 'inside');
      await writeFile(join(source, 'plain.dcm'), 'plain');

      const items = await collect(source);
      expect(items.map((item) => `${item.kind} ${item.entry.relativePath}`)).toEqual(['file d\\xfe/ok.dcm', 'file f\\xff.d', 'file plain.dcm']);
      const [inDir, bad, plain] = items.map((item) => item.entry);
      expect(bad?.rawPath).toEqual(Buffer.concat([sourceBytes, slash, name]));
      expect(readFileSync(bad?.rawPath ?? '', 'utf8')).toBe('file content');
      expect(readFileSync(inDir?.rawPath ?? '', 'utf8')).toBe('inside');
      expect(bad?.path).toBe(join(source, 'f\\xff.d'));
      // Names that are valid UTF-8 carry no raw path: the string opens them.
      expect(plain).toEqual({ path: join(source, 'plain.dcm'), relativePath: 'plain.dcm' });
    });
  });
});
