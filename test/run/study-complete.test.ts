// Studies complete on a real Orthanc (Debian's 1.10.1), from an index storage written by another
// or a running Orthanc: each marked (--mark-complete) once every instance of it is verified there,
// never before, never when one is missing, and by the run that completes it after a kill -9; a
// folder walked says how spread its studies were.
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
    const { MainDicomTags } = await orthancJson<{ MainDicomTags: { StudyInstanceUID: string } }>(probe, `/studies/${studies[1] ?? ''}`);
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
    expect(summary.studies?.incomplete).toEqual([{ studyId: studies[1], studyInstanceUid: MainDicomTags.StudyInstanceUID, expected: 6, verified: 5, why: { 'corrupt-source': 1 } }]);
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
    expect((error as Error).message).toBe(`--mark-complete needs a source that knows every instance of a study before it sends it: an Orthanc storage read through its index or a running Orthanc, not ${folder}`);
    expect(await listInstances(target)).toEqual([]);
  });

  it('reads a running Orthanc a study at a time, the series taking turns, and marks each study after its last instance', async () => {
    const files = await generateDicoms({ out: await mkdtemp(join(tmpdir(), 'oi-complete-rest-')), count: 18, patients: 1, studies: 3, series: 2, rows: 8, cols: 8, prefix: 'LIVE' });
    const source = await start();
    await uploadAll(source, files);
    const target = await start({ config: MARKED });
    // One upload at a time; the downloads (4 at once) may finish out of order, by a few places.
    const { summary, byStudy } = await importWith(source.url, target, { concurrency: 1, workers: 0 });
    expect(summary.exitCode).toBe(0);
    const { Changes } = await orthancJson<{ Changes: { ChangeType: string; ID: string; Seq: number }[] }>(target, '/changes?since=0&limit=1000');
    const instances = await orthancJson<{ ID: string; ParentSeries: string }[]>(target, '/instances?expand');
    const seriesOf = new Map(instances.map((i) => [i.ID, i.ParentSeries]));
    const studyOfSeries = new Map((await orthancJson<{ ID: string; ParentStudy: string }[]>(target, '/series?expand')).map((s) => [s.ID, s.ParentStudy]));
    const stored = Changes.filter((c) => c.ChangeType === 'NewInstance');
    expect(stored).toHaveLength(18);
    const studyOf = (id: string): string => studyOfSeries.get(seriesOf.get(id) ?? '') ?? '';
    const order = stored.map((c) => studyOf(c.ID));
    const studies = [...new Set(order)];
    expect(studies).toHaveLength(3);
    // Each study stored within a window of its 6 instances and the 4 downloads that may overtake.
    for (const study of studies) expect(order.lastIndexOf(study) - order.indexOf(study) + 1).toBeLessThanOrEqual(6 + 4);
    expect(Object.values(byStudy()).map((study) => [study.instances, study.marker])).toEqual([[6, 'marked'], [6, 'marked'], [6, 'marked']]);
    for (const study of studies) {
      const last = Math.max(...stored.filter((c) => studyOf(c.ID) === study).map((c) => c.Seq));
      expect(Changes.find((c) => c.ChangeType === 'UpdatedMetadata' && c.ID === study)?.Seq).toBeGreaterThan(last);
      expect(await marker(target, study)).toBe(summary.startedAt);
    }
    expect(summary.studies).toMatchObject({ total: 3, complete: 3, marks: { marked: 3, present: 0, failed: 0 } });
  });

  it('says how spread over the run the studies of a folder walked were, and claims none complete', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'oi-spread-walk-'));
    await generateDicoms({ out: folder, count: 12, patients: 1, studies: 3, series: 2, rows: 8, cols: 8, prefix: 'WALK' });
    const target = await start();
    const summary = await runImport(resolveOptions({ source: folder, target: target.url }));
    expect(summary.exitCode).toBe(0);
    expect(summary.studies).toBeUndefined();
    expect(summary.studySpread).toMatchObject({ studies: 3 });
    const { medianSpanSeconds, largestSpanSeconds, medianShare, largestShare } = summary.studySpread ?? { medianSpanSeconds: -1, largestSpanSeconds: -1, medianShare: -1, largestShare: -1 };
    expect(medianSpanSeconds).toBeGreaterThanOrEqual(0);
    expect(largestSpanSeconds).toBeGreaterThanOrEqual(medianSpanSeconds);
    expect(largestSpanSeconds).toBeLessThanOrEqual(summary.elapsedSeconds);
    expect([medianShare, largestShare].every((share) => share >= 0 && share <= 1)).toBe(true);
    // A check and an inventory send nothing: no spread to speak of.
    expect((await runImport(resolveOptions({ source: folder }))).studySpread).toBeUndefined();
    expect((await runImport(resolveOptions({ source: folder, target: target.url, check: true }))).studySpread).toBeUndefined();
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
