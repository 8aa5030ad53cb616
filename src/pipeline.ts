/*
 *  source                  walk: fs.readdir/opendir, depth-first, lazy
 *      │ SourceItem        index: live instances from Orthanc's SQLite index, then a walk for the rest
 *      ▼
 *  mapBounded(4 × workers) ──► Classifier (piscina, --workers threads)
 *      │ {entry, Classified}      read → decode (zlib) → check against the index → parse header → MD5
 *      ▼                          (bytes moved back, or streamed later when large)
 *  mapBounded(concurrency) ──► Uploader (undici Pool, --concurrency sockets): POST /instances, read back MD5
 *      │ FileOutcome
 *      ▼
 *  Tally + StudyTally + ReportFile + events.onOutcome
 *
 *  Each stage pulls from the one above only when it has a free slot and its last result was
 *  taken, so at most 4 × workers + concurrency decoded files exist at once, and a slow target
 *  slows the walk.
 */
import { lstat } from 'node:fs/promises';
import { checkOne, knownFromIndex } from './check.js';
import { defaultJournalPath, Journal } from './journal.js';
import { alreadyOnTarget, journalKey, replayed, type Shortcuts } from './resume.js';
import { Classifier } from './classify.js';
import { deliver, type Delivery } from './deliver.js';
import { mapBounded } from './map-bounded.js';
import { writeToFolder, type FolderDelivery } from './deliver-folder.js';
import { SpaceGuard } from './sink/disk-space.js';
import { FolderSink } from './sink/folder-sink.js';
import type { OrthancIndex } from './source/orthanc-index.js';
import type { ImportOptions } from './options.js';
import { assessTarget, checkTarget, type TargetAssessment, type TargetSystem } from './preflight.js';
import { Tally, type Summary } from './report.js';
import { ReportFile } from './report-file.js';
import { openSource } from './source/open-source.js';
import { StudyTally, type StudyCompleteness } from './studies.js';
import { Uploader } from './upload.js';
import { treeFields, type Classified, type FileEntry, type FileOutcome, type SourceItem } from './types.js';
import { describeFilter, isEmptyFilter, matchesFilter, type Filter, type FilterTags } from './filter.js';

/** Callbacks through which the core reports progress; the CLI draws them, the core never prints. */
export interface ImportEvents {
  readonly onTarget?: (system: TargetSystem) => void;
  readonly onWarning?: (message: string) => void;
  readonly onInfo?: (message: string) => void;
  readonly onOutcome?: (outcome: FileOutcome, tally: Tally) => void;
}

type Stage1 = {
  readonly entry: FileEntry;
  readonly classified?: Classified;
  /** Known without sending: replayed from the journal, or already on the target. */
  readonly outcome?: FileOutcome;
  readonly studyId?: string;
  readonly key?: string;
};

const sizeOnDisk = async (path: string | Buffer): Promise<number> => {
  try {
    return (await lstat(path)).size;
  } catch {
    return 0;
  }
};

interface StageContext {
  readonly classifier: Classifier;
  readonly check: boolean;
  readonly shortcuts: Shortcuts;
  /** undefined: no filter, everything is taken. */
  readonly filter: Filter | undefined;
  /** Recovery to a folder instead of an upload. */
  readonly folder: (FolderDelivery & { readonly space: SpaceGuard }) | undefined;
}

/** Free space kept on the recovery folder's filesystem, for the journal, the report and the system. */
const RESERVE_BYTES = 64 * 1024 * 1024;

const openFolder = async (options: ImportOptions): Promise<StageContext['folder']> => {
  if (options.output === undefined) return undefined;
  const { dir, layout, overwrite } = options.output;
  const space = new SpaceGuard(dir, { reserveBytes: RESERVE_BYTES });
  return { sink: await FolderSink.open(dir, { layout, overwrite, space }), layout, space };
};

// Before a recovery from an index: is there room for what remains to be written (the instances the
// filters take and the journal does not already have)? Each write is checked again as it comes.
const checkRoomFor = async (index: OrthancIndex, context: StageContext, folder: NonNullable<StageContext['folder']>): Promise<void> => {
  let bytes = 0;
  for (const instance of index.instances()) {
    if (context.filter !== undefined && !matchesFilter(instance.tags, context.filter)) continue;
    if (replayed(`uuid:${instance.uuid}`, context.shortcuts) !== undefined) continue;
    bytes += instance.uncompressedSize;
  }
  await folder.space.ensure(bytes, 'the instances that remain to be written');
};

// A file the filters leave out: counted, never read further, never recorded in the journal (so a
// later run with other filters, or none, still takes it).
const excluded = (entry: FileEntry, size: number, tags: Partial<FileOutcome>): FileOutcome => ({
  path: entry.relativePath,
  size,
  fileClass: 'excluded',
  reason: 'left out by the filters',
  ...tags,
});

const outcomeTags = (outcome: FileOutcome): FilterTags => ({
  patientId: outcome.patientId ?? '',
  studyInstanceUid: outcome.studyInstanceUid ?? '',
  accessionNumber: outcome.accessionNumber ?? '',
  modality: outcome.modality ?? '',
  studyDate: outcome.studyDate ?? '',
});

// Stage 1: what is known already (journal, target listing, index) costs nothing; the rest is read
// and decoded by a worker.
const prepare = async (item: SourceItem, context: StageContext): Promise<Stage1> => {
  const studyId = item.kind === 'indexed' ? { studyId: item.studyId } : {};
  if (item.kind === 'settled') {
    if (item.sized === true) return { entry: item.entry, classified: item.classified };
    return { entry: item.entry, classified: { ...item.classified, diskSize: await sizeOnDisk(item.entry.rawPath ?? item.entry.path) } };
  }
  // The index answers the filters before anything else, even an earlier run's outcome.
  if (item.kind === 'indexed' && context.filter !== undefined && !matchesFilter(item.tags, context.filter)) {
    return { entry: item.entry, outcome: excluded(item.entry, item.expected.compressedSize, treeFields(item.tags)) };
  }
  const key = context.check ? undefined : await journalKey(item);
  const withKey = key === undefined ? {} : { key };
  const done = replayed(key, context.shortcuts);
  if (done !== undefined) return { entry: item.entry, outcome: done, ...studyId, ...withKey };
  if (item.kind === 'indexed') {
    const { expected } = item;
    const encoding = expected.compressionType === 2 ? 'zlib' : 'raw';
    const onTarget = context.check ? undefined : await alreadyOnTarget(context.shortcuts, item.entry, { instanceId: expected.instanceId, decodedSize: expected.uncompressedSize, diskSize: expected.compressedSize, encoding });
    if (onTarget !== undefined) return { entry: item.entry, outcome: { ...onTarget, ...treeFields(item.tags) }, ...studyId, ...withKey };
    const known = context.check ? knownFromIndex(item) : undefined;
    if (known !== undefined) return { entry: item.entry, classified: known, ...studyId };
    return { entry: item.entry, classified: await context.classifier.classify(item.entry, expected), ...studyId, ...withKey };
  }
  return { entry: item.entry, classified: await context.classifier.classify(item.entry), ...withKey };
};

// Stage 2: send (or check) what stage 1 could not settle; in walk mode the target's listing is
// only usable now that the worker computed the instance ID.
const settle = async (stage: Stage1, context: StageContext, delivery: Delivery | undefined): Promise<FileOutcome> => {
  const { filter } = context;
  if (stage.outcome !== undefined) {
    // A walk-mode file replayed from the journal is only known by its recorded tags.
    const out = filter !== undefined && stage.outcome.fileClass === 'dicom' && !matchesFilter(outcomeTags(stage.outcome), filter);
    return out ? excluded(stage.entry, stage.outcome.size, {}) : stage.outcome;
  }
  const classified = stage.classified;
  if (classified === undefined) throw new Error('a stage-1 result carries neither an outcome nor a classification');
  if (classified.kind === 'dicom' && filter !== undefined && !matchesFilter(classified.header, filter)) {
    return excluded(stage.entry, classified.diskSize, treeFields(classified.header));
  }
  if (context.folder !== undefined) return writeToFolder(stage.entry, classified, context.folder);
  if (context.check && delivery !== undefined) return checkOne(stage.entry, classified, delivery.uploader);
  if (classified.kind === 'dicom' && delivery !== undefined) {
    const onTarget = await alreadyOnTarget(context.shortcuts, stage.entry, { instanceId: classified.orthancId, ...classified });
    if (onTarget !== undefined) return { ...onTarget, sopInstanceUid: classified.header.sopInstanceUid };
  }
  return deliver(stage.entry, classified, delivery);
};

// Stops pulling new items once the signal is aborted (Ctrl-C); what is in flight finishes.
async function* untilAborted<T>(items: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  for await (const item of items) {
    if (signal?.aborted === true) return;
    yield item;
  }
}

const prepareTarget = async (options: ImportOptions, events: ImportEvents): Promise<TargetAssessment | undefined> => {
  if (options.target === undefined) return undefined;
  const system = await checkTarget(options.target);
  events.onTarget?.(system);
  const assessment = assessTarget(system, options);
  for (const warning of assessment.warnings) events.onWarning?.(warning);
  return assessment;
};

// An instance counts for its study once it is safely on the target (verified, unless --no-verify),
// or, in an inventory, once it is sound in the source.
const countsForStudy = (outcome: FileOutcome, delivery: Delivery | undefined): boolean =>
  outcome.fileClass === 'dicom' && outcome.status !== 'FilteredOut' && (delivery === undefined || !delivery.verify || outcome.verified !== undefined);

// Opens the journal of an import or a recovery (not of an inventory or a check).
const openJournal = (options: ImportOptions, root: string): Journal | undefined => {
  const targetName = options.output === undefined ? options.target?.display : `folder:${options.output.dir}`;
  if (targetName === undefined || options.check) return undefined;
  const identity = { source: root, target: targetName };
  return Journal.open(options.journalPath ?? defaultJournalPath(identity), identity, { restart: options.restart });
};

// Loads the target's listing into the journal the first time an instance needs it (never, when the
// journal already settles every file), so instances already there are not sent again.
const targetListing = (journal: Journal | undefined, uploader: Uploader | undefined, events: ImportEvents): (() => Promise<void>) | undefined => {
  if (journal === undefined || uploader === undefined) return undefined;
  let loading: Promise<void> | undefined;
  return () =>
    (loading ??= journal.loadTargetInstances(uploader.listInstances()).then((count) => {
      events.onInfo?.(`the target already holds ${count} instances; those with the same file size are not sent again`);
    }));
};

// Runs one import (or inventory, without a target) from start to summary: the library's entry point.
export const runImport = async (options: ImportOptions, events: ImportEvents = {}): Promise<Summary> => {
  const source = await openSource(options);
  const tally = new Tally();
  const studies = new StudyTally();
  const startedAt = new Date();
  let assessment: TargetAssessment | undefined;
  let report: ReportFile | undefined;
  let completeness: StudyCompleteness | undefined;
  try {
    assessment = await prepareTarget(options, events);
    report = options.reportPath === undefined ? undefined : await ReportFile.open(options.reportPath);
    const outageEvents = { onDown: (reason: string) => events.onWarning?.(`the target stopped answering (${reason}); pausing`), onUp: (ms: number) => events.onWarning?.(`the target answers again after ${(ms / 1000).toFixed(0)} s; carrying on`) };
    const uploader = options.target === undefined ? undefined : new Uploader(options.target, options, outageEvents);
    const delivery = uploader === undefined ? undefined : { uploader, verify: options.verify, transcoding: assessment?.transcoding ?? false };
    // A recovery checks every file's MD5 as it writes it, like a verified upload.
    const folder = await openFolder(options);
    const classifier = new Classifier({ ...options, keepBytes: (uploader !== undefined && !options.check) || folder !== undefined });
    let journal: Journal | undefined;
    try {
      journal = openJournal(options, source.root);
      const filter = isEmptyFilter(options.filter) ? undefined : options.filter;
      const listTarget = options.skipExisting ? targetListing(journal, uploader, events) : undefined;
      // With nothing in the journal, every instance will ask for the listing: start it now.
      if (listTarget !== undefined && journal?.isEmpty() === true) void listTarget().catch(() => undefined);
      const context: StageContext = { classifier, check: options.check, shortcuts: { journal, verify: options.verify, listTarget }, filter, folder };
      if (folder !== undefined && source.index !== undefined) await checkRoomFor(source.index, context, folder);
      const prepared = mapBounded(untilAborted(source.items, options.signal), options.workers * 4, (item) => prepare(item, context));
      const settled = mapBounded(prepared, options.concurrency, async (stage) => ({ stage, outcome: await settle(stage, context, delivery) }));
      for await (const { stage, outcome } of settled) {
        if (stage.key !== undefined && outcome.resumed !== true && outcome.fileClass !== 'excluded') journal?.record(stage.key, outcome);
        tally.add(outcome);
        if (stage.studyId !== undefined) {
          studies.expect(stage.studyId);
          if (countsForStudy(outcome, delivery)) studies.add(stage.studyId);
        }
        await report?.add(outcome);
        events.onOutcome?.(outcome, tally);
      }
    } finally {
      journal?.close();
      await classifier.close();
      await uploader?.close();
    }
    completeness = source.index === undefined ? undefined : studies.summary();
  } catch (error) {
    // A run-stopping failure still leaves a complete JSON report of what was done before it.
    const stopped = `the run stopped early: ${(error as Error).message}`;
    await report?.finish(summarize(true, [...(assessment?.warnings ?? []), stopped])).catch(() => undefined);
    throw error;
  } finally {
    await source.close();
  }
  const summary = summarize(options.signal?.aborted === true, assessment?.warnings ?? []);
  await report?.finish(summary);
  return summary;

  function summarize(interrupted: boolean, warnings: readonly string[]): Summary {
    return tally.summarize({
      source: source.root,
      target: options.output?.dir ?? options.target?.display ?? null,
      recovery: options.output !== undefined,
      check: options.check,
      interrupted,
      startedAt,
      elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
      warnings,
      index: source.indexSummary,
      studies: completeness,
      filter: isEmptyFilter(options.filter) ? undefined : describeFilter(options.filter),
    });
  }
};
