import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { storageWalk } from '../../../src/sources/orthanc-storage/storage-walk.js';
import { walk, type WalkItem } from '../../../src/sources/walk/walk.js';

const describeItem = (item: WalkItem): string => `${item.entry.relativePath} ${item.kind}${item.kind === 'unreadable' ? ` ${item.fileClass}: ${item.reason}` : ''}`;

const collect = async (batches: AsyncIterable<WalkItem[]>): Promise<{ items: WalkItem[]; sizes: number[] }> => {
  const items: WalkItem[] = [];
  const sizes: number[] = [];
  for await (const batch of batches) {
    sizes.push(batch.length);
    items.push(...batch);
  }
  return { items, sizes };
};

const uuidOf = (n: number): string => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;

describe('storageWalk', () => {
  it("reads Orthanc's layout in UUID order, in batches", async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-storage-walk-'));
    const uuids = Array.from({ length: 1200 }, (_, i) => uuidOf((i * 2654435761) % 0xffffffff));
    for (const uuid of uuids) {
      await mkdir(join(root, uuid.slice(0, 2), uuid.slice(2, 4)), { recursive: true });
      await writeFile(join(root, uuid.slice(0, 2), uuid.slice(2, 4), uuid), '');
    }
    await writeFile(join(root, 'index'), '');
    const { items, sizes } = await collect(storageWalk(root));
    const names = items.map((item) => item.entry.relativePath.split('/').pop() ?? '');
    expect(names.filter((name) => name !== 'index')).toEqual([...uuids].sort());
    expect(items.every((item) => item.kind === 'file')).toBe(true);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThan(1200);
  });

  it('meets everything outside the layout exactly as the general walk does', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-storage-odd-'));
    const uuid = uuidOf(0xabcdef12);
    const leaf = join(root, uuid.slice(0, 2), uuid.slice(2, 4));
    await mkdir(join(leaf, 'junk', 'deeper'), { recursive: true });
    await writeFile(join(leaf, uuid), 'attachment');
    await writeFile(join(leaf, 'junk', 'deeper', 'note.txt'), 'x');
    await writeFile(join(root, uuid.slice(0, 2), 'file-at-level-one'), 'x');
    await mkdir(join(root, uuid.slice(0, 2), 'not-hex'));
    await writeFile(join(root, uuid.slice(0, 2), 'not-hex', 'inside'), 'x');
    await mkdir(join(root, 'AB', 'CD'), { recursive: true }); // upper case: not Orthanc's
    await writeFile(join(root, 'AB', 'CD', 'upper'), 'x');
    await mkdir(join(root, 'lost+found'));
    await writeFile(join(root, 'lost+found', 'recovered'), 'x');
    await symlink('/etc', join(root, 'link-to-etc'));
    await symlink(join(leaf, uuid), join(leaf, 'link-to-attachment'));
    execFileSync('mkfifo', [join(root, 'a-fifo')]);
    await writeFile(Buffer.concat([Buffer.from(`${leaf}/latin1-`), Buffer.from([0xe9]), Buffer.from('.dcm')]), 'x'); // not UTF-8
    await writeFile(join(root, 'index'), '');
    const fast = (await collect(storageWalk(root))).items.map(describeItem).sort();
    const general: string[] = [];
    for await (const item of walk(root)) general.push(describeItem(item));
    expect(fast).toEqual(general.sort());
    expect(fast).toContain('link-to-etc unreadable not-dicom: a symbolic link (not followed)');
    expect(fast).toContain(`${uuid.slice(0, 2)}/${uuid.slice(2, 4)}/junk/deeper/note.txt file`);
    expect(fast).toContain(`${uuid.slice(0, 2)}/${uuid.slice(2, 4)}/latin1-\\xe9.dcm file`);
  });

  it('falls back to the general walk for a root that is not a folder of the layout', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-storage-flat-'));
    await writeFile(join(root, 'a.dcm'), 'x');
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'b.dcm'), 'x');
    const { items } = await collect(storageWalk(root));
    expect(items.map(describeItem).sort()).toEqual(['a.dcm file', 'sub/b.dcm file']);
  });
});
