// Recovery without any server: a compressed storage written by a real Orthanc becomes a folder of
// plain DICOM files, byte for byte the originals, readable by a DICOM toolkit (dcmtk's dcmftest).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, runImport, type ImportInput } from '../../src/index.js';
import { startOrthanc, uploadToOrthanc } from '../helpers/orthanc.js';
import { runCli } from '../helpers/run-cli.js';
import { makeOriginals, type Originals } from '../helpers/source-data.js';
import { listFiles, md5File, snapshotTree, waitUntilTimestampsSettle } from '../helpers/tree.js';
import { buildPart10, type DicomSpec } from '../helpers/dicom-bytes.js';
import { parseDicomHeader } from '../../src/decode/dicom-header.js';
import { orthancInstanceId } from '../../src/decode/orthanc-id.js';
import { Journal } from '../../src/record/journal.js';
import { HELP } from '../../src/cli/args.js';

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
    expect(summary.statuses.stored).toBe(originals.files.length);
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

  it('checks a recovery folder like any target: each instance found by its MD5, then one removed and one altered named', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'oi-checked-')), 'out');
    expect((await recover({ target, layout: 'flat' })).exitCode).toBe(0);
    const proven = await runImport(resolveOptions({ source: storage, target, layout: 'flat', check: true }));
    expect(proven.exitCode).toBe(0);
    expect(proven.verifiedBy.md5).toBe(expected.size);
    const [first, second, third] = (await listFiles(target)).sort();
    if (first === undefined || second === undefined || third === undefined) throw new Error('expected at least three recovered files');
    await rm(first);
    await writeFile(third, 'not DICOM any more');
    const altered = await readFile(second);
    altered[altered.length - 1] = (altered.at(-1) ?? 0) ^ 0xff;
    await writeFile(second, altered);
    const found = await runImport(resolveOptions({ source: storage, target, layout: 'flat', check: true, reportPath: `${target}.report.json` }));
    expect(found.exitCode).toBe(1);
    expect(found.classes.absent.files).toBe(1);
    expect(found.classes.conflict.files).toBe(2);
    const report = JSON.parse(await readFile(`${target}.report.json`, 'utf8')) as { notUploaded: { class: string; reason: string }[] };
    const conflicts = report.notUploaded.filter((entry) => entry.class === 'conflict').map((entry) => entry.reason);
    expect(conflicts).toContainEqual(expect.stringContaining(`another version of this instance at ${basename(second)} (MD5 `));
    expect(conflicts).toContain(`the folder holds a file at ${basename(third)} that is not a readable DICOM instance`);
    // A check writes nothing: the removed file is still missing.
    expect(await listFiles(target)).toHaveLength(expected.size - 1);
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
    expect(again.statuses.alreadyThere).toBe(originals.files.length);
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
    expect(resumed.statuses.stored).toBe(0);
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

// One instance, one path: instances that one natural name would merge, from a raw folder (walk
// mode) and from a storage written by a real Orthanc (index mode), in every layout.
describe('recovery: one instance, one path', () => {
  const SOP = '1.2.826.0.1.3680043.2.1125.9.1';
  // Name -> the file's spec: two patients with one SOP Instance UID; a PatientID with a leading
  // space, which Orthanc keeps (another patient, another instance); an ordinary instance.
  const specs: Record<string, DicomSpec> = {
    'pat-a.dcm': { patientId: 'PAT-A', sopInstanceUid: SOP, pixelBytes: 4096 },
    'pat-b.dcm': { patientId: 'PAT-B', sopInstanceUid: SOP, pixelBytes: 4096 },
    'lead-plain.dcm': { patientId: 'PAT-L', sopInstanceUid: `${SOP}.2`, pixelBytes: 2048 },
    'lead-space.dcm': { patientId: ' PAT-L', sopInstanceUid: `${SOP}.2`, pixelBytes: 2048 },
    'other.dcm': { patientId: 'PAT-A', sopInstanceUid: `${SOP}.3`, pixelBytes: 1024 },
  };
  let raw: string;
  let indexed: string;
  /** Orthanc's ID for each source file, as Orthanc itself answered its upload. */
  const ids = new Map<string, string>();
  const sourceMd5s: string[] = [];

  beforeAll(async () => {
    raw = await mkdtemp(join(tmpdir(), 'oi-same-sop-'));
    for (const [name, spec] of Object.entries(specs)) {
      await writeFile(join(raw, name), buildPart10(spec).bytes);
      sourceMd5s.push(await md5File(join(raw, name)));
    }
    sourceMd5s.sort();
    const orthanc = await startOrthanc({ compression: true });
    try {
      for (const name of Object.keys(specs)) {
        const answer = await uploadToOrthanc(orthanc, join(raw, name));
        expect(answer.Status).toBe('Success');
        ids.set(name, answer.ID);
      }
    } finally {
      await orthanc.stop();
    }
    indexed = orthanc.storageDir;
    await waitUntilTimestampsSettle(indexed);
  });

  const recoverInto = async (source: string, target: string, extra: Partial<ImportInput> = {}) =>
    runImport(resolveOptions({ source, target, journalPath: `${target}.journal.sqlite`, ...extra }));
  const mtimes = async (dir: string): Promise<Map<string, number>> =>
    new Map(await Promise.all((await listFiles(dir)).map(async (file) => [file, (await stat(file)).mtimeMs] as const)));

  it('another layout into the same folder is another job: its files are written, never answered by the first layout\'s journal', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'oi-layouts-')), 'out');
    const first = await runImport(resolveOptions({ source: indexed, target }));
    expect(first.statuses.stored).toBe(Object.keys(specs).length);
    const flat = await runImport(resolveOptions({ source: indexed, target, layout: 'flat' }));
    expect(flat.resumed).toBe(0);
    expect(flat.statuses.stored).toBe(Object.keys(specs).length);
    // a journal named by hand says it belongs to the other layout
    const journalPath = `${target}.journal.sqlite`;
    await runImport(resolveOptions({ source: indexed, target, journalPath }));
    const refused = await runImport(resolveOptions({ source: indexed, target, journalPath, layout: 'flat' })).catch((error: unknown) => error);
    expect(String(refused)).toMatch(/belongs to another run .*layout hierarchy/);
  });

  it('--help says where a second instance of one name goes, and what --overwrite replaces', () => {
    expect(HELP).toMatch(/<name>~<first 8 hex of the Orthanc ID>\.dcm beside it/);
    expect(HELP).toMatch(/another instance's file is never replaced/);
  });

  it('Orthanc gives every source file an instance of its own, and the parser agrees with it', () => {
    expect(new Set(ids.values()).size).toBe(Object.keys(specs).length);
    for (const [name, spec] of Object.entries(specs)) {
      const bytes = buildPart10(spec).bytes;
      const parsed = parseDicomHeader(bytes, bytes.length);
      expect(parsed.ok && orthancInstanceId(parsed.facts.header)).toBe(ids.get(name));
    }
  });

  for (const layout of ['flat', 'hierarchy', 'orthanc'] as const) {
    for (const mode of ['walk', 'index'] as const) {
      it(`${layout} layout, ${mode} mode: one file per instance, each the source byte for byte, and a re-run rewrites and claims nothing`, async () => {
        const source = mode === 'walk' ? raw : indexed;
        const target = join(await mkdtemp(join(tmpdir(), 'oi-same-sop-out-')), 'out');
        const first = await recoverInto(source, target, { layout });
        expect(first.exitCode).toBe(0);
        expect(first.classes.conflict.files).toBe(0);
        expect(first.statuses.stored).toBe(Object.keys(specs).length);
        expect(await md5sOf(target)).toEqual(sourceMd5s);
        for (const file of await listFiles(target)) expect((await run('dcmftest', [file])).stdout).toMatch(/^yes:/);
        if (layout === 'flat') {
          const names = (await listFiles(target)).map((file) => basename(file)).sort();
          const tagged = names.filter((name) => name.startsWith(`${SOP}~`));
          expect(names).toContain(`${SOP}.dcm`);
          expect(tagged).toHaveLength(1);
          // The tag is the first 8 hex digits of the Orthanc ID of the instance written second.
          expect([ids.get('pat-a.dcm'), ids.get('pat-b.dcm')].map((id) => `${SOP}~${id?.slice(0, 8) ?? ''}.dcm`)).toContain(tagged[0]);
        }
        if (layout === 'orthanc') {
          expect((await listFiles(target)).map((file) => basename(file, '.dcm')).sort()).toEqual([...ids.values()].sort());
        }
        const before = await mtimes(target);
        const again = await recoverInto(source, target, { layout });
        expect(again.exitCode).toBe(0);
        expect(again.statuses.stored).toBe(0);
        expect(again.classes.conflict.files).toBe(0);
        expect(await mtimes(target)).toEqual(before);
        // From scratch (journal emptied): every file found where it is, none written again.
        const restarted = await recoverInto(source, target, { layout, restart: true });
        expect(restarted.statuses.alreadyThere).toBe(Object.keys(specs).length);
        expect(await mtimes(target)).toEqual(before);
      });
    }
  }

  it('--overwrite replaces another version of the same instance, never the file of another instance', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'oi-same-sop-out-')), 'out');
    await mkdir(target, { recursive: true });
    // At the flat name of the two instances: the file of a third one (PAT-C, the same SOP Instance UID).
    const third = buildPart10({ patientId: 'PAT-C', sopInstanceUid: SOP, pixelBytes: 4096 }).bytes;
    await writeFile(join(target, `${SOP}.dcm`), third);
    // At the name of an ordinary instance: another version of it (other pixels).
    const otherVersion = buildPart10({ ...specs['other.dcm'], pixelBytes: 512 }).bytes;
    await writeFile(join(target, `${SOP}.3.dcm`), otherVersion);
    const refused = await recoverInto(raw, target, { layout: 'flat' });
    expect(refused.classes.conflict.files).toBe(1);
    expect(refused.exitCode).toBe(1);
    const summary = await recoverInto(raw, target, { layout: 'flat', overwrite: true });
    expect(summary.exitCode).toBe(0);
    expect(Buffer.from(await readFile(join(target, `${SOP}.dcm`))).equals(Buffer.from(third))).toBe(true);
    expect(await md5File(join(target, `${SOP}.3.dcm`))).toBe(await md5File(join(raw, 'other.dcm')));
    for (const name of ['pat-a.dcm', 'pat-b.dcm']) {
      expect(await md5File(join(target, `${SOP}~${ids.get(name)?.slice(0, 8) ?? ''}.dcm`))).toBe(await md5File(join(raw, name)));
    }
    expect(await listFiles(target)).toHaveLength(Object.keys(specs).length + 1);
  });

  it('a folder deleted after a complete run is written again, in full (not answered from the journal)', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'oi-same-sop-out-')), 'out');
    expect((await recoverInto(indexed, target)).exitCode).toBe(0);
    const replayed = await recoverInto(indexed, target);
    expect(replayed.unchangedSince).toBeDefined(); // the shortcut is taken while the folder is whole
    // what this run saw of each recovered file is its size in the folder, and it says so
    expect(replayed.verifiedBy).toEqual({ md5: 0, listing: 0, size: replayed.verified, presence: 0 });
    expect(replayed.verified).toBe(replayed.instances);
    await rm(target, { recursive: true });
    const said: string[] = [];
    const again = await runImport(resolveOptions({ source: indexed, target, journalPath: `${target}.journal.sqlite` }), { onInfo: (text) => said.push(text) });
    expect(said.join('\n')).toMatch(/the target no longer holds everything it delivered as it was \([^)]+\.dcm\): reading the source again/);
    expect(again.unchangedSince).toBeUndefined();
    expect(again.exitCode).toBe(0);
    expect(again.statuses.stored).toBe(Object.keys(specs).length);
    expect(await md5sOf(target)).toEqual(sourceMd5s);
    // Whole again: answered from the journal once more.
    expect((await recoverInto(indexed, target)).unchangedSince).toBeDefined();
  });

  it('a folder deleted after the two instances of one flat name were written in one order, written again in the other: both are on disk, each where the journal says', async () => {
    // The walk meets files in the directory's order: the first name gets PAT-B, the last PAT-A,
    // the others ordinary instances, enough for PAT-B's file to be written again before PAT-A's
    // record is looked at.
    const source = await mkdtemp(join(tmpdir(), 'oi-order-'));
    const names = Array.from({ length: 24 }, (_, n) => `f${n}.dcm`);
    for (const name of names) await writeFile(join(source, name), '');
    const order = (await readdir(source)).filter((name) => names.includes(name));
    const [first, last] = [order[0] ?? '', order.at(-1) ?? ''];
    for (const [n, name] of order.entries()) {
      const spec = name === first ? specs['pat-b.dcm'] : name === last ? specs['pat-a.dcm'] : { patientId: 'PAT-F', sopInstanceUid: `${SOP}.9.${n}` };
      await writeFile(join(source, name), buildPart10({ ...spec, pixelBytes: 4096 }).bytes);
    }
    await waitUntilTimestampsSettle(source); // walk-mode journal keys hold the mtime
    const target = join(await mkdtemp(join(tmpdir(), 'oi-order-out-')), 'out');
    const slow = { layout: 'flat' as const, workers: 1, concurrency: 1 };
    // PAT-A alone first (it takes the plain name), then everything (PAT-B goes beside it).
    expect((await recoverInto(source, target, { ...slow, patientIds: ['PAT-A'] })).exitCode).toBe(0);
    expect((await recoverInto(source, target, slow)).exitCode).toBe(0);
    expect(await readFile(join(target, `${SOP}.dcm`))).toEqual(await readFile(join(source, last)));
    await rm(target, { recursive: true });
    // Now PAT-B comes first and finds the plain name free; PAT-A's record names that path.
    const again = await recoverInto(source, target, slow);
    expect(again.exitCode).toBe(0);
    const sourceSums = await Promise.all(order.map((name) => md5File(join(source, name))));
    expect(await md5sOf(target)).toEqual(sourceSums.sort());
    const journal = Journal.open(`${target}.journal.sqlite`, { source, target: `folder:${target} (layout flat)` }, { restart: false });
    try {
      const outputs = [...journal.outcomes()].map((outcome) => outcome.output);
      expect(new Set(outputs).size).toBe(order.length);
      for (const outcome of [...journal.outcomes()]) {
        expect(await md5File(join(target, outcome.output ?? ''))).toBe(outcome.md5);
      }
    } finally {
      journal.close();
    }
  });

  for (const mode of ['walk', 'index'] as const) {
    it(`${mode} mode: one recovered file deleted is written again, and only it`, async () => {
      const source = mode === 'walk' ? raw : indexed;
      const target = join(await mkdtemp(join(tmpdir(), 'oi-same-sop-out-')), 'out');
      expect((await recoverInto(source, target, { layout: 'flat' })).exitCode).toBe(0);
      const victim = join(target, `${SOP}.dcm`);
      const md5 = await md5File(victim);
      await rm(victim);
      const before = await mtimes(target);
      const again = await recoverInto(source, target, { layout: 'flat' });
      expect(again.exitCode).toBe(0);
      expect(again.statuses.stored).toBe(1);
      expect(again.resumed).toBeGreaterThanOrEqual(Object.keys(specs).length - 1);
      expect(await md5File(victim)).toBe(md5);
      const after = await mtimes(target);
      after.delete(victim);
      expect(after).toEqual(before);
      // A recovered file whose size changed is written again too (a conflict, kept, until --overwrite).
      await writeFile(victim, 'truncated');
      const changed = await recoverInto(source, target, { layout: 'flat' });
      expect(changed.classes.conflict.files).toBe(1);
      expect(changed.exitCode).toBe(1);
      expect((await recoverInto(source, target, { layout: 'flat', overwrite: true })).exitCode).toBe(0);
      expect(await md5File(victim)).toBe(md5);
    });
  }
});

// Identifiers that differ only by trailing spaces or by what follows a NUL byte: Orthanc reads
// them alike (one instance), so the recovery keeps one file and calls the other a conflict.
describe('recovery: identifiers Orthanc reads alike', () => {
  it('are one instance for Orthanc and one path in the folder: the second file is a conflict, never a second copy', async () => {
    const source = await mkdtemp(join(tmpdir(), 'oi-alike-'));
    const variants = { 'plain.dcm': 'PAT-T', 'spaces.dcm': 'PAT-T   ', 'nul.dcm': 'PAT-T\0XYZ' };
    for (const [name, patientId] of Object.entries(variants)) await writeFile(join(source, name), buildPart10({ patientId, sopInstanceUid: '1.2.3.77' }).bytes);
    const orthanc = await startOrthanc();
    try {
      const answers = [];
      for (const name of Object.keys(variants)) answers.push(await uploadToOrthanc(orthanc, join(source, name)));
      expect(new Set(answers.map((answer) => answer.ID)).size).toBe(1);
      expect(answers.map((answer) => answer.Status)).toEqual(['Success', 'AlreadyStored', 'AlreadyStored']);
    } finally {
      await orthanc.stop();
    }
    const target = join(await mkdtemp(join(tmpdir(), 'oi-alike-out-')), 'out');
    const summary = await runImport(resolveOptions({ source, target, journalPath: `${target}.journal.sqlite` }));
    expect(summary.classes.dicom.files).toBe(1);
    expect(summary.classes.conflict.files).toBe(2);
    expect(summary.exitCode).toBe(1);
    expect(await listFiles(target)).toHaveLength(1);
  });
});
