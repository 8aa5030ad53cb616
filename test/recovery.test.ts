// Recovery without any server: a compressed storage written by a real Orthanc becomes a folder of
// plain DICOM files, byte for byte the originals, readable by a DICOM toolkit (dcmtk's dcmftest).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, runImport, type ImportInput } from '../src/index.js';
import { startOrthanc, uploadToOrthanc } from './helpers/orthanc.js';
import { runCli } from './helpers/run-cli.js';
import { makeOriginals, type Originals } from './helpers/source-data.js';
import { listFiles, md5File, snapshotTree } from './helpers/tree.js';

const run = promisify(execFile);
let originals: Originals;
let storage: string;
/** Orthanc instance ID -> MD5 of the original file. */
const expected = new Map<string, string>();

beforeAll(async () => {
  originals = await makeOriginals();
  const source = await startOrthanc({ compression: true });
  try {
    for (const file of originals.files) expected.set((await uploadToOrthanc(source, file)).ID, await md5File(file));
  } finally {
    await source.stop();
  }
  storage = source.storageDir;
});

const recover = async (extra: Partial<ImportInput> & { target: string }) => {
  const before = await snapshotTree(storage);
  const summary = await runImport(resolveOptions({ source: storage, journalPath: `${extra.target}.journal.sqlite`, ...extra }));
  expect(await snapshotTree(storage)).toEqual(before);
  return summary;
};

const md5sOf = async (dir: string): Promise<string[]> => (await Promise.all((await listFiles(dir)).map((file) => md5File(file)))).sort();

describe('recovery to a folder', () => {
  it('writes every instance decoded, byte-identical to the original upload, and dcmtk reads each one', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'oi-recovered-')), 'out');
    const summary = await recover({ target });
    expect(summary.exitCode).toBe(0);
    expect(summary.recovery).toBe(true);
    expect(summary.statuses.Success).toBe(originals.files.length);
    expect(summary.classes['pixel-data-cache'].files).toBeGreaterThan(0);
    expect(await md5sOf(target)).toEqual([...expected.values()].sort());
    for (const file of await listFiles(target)) {
      expect(file).toMatch(/\.dcm$/);
      const { stdout } = await run('dcmftest', [file]);
      expect(stdout).toMatch(/^yes:/);
    }
    // hierarchy: <PatientID>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm
    const depths = (await listFiles(target)).map((file) => file.slice(target.length + 1).split('/').length);
    expect(new Set(depths)).toEqual(new Set([4]));
  });

  it('names files by Orthanc ID with --layout orthanc, and by SOP Instance UID with --layout flat', async () => {
    const byId = join(await mkdtemp(join(tmpdir(), 'oi-recovered-')), 'ids');
    await recover({ target: byId, layout: 'orthanc' });
    expect((await listFiles(byId)).map((file) => basename(file, '.dcm')).sort()).toEqual([...expected.keys()].sort());
    const flat = join(await mkdtemp(join(tmpdir(), 'oi-recovered-')), 'flat');
    await recover({ target: flat, layout: 'flat' });
    expect((await listFiles(flat)).every((file) => /\/2\.25\.\d+\.dcm$/.test(file))).toBe(true);
  });

  it('skips identical files, never overwrites a different one silently, and replaces it with --overwrite', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'oi-recovered-')), 'out');
    await recover({ target });
    const again = await recover({ target, restart: true });
    expect(again.statuses.AlreadyStored).toBe(originals.files.length);
    const victim = (await listFiles(target))[0] ?? '';
    await writeFile(victim, 'not what was written');
    const conflict = await recover({ target, restart: true });
    expect(conflict.classes.conflict.files).toBe(1);
    expect(conflict.exitCode).toBe(1);
    expect(await readFile(victim, 'utf8')).toBe('not what was written');
    const replaced = await recover({ target, restart: true, overwrite: true });
    expect(replaced.exitCode).toBe(0);
    expect(await md5sOf(target)).toEqual([...expected.values()].sort());
    expect((await listFiles(target)).some((file) => basename(file).includes('.partial-'))).toBe(false);
  });

  it('resumes from the journal without reading what was already written', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'oi-recovered-')), 'out');
    await recover({ target });
    const resumed = await recover({ target });
    // Every instance replayed (and, when the storage is old enough to be trusted unchanged, every other file too).
    expect(resumed.resumed).toBeGreaterThanOrEqual(resumed.classes.dicom.files);
    expect(resumed.statuses.Success).toBe(0);
    expect(resumed.exitCode).toBe(0);
  });

  describe.skipIf(process.getuid?.() !== 0)('a full disk (a small tmpfs, mounted as root)', () => {
    let mount: string;
    beforeAll(async () => {
      mount = await mkdtemp(join(tmpdir(), 'oi-tmpfs-'));
      await run('mount', ['-t', 'tmpfs', '-o', 'size=72m', 'tmpfs', mount]);
    });
    afterAll(async () => {
      await run('umount', [mount]);
      await rm(mount, { recursive: true, force: true });
    });

    it('stops before writing anything when what remains cannot fit (exit 3, nothing half-written)', async () => {
      const target = join(mount, 'out');
      const { code, stderr } = await runCli([storage, target, '--journal', join(mount, 'j.sqlite')]);
      expect(code).toBe(3);
      expect(stderr).toMatch(/Not enough free disk space in .*: .* needed for the instances that remain to be written.*run the same command again to resume/);
      await mkdir(target, { recursive: true });
      expect(await listFiles(target)).toEqual([]);
    });
  });
});
