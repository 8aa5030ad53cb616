// A second run over a storage nobody touched since a complete run is answered from the journal
// (src/run.ts, src/unchanged.ts, src/replay.ts), against real Orthancs; any change reads it again.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { isImporterError, resolveOptions, runImport, type ImportInput, type Summary } from '../../src/index.js';
import type { ReportEntry } from '../../src/record/report-file.js';
import { OrthancIndex } from '../../src/sources/orthanc-storage/sqlite/orthanc-index.js';
import { listInstances, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { runCli } from '../helpers/run-cli.js';
import { fixtureDicoms, uploadAll, withOrthanc } from '../helpers/storages.js';
import { snapshotTree, waitUntilTimestampsSettle } from '../helpers/tree.js';

const start = orthancsOfThisFile();
let files: string[];

beforeAll(async () => {
  files = await fixtureDicoms();
});

// A compressed storage written by a real Orthanc, stopped, and old enough to be trusted unchanged.
const buildStorage = async (): Promise<string> => {
  const source = await start({ compression: true });
  await uploadAll(source, files);
  await source.stop();
  await waitUntilTimestampsSettle(source.storageDir);
  return source.storageDir;
};

interface Run {
  readonly summary: Summary;
  readonly notUploaded: ReportEntry[];
}

const importRun = async (storage: string, target: RunningOrthanc, journal: string, extra: Partial<ImportInput> = {}): Promise<Run> => {
  const report = join(await mkdtemp(join(tmpdir(), 'oi-run-report-')), 'report.json');
  const summary = await runImport(resolveOptions({ source: storage, target: target.url, journalPath: journal, reportPath: report, workers: 2, ...extra }));
  const { notUploaded } = JSON.parse(await readFile(report, 'utf8')) as { notUploaded: ReportEntry[] };
  return { summary, notUploaded };
};

const newJournal = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-run-journal-')), 'journal.sqlite');
const filesIn = (summary: Summary): number => Object.values(summary.classes).reduce((sum, count) => sum + count.files, 0);
const firstInstanceFile = async (storage: string): Promise<string> => {
  const index = await OrthancIndex.open({ indexPath: join(storage, 'index'), storageRoot: storage });
  try {
    for (const instance of index.instances()) return instance.path;
    throw new Error('no instance in the storage');
  } finally {
    await index.close();
  }
};

describe('a run over a storage unchanged since a complete run', () => {
  it('is answered from the journal: same summary and report, nothing read or sent', async () => {
    const storage = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    const first = await importRun(storage, target, journal);
    expect(first.summary.statuses.stored).toBe(files.length);
    expect(first.summary.unchangedSince).toBeUndefined();
    const before = await snapshotTree(storage);

    // Overwritten in place, same size: folders keep their times, and only a read would notice.
    const victim = await firstInstanceFile(storage);
    const original = await readFile(victim);
    await writeFile(victim, Buffer.alloc(original.length, 0x55));
    const second = await importRun(storage, target, journal);
    await writeFile(victim, original);

    expect(second.summary.unchangedSince).toBe(first.summary.startedAt);
    expect(second.summary.classes).toEqual(first.summary.classes);
    expect(second.summary.resumed).toBe(filesIn(first.summary));
    expect(second.summary.statuses).toEqual({ stored: 0, alreadyThere: 0, dropped: 0 });
    expect(second.summary.verified).toBe(files.length);
    expect(second.summary.exitCode).toBe(0);
    // Nothing was read or sent: no rate ("14878 instances/s" was the time of a replay).
    expect(second.summary).toMatchObject({ instancesThisRun: 0, instancesPerSecond: 0, megabytesPerSecond: 0 });
    expect(second.notUploaded).toEqual(first.notUploaded);
    expect(second.notUploaded.some((entry) => entry.class === 'pixel-data-cache')).toBe(true);
    expect((await listInstances(target)).length).toBe(files.length);
    expect(await snapshotTree(storage)).toEqual(before);
  });

  it('reads the storage again once a file was dropped into it, and reports that file', async () => {
    const storage = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    const first = await importRun(storage, target, journal);
    const leaf = [...(await snapshotTree(storage)).keys()].find((path) => /^[0-9a-f]{2}\/[0-9a-f]{2}$/.test(path)) ?? '';
    await writeFile(join(storage, leaf, 'dropped-by-hand.txt'), 'hello');
    const second = await importRun(storage, target, journal);
    expect(second.summary.unchangedSince).toBeUndefined();
    expect(second.summary.resumed).toBe(files.length); // the instances still come from the journal, not re-sent
    expect(second.summary).toMatchObject({ instancesThisRun: 0, instancesPerSecond: 0 });
    expect(second.summary.classes['not-dicom'].files).toBe(first.summary.classes['not-dicom'].files + 1);
    expect(second.notUploaded).toContainEqual(expect.objectContaining({ path: `${leaf}/dropped-by-hand.txt`, class: 'not-dicom' }));
  });

  it('is not replayed for other options, nor after an interrupted run', async () => {
    const storage = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    await importRun(storage, target, journal);
    const otherOptions = await importRun(storage, target, journal, { verify: false });
    expect(otherOptions.summary.unchangedSince).toBeUndefined();

    const controller = new AbortController();
    const interrupted = await runImport(resolveOptions({ source: storage, target: target.url, journalPath: journal, workers: 1, concurrency: 1, restart: true, signal: controller.signal }), {
      onOutcome: () => {
        controller.abort();
      },
    });
    expect(interrupted.interrupted).toBe(true);
    const resumed = await importRun(storage, target, journal);
    expect(resumed.summary.unchangedSince).toBeUndefined();
    const answered = await importRun(storage, target, journal);
    expect(answered.summary.unchangedSince).toBe(resumed.summary.startedAt);
  });

  it('is not replayed when the storage held no DICOM: the warning that explains exit 1 is said again', async () => {
    const empty = await start();
    await empty.stop();
    await waitUntilTimestampsSettle(empty.storageDir);
    const target = await start();
    const journal = await newJournal();
    for (let run = 0; run < 2; run++) {
      const { summary } = await importRun(empty.storageDir, target, journal);
      expect(summary.unchangedSince).toBeUndefined();
      expect(summary).toMatchObject({ exitCode: 1, warnings: [`no DICOM found in ${empty.storageDir}: is it the right folder?`] });
    }
  });

  it('still refuses the storage of a running Orthanc', async () => {
    const storage = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    await importRun(storage, target, journal);
    await withOrthanc({ storageDir: storage, compression: true }, async () => {
      const refused = await importRun(storage, target, journal).catch((error: unknown) => error);
      expect(isImporterError(refused) && refused.code === 'E_SOURCE_LOCKED').toBe(true);
    });
  });

  it('says so on the command line', async () => {
    const storage = await buildStorage();
    const target = await start();
    const journal = await newJournal();
    const first = await runCli([storage, target.url, '--journal', journal, '--quiet']);
    expect(first.code).toBe(0);
    const second = await runCli([storage, target.url, '--journal', journal]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/the source is unchanged since the complete run of .*: its outcomes come from the journal/);
    expect(second.stdout).toMatch(/the source is unchanged since the complete run of/);
  });
});

describe('the journal of a run', () => {
  const SAMPLE_DICOM = fileURLToPath(new URL('../../fixtures/dicom', import.meta.url));

  it('is named once, as the run begins, by the event onJournal: the default one, or the one given', async () => {
    const state = await mkdtemp(join(tmpdir(), 'oi-run-state-'));
    const target = await mkdtemp(join(tmpdir(), 'oi-run-folder-'));
    const named: string[] = [];
    const namedAtOutcome: number[] = [];
    const previous = process.env['XDG_STATE_HOME'];
    process.env['XDG_STATE_HOME'] = state;
    try {
      await runImport(resolveOptions({ source: SAMPLE_DICOM, target, workers: 0 }), { onJournal: (path) => named.push(path), onOutcome: () => namedAtOutcome.push(named.length) });
    } finally {
      if (previous === undefined) delete process.env['XDG_STATE_HOME'];
      else process.env['XDG_STATE_HOME'] = previous;
    }
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(new RegExp(`^${join(state, 'orthanc-import')}/journal-[0-9a-f]{16}\\.sqlite$`));
    expect(existsSync(named[0] ?? '')).toBe(true);
    expect(namedAtOutcome.length).toBeGreaterThan(0);
    expect(namedAtOutcome.every((count) => count === 1)).toBe(true); // named before the first file
    const given = join(state, 'given.sqlite');
    const again: string[] = [];
    await runImport(resolveOptions({ source: SAMPLE_DICOM, target, journalPath: given, workers: 0 }), { onJournal: (path) => again.push(path) });
    expect(again).toEqual([given]);
  });

  it('is not named by a run that keeps none: an inventory, a check', async () => {
    const target = await mkdtemp(join(tmpdir(), 'oi-run-folder-'));
    const named: string[] = [];
    await runImport(resolveOptions({ source: SAMPLE_DICOM, workers: 0 }), { onJournal: (path) => named.push(path) });
    await runImport(resolveOptions({ source: SAMPLE_DICOM, target, check: true, workers: 0 }), { onJournal: (path) => named.push(path) });
    expect(named).toEqual([]);
  });
});
