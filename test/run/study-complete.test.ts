// Studies complete on a real Orthanc (Debian's 1.10.1), from an index storage written by another:
// each marked (--mark-complete) once every instance of it is verified there, never before, never
// when one is missing, and by the run that completes it after a kill -9.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import type { CompletedStudy } from '../../src/core/events.js';
import { resolveOptions, runImport, type ImportInput } from '../../src/index.js';
import { listInstances, orthancJson, orthancsOfThisFile, waitForInstances, type RunningOrthanc } from '../helpers/orthanc.js';
import { exitOf, spawnCli } from '../helpers/run-cli.js';
import { uploadAll } from '../helpers/storages.js';

const start = orthancsOfThisFile();
const MARKED = { UserMetadata: { ImportComplete: 1024 } };

/** A stopped, compressed storage of 3 studies of 2 series, 3 instances each, in this order. */
let storage: Promise<{ dir: string; studies: string[] }> | undefined;
const sourceStorage = (): Promise<{ dir: string; studies: string[] }> =>
  (storage ??= (async () => {
    const files = await generateDicoms({ out: await mkdtemp(join(tmpdir(), 'oi-complete-')), count: 18, patients: 1, studies: 3, series: 2, rows: 8, cols: 8, prefix: 'DONE' });
    const source = await start({ compression: true });
    const ids = await uploadAll(source, files);
    const studies: string[] = [];
    for (const id of ids) {
      const { ID } = await orthancJson<{ ID: string }>(source, `/instances/${id}/study`);
      if (!studies.includes(ID)) studies.push(ID);
    }
    await source.stop();
    return { dir: source.storageDir, studies };
  })());

const marker = async (target: RunningOrthanc, study: string): Promise<string | undefined> => {
  const res = await fetch(`${target.url}/studies/${study}/metadata/ImportComplete`);
  const text = await res.text();
  return res.status === 200 ? text : undefined;
};

const importWith = async (source: string, target: RunningOrthanc, extra: Partial<ImportInput> = {}) => {
  const completed: CompletedStudy[] = [];
  const options = resolveOptions({ source, target: target.url, markComplete: 'ImportComplete', studiesInFlight: 1, ...extra });
  const summary = await runImport(options, { onStudyComplete: (study) => completed.push(study) });
  // Decode threads and uploads in flight may finish one study's last instance before another's.
  const byStudy = (): Record<string, CompletedStudy> => Object.fromEntries(completed.map((study) => [study.studyId, study]));
  return { summary, completed, byStudy };
};

describe('studies complete on the target', () => {
  it('marks each study once all its instances are verified, after the last is stored, and says so', async () => {
    const { dir, studies } = await sourceStorage();
    const target = await start({ config: MARKED });
    const { summary, completed, byStudy } = await importWith(dir, target);
    expect(summary.exitCode).toBe(0);
    expect(completed).toHaveLength(3);
    expect(Object.fromEntries(Object.entries(byStudy()).map(([id, study]) => [id, [study.instances, study.marker]]))).toEqual(Object.fromEntries(studies.map((id) => [id, [6, 'marked']])));
    expect(completed.every((study) => study.studyInstanceUid !== '' && study.patientId !== '')).toBe(true);
    for (const study of studies) expect(await marker(target, study)).toBe(summary.startedAt);
    expect(summary.studies?.marks).toEqual({ name: 'ImportComplete', marked: 3, present: 0, failed: 0 });
    // The target's log: each study's metadata changed after every instance of it was stored.
    const { Changes } = await orthancJson<{ Changes: { ChangeType: string; ID: string; Seq: number }[] }>(target, '/changes?since=0&limit=1000');
    const studyOf = new Map((await orthancJson<{ ID: string; ParentStudy: string }[]>(target, '/instances?expand')).map((i) => [i.ID, i.ParentStudy]));
    for (const study of studies) {
      const lastInstance = Math.max(...Changes.filter((c) => c.ChangeType === 'NewInstance' && studyOf.get(c.ID) === study).map((c) => c.Seq));
      const marked = Changes.find((c) => c.ChangeType === 'UpdatedMetadata' && c.ID === study);
      expect(marked?.Seq).toBeGreaterThan(lastInstance);
    }
    // Run again: all there, the markers left as they were.
    const again = await importWith(dir, target);
    expect(again.summary.studies?.marks).toEqual({ name: 'ImportComplete', marked: 0, present: 3, failed: 0 });
    for (const study of studies) expect(await marker(target, study)).toBe(summary.startedAt);
  });

  it('never marks a study with an instance that could not be delivered; marks the others', async () => {
    const { dir, studies } = await sourceStorage();
    // A private copy of the storage with one attachment of the second study garbled.
    const copy = await mkdtemp(join(tmpdir(), 'oi-complete-bad-'));
    await cp(dir, copy, { recursive: true });
    const probe = await start({ compression: true, storageDir: copy });
    const [victim] = await orthancJson<{ ID: string }[]>(probe, `/studies/${studies[1] ?? ''}/instances`);
    const { Uuid } = await orthancJson<{ Uuid: string }>(probe, `/instances/${victim?.ID ?? ''}/attachments/dicom/info`);
    await probe.stop();
    const path = join(copy, Uuid.slice(0, 2), Uuid.slice(2, 4), Uuid);
    const bytes = await readFile(path);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    await writeFile(path, bytes);

    const target = await start({ config: MARKED });
    const { summary, completed } = await importWith(copy, target);
    expect(summary.exitCode).toBe(1);
    expect(summary.classes['corrupt-source'].files).toBe(1);
    expect(completed.map((study) => study.studyId).sort()).toEqual([studies[0], studies[2]].sort());
    expect(await marker(target, studies[1] ?? '')).toBeUndefined();
    expect(await marker(target, studies[0] ?? '')).toBe(summary.startedAt);
    expect(summary.studies?.incomplete).toEqual([{ studyId: studies[1], expected: 6, verified: 5 }]);
  });

  it('says nothing of studies complete in an inventory: there is no target for them to be complete on', async () => {
    const { dir } = await sourceStorage();
    const completed: CompletedStudy[] = [];
    const summary = await runImport(resolveOptions({ source: dir }), { onStudyComplete: (study) => completed.push(study) });
    expect(summary.studies).toMatchObject({ total: 3, complete: 3 });
    expect(completed).toEqual([]);
  });

  it('refuses --mark-complete for a folder walked, before anything is sent: it cannot know a study whole', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'oi-complete-walk-'));
    await generateDicoms({ out: folder, count: 2, rows: 8, cols: 8 });
    const target = await start({ config: MARKED });
    const error: unknown = await importWith(folder, target).then(() => undefined, (err: unknown) => err);
    expect((error as { code?: string }).code).toBe('E_USAGE');
    expect((error as Error).message).toBe(`--mark-complete needs a source that knows every instance of a study before it sends it: an Orthanc storage read through its index, not ${folder}`);
    expect(await listInstances(target)).toEqual([]);
  });

  it('after kill -9, the resumed run marks the studies it completes', async () => {
    const { dir, studies } = await sourceStorage();
    const target = await start({ config: MARKED });
    const journal = join(await mkdtemp(join(tmpdir(), 'oi-complete-j-')), 'j.sqlite');
    // Slowed to a few instances a second, so that the kill comes in the second study, whatever the machine.
    const args = [dir, target.url, '--mark-complete', 'ImportComplete', '--studies-in-flight', '1', '--concurrency', '1', '--workers', '0', '--bwlimit', '3k', '--journal', journal, '--quiet'];
    const child = spawnCli(args);
    const exited = exitOf(child);
    await waitForInstances(target, 8); // the first study whole, the second begun
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    expect((await listInstances(target)).length).toBeLessThan(12);
    expect(await marker(target, studies[2] ?? '')).toBeUndefined();

    const { summary, completed, byStudy } = await importWith(dir, target, { journalPath: journal });
    expect(summary.exitCode).toBe(0);
    expect(completed.map((study) => study.studyId).sort()).toEqual([...studies].sort());
    // The second and third were completed by this run, and marked with its time; the first was
    // marked by the killed run, or now if it was killed first.
    expect([byStudy()[studies[1] ?? '']?.marker, byStudy()[studies[2] ?? '']?.marker]).toEqual(['marked', 'marked']);
    expect(await marker(target, studies[1] ?? '')).toBe(summary.startedAt);
    expect(await marker(target, studies[2] ?? '')).toBe(summary.startedAt);
    expect(await marker(target, studies[0] ?? '')).toBeDefined();
  });
});
