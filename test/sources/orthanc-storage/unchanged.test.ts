import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fingerprintSource, outcomeOptionsKey, stampIndex } from '../../../src/sources/orthanc-storage/unchanged.js';
import { resolveOptions } from '../../../src/core/options.js';
import { waitUntilTimestampsSettle } from '../../helpers/tree.js';

let root = '';

// A small storage in Orthanc's layout: an index file and two xx/yy folders with one file each.
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'oi-unchanged-'));
  await writeFile(join(root, 'index'), 'not really SQLite');
  for (const uuid of ['0a1b2c3d-0000-0000-0000-000000000001', 'ff001122-0000-0000-0000-000000000002']) {
    await mkdir(join(root, uuid.slice(0, 2), uuid.slice(2, 4)), { recursive: true });
    await writeFile(join(root, uuid.slice(0, 2), uuid.slice(2, 4), uuid), uuid);
  }
});

const fingerprint = async (optionsKey = 'options') => fingerprintSource(root, stampIndex(root, join(root, 'index'), optionsKey));

describe('fingerprintSource', () => {
  it('is the same while nothing changes', async () => {
    expect((await fingerprint()).digest).toBe((await fingerprint()).digest);
  });

  it.each([
    ['a file added to an xx/yy folder', () => writeFile(join(root, '0a', '1b', 'dropped.dcm'), 'x')],
    ['a file removed', () => rm(join(root, 'ff', '00', 'ff001122-0000-0000-0000-000000000002'))],
    ['a file renamed', () => rename(join(root, '0a', '1b', '0a1b2c3d-0000-0000-0000-000000000001'), join(root, '0a', '1b', 'renamed'))],
    ['a new xx/yy folder', () => mkdir(join(root, '0a', '77'))],
    ['the index rewritten (same size)', () => writeFile(join(root, 'index'), 'rewritten content')],
    ['an index-wal appearing', () => writeFile(join(root, 'index-wal'), '')],
    ['a folder whose time was set back', () => utimes(join(root, 'ff', '00'), new Date(0), new Date(0))],
  ])('changes with %s', async (_change, change) => {
    const before = (await fingerprint()).digest;
    await change();
    expect((await fingerprint()).digest).not.toBe(before);
  });

  it('sees a change deep inside a folder that is not in the layout (below an xx/yy folder)', async () => {
    await mkdir(join(root, '0a', '1b', 'junk', 'deeper'), { recursive: true });
    const before = (await fingerprint()).digest;
    await writeFile(join(root, '0a', '1b', 'junk', 'deeper', 'file'), 'x');
    expect((await fingerprint()).digest).not.toBe(before);
  });

  it('changes with the options that shape the outcomes, and the tool version is part of them', async () => {
    expect((await fingerprint('a')).digest).not.toBe((await fingerprint('b')).digest);
    const key = (input: Parameters<typeof resolveOptions>[0]): string => outcomeOptionsKey(resolveOptions(input));
    expect(key({ source: root, target: 'http://h:8042' })).not.toBe(key({ source: root, target: 'http://h:8042', verify: false }));
    expect(key({ source: root, target: 'http://h:8042' })).not.toBe(key({ source: root, target: 'http://h:8042', includeOrphans: true }));
    expect(key({ source: root, target: 'http://h:8042' })).toBe(key({ source: root, target: 'http://h:8042', concurrency: 9 }));
    expect(key({ source: root, target: 'http://h:8042' })).toMatch(/"version":"\d+\.\d+\.\d+"/);
  });

  it('is not to be trusted while a timestamp is under 2 s old, and is after', async () => {
    expect((await fingerprint()).trustworthy).toBe(false);
    expect(stampIndex(root, join(root, 'index'), 'x').recent).toBe(true);
    await waitUntilTimestampsSettle(root);
    expect((await fingerprint()).trustworthy).toBe(true);
    await writeFile(join(root, 'ff', '00', 'new'), 'x');
    expect((await fingerprint()).trustworthy).toBe(false);
  });
});
