// Free space of a target folder, and the guard that stops a run before a disk fills up.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../src/core/errors.js';
import { freeBytes, SpaceGuard } from '../../../src/targets/folder/disk-space.js';
import { refusal } from '../../helpers/refusal.js';

const MB = 1024 * 1024;


describe('freeBytes', () => {
  it('measures the filesystem of a folder, or of its nearest existing parent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-space-'));
    const free = await freeBytes(root);
    expect(Number.isSafeInteger(free)).toBe(true);
    expect(free).toBeGreaterThan(0);
    expect(await freeBytes(join(root, 'not', 'yet', 'created'))).toBeGreaterThan(0);
  });
});

describe('SpaceGuard', () => {
  it('lets through what fits, keeping the reserve free', async () => {
    const guard = new SpaceGuard('/data/out', { reserveBytes: 10 * MB, freeBytes: () => Promise.resolve(100 * MB) });
    await guard.ensure(90 * MB);
    await guard.ensure(0);
  });

  it('refuses what does not fit with a clear, resumable message', async () => {
    const asked: string[] = [];
    const guard = new SpaceGuard('/data/out', {
      reserveBytes: 0,
      freeBytes: (path) => {
        asked.push(path);
        return Promise.resolve(3 * MB);
      },
    });
    const error = await refusal(guard.ensure(1500 * MB));
    expect(isImporterError(error)).toBe(true);
    expect(error.message).toBe(
      'Not enough free disk space in /data/out: 1,500 MiB needed for what remains, 3 MiB free; free space and run the same command again to resume',
    );
    expect(asked).toEqual(['/data/out']);
  });

  it('counts the reserve', async () => {
    const guard = new SpaceGuard('/data/out', { reserveBytes: 64 * MB, freeBytes: () => Promise.resolve(100 * MB) });
    const error = await refusal(guard.ensure(40 * MB, 'the files being written'));
    expect(error.message).toMatch(/40 MiB needed for the files being written \(\+ 64 MiB kept free\), 100 MiB free; free space and run the same command again to resume$/);
  });

  it('works on a real filesystem', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-space-'));
    const guard = new SpaceGuard(root, { reserveBytes: 0 });
    await guard.ensure(1);
    const error = await refusal(guard.ensure(Number.MAX_SAFE_INTEGER));
    expect(error.message).toMatch(/^Not enough free disk space in /);
  });

  it('rejects a negative reserve', () => {
    expect(() => new SpaceGuard('/x', { reserveBytes: -1 })).toThrow(RangeError);
  });
});
