import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLockedByAnotherProcess, parseProcLocks } from '../../src/core/file-locks.js';
import { fixtureDicoms, withOrthanc } from '../helpers/storages.js';
import { uploadToOrthanc } from '../helpers/orthanc.js';

describe('parseProcLocks', () => {
  it('reads pid, device and inode, including blocked waiters and OFD locks', () => {
    const text = [
      '1: POSIX  ADVISORY  WRITE 19123 fe:00:2965826 1073741826 1073742335',
      '1: -> POSIX  ADVISORY  WRITE 200 fe:00:2965826 1073741826 1073742335',
      '2: OFDLCK ADVISORY  READ  -1 08:11:42 128 128',
      '3: FLOCK  ADVISORY  WRITE 77 00:1a:18446744073709551615 0 EOF',
      'garbage',
    ].join('\n');
    expect(parseProcLocks(text)).toEqual([
      { pid: 19123, major: 0xfe, minor: 0, inode: 2965826n },
      { pid: 200, major: 0xfe, minor: 0, inode: 2965826n },
      { pid: -1, major: 8, minor: 0x11, inode: 42n },
      { pid: 77, major: 0, minor: 0x1a, inode: 18446744073709551615n },
    ]);
  });
});

describe('isLockedByAnotherProcess', () => {
  it('is false where /proc/locks does not exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oi-locks-'));
    await writeFile(join(dir, 'index'), 'x');
    expect(await isLockedByAnotherProcess(join(dir, 'index'), join(dir, 'no-such-locks-file'))).toBe(false);
  });

  it('matches the locked file by device and inode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oi-locks-'));
    const file = join(dir, 'index');
    await writeFile(file, 'x');
    const st = await stat(file, { bigint: true });
    const major = Number((st.dev >> 8n) & 0xfffn);
    const minor = Number((st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn));
    const line = (ino: bigint, pid: number): string =>
      `1: POSIX  ADVISORY  WRITE ${pid} ${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino} 0 EOF\n`;
    const locks = join(dir, 'locks');
    await writeFile(locks, line(st.ino + 1n, 1));
    expect(await isLockedByAnotherProcess(file, locks)).toBe(false);
    await writeFile(locks, line(st.ino, process.pid));
    expect(await isLockedByAnotherProcess(file, locks)).toBe(false);
    await writeFile(locks, line(st.ino, 1));
    expect(await isLockedByAnotherProcess(file, locks)).toBe(true);
  });

  it('is true while a real Orthanc runs on the storage and false once it stopped', async () => {
    const storageDir = await mkdtemp(join(tmpdir(), 'oi-locked-storage-'));
    const [first] = await fixtureDicoms();
    if (first === undefined) throw new Error('no fixture DICOM');
    await withOrthanc({ storageDir }, async (orthanc) => {
      await uploadToOrthanc(orthanc, first);
      expect(await isLockedByAnotherProcess(join(storageDir, 'index'))).toBe(true);
      await orthanc.stop();
      expect(await isLockedByAnotherProcess(join(storageDir, 'index'))).toBe(false);
    });
  });
});
