import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walk, type WalkItem } from '../src/walk.js';

const isRoot = process.getuid?.() === 0;

let root = '';

const collect = async (source: string): Promise<WalkItem[]> => {
  const items: WalkItem[] = [];
  for await (const item of walk(source)) items.push(item);
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
});
