/*
 *  source                  walk mode: fs.readdir/opendir, depth-first, lazy
 *      │ SourceItem        index mode: the live instances of Orthanc's SQLite index: those each page
 *      │                   of the target's listing names first (run-listing.ts), then the rest, a few
 *      │                   studies at a time (--studies-in-flight; 0: UUID order)
 *      ▼                   (--schedule: taken only inside its windows, schedule-gate.ts)
 *  mapBounded(4 × workers) ──► Classifier (piscina, --workers threads; 0: the main thread)
 *      │ {entry, Classified}      read → decode (zlib) → check against the index → parse header → MD5
 *      ▼                          (bytes moved back, or streamed later when large; gzip member)
 *  mapBounded(uploads in flight: --concurrency, or adaptive-limit.ts; ≤ BYTES_IN_FLIGHT held)
 *      │                   ──► Target (src/targets/: an Orthanc, a DICOMweb server, a folder): put
 *      │ Put: outcome, its check to come (no bytes)
 *      ▼
 *  mapBounded(CHECKS_IN_FLIGHT + uploads) ──► Target.holds() (the MD5 read back), extras carried
 *      │ FileOutcome
 *      ▼
 *  merge ◄── index mode: outcomes of every other file of the storage, in batches, from the
 *      │     storage walker thread (source/storage-scan.ts), which needs no stage
 *      ▼
 *  Tally + StudyTally (+ StudyCompletion: onStudyComplete, --mark-complete) + journal + RunReports + events.onOutcome
 *
 *  Each stage pulls from the one above only when it has a free slot and its last result was
 *  taken, so at most 4 × workers classified files (each held up to the inline limit) wait, those
 *  being put hold at most BYTES_IN_FLIGHT between them, a check holds no bytes, and a slow target
 *  slows the walk.
 */
import { lstat } from 'node:fs/promises';
import { checkOne, knownFromIndex } from './check.js';
import { isFinal, type Journal } from '../record/journal.js';
import { alreadyOnTarget, journalKey, recorded, replayed, type OnDisk, type Shortcuts } from './resume.js';
import { CacheEvidence } from './cache-evidence.js';
import { Classifier } from '../decode/classifier.js';
import { deliver, heldSize, instanceRef, type Delivery, type Sent } from './deliver.js';
import { AdaptiveLimit } from './adaptive-limit.js';
import { FailureStreak } from './failure-streak.js';
import { mapBounded } from './map-bounded.js';
import { openRunListing, type ListingPlan, type RunListing } from './run-listing.js';
import type { InstanceRef, Target, TargetAssessment } from '../targets/target.js';
import { defaultWorkers, type ImportOptions } from '../core/options.js';
import type { ImportEvents } from '../core/events.js';
import { Tally, type Summary } from '../record/report.js';
import { reportLine } from '../record/report-file.js';
import { RunReports } from '../record/run-reports.js';
import type { LocatedSource, RemoteReader, Source, SourceFingerprint } from '../sources/source.js';
import { merge } from './merge.js';
import { StudyTally, type StudyMarks } from '../record/studies.js';
import { StudySpreadTally } from '../record/study-spread.js';
import { StudyCompletion } from './study-complete.js';
import { exitCodeOf, ImporterError, isImporterError } from '../core/errors.js';
import { encodingOf, treeFields, type Classified, type ExpectedFile, type ExtrasReader, type FileEntry, type FileOutcome, type IndexedItem, type RemoteItem, type SourceItem } from '../core/types.js';
import { ExtrasCarrier } from './carry.js';
import { ScheduleGate } from './schedule-gate.js';
import { describeFilter, isEmptyFilter, matchesFilter, type Filter, type FilterTags } from '../core/filter.js';


type Stage1 = {
  readonly entry: FileEntry;
  readonly classified?: Classified;
  /** Known without sending: replayed from the journal, or already on the target. */
  readonly outcome?: FileOutcome;
  readonly studyId?: string;
  readonly key?: string;
  /** What the index says of the file: the journal's record leaves it out (see Journal.record). */
  readonly known?: Partial<FileOutcome>;
  /** What the source knows of the instance beyond the file, read once it is on the target (carry.ts). */
  readonly extras?: ExtrasReader;
  /** Removes what reading it left on disk (a download spooled to a file), once it is settled. */
  readonly release?: () => Promise<void>;
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
  /** The source's reader of 'remote' items (a running Orthanc). */
  readonly remote: RemoteReader | undefined;
}

/**
 * Bytes held by the instances being put at once, beyond which no more are taken (one is always
 * let through): a batching target (DICOMweb, 16 x --concurrency puts) or 32 adaptive uploads of
 * files near the inline limit (4 MiB) would otherwise hold hundreds of MB; 64 MiB is 200 CT slices.
 */
const BYTES_IN_FLIGHT = 64 * 1024 * 1024;

/**
 * Checks of what arrived (and extras carried) under way at once, beyond the uploads in flight: as
 * many as an Orthanc target's read-back connections (READ_BACK_CONNECTIONS in
 * targets/orthanc/upload.ts); more would only queue there.
 */
const CHECKS_IN_FLIGHT = 16;

/** An adaptive limit never goes below this many uploads in flight, whatever failed. */
const ADAPTIVE_MIN_PUTS = 2;

/** Outcomes taken between two turns of the event loop at most. */
const OUTCOMES_PER_TURN = 256;

// Before a recovery from a source that knows its sizes (an index): is there room for what remains to
// be written (what the filters take and the journal does not already have)? Each write is checked
// again as it comes.
const checkRoomFor = async (source: Source, context: StageContext, reserve: (bytes: number, what: string) => Promise<void>): Promise<void> => {
  if (source.plannedBytes === undefined) return;
  const bytes = source.plannedBytes(context.filter, (key) => recorded(key, context.shortcuts) !== undefined);
  await reserve(bytes, 'the instances that remain to be written');
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

// How a target is asked about an instance of the index, before its file is read (no SOP Instance UID yet).
const refFromIndex = (item: IndexedItem): InstanceRef => {
  const { expected, tags } = item;
  const { patientId, studyInstanceUid, seriesInstanceUid } = tags;
  const md5 = expected.uncompressedMd5 === '' ? undefined : expected.uncompressedMd5;
  return { instanceId: expected.instanceId, patientId, studyInstanceUid, seriesInstanceUid, sopInstanceUid: '', sopClassUid: '', md5, size: expected.uncompressedSize };
};

// What the index says of an instance's file on disk.
const diskFromIndex = (expected: ExpectedFile): OnDisk => ({ diskSize: expected.compressedSize, encoding: encodingOf(expected) });

// What the index says of an instance's outcome before its file is read: where it is, its sizes,
// its encoding, its ID and its place in the tree.
const indexedFields = (item: IndexedItem, tags: Partial<FileOutcome>): Partial<FileOutcome> => {
  const { diskSize, encoding } = diskFromIndex(item.expected);
  return Object.assign({ path: item.entry.relativePath, size: diskSize, encoding, decodedSize: item.expected.uncompressedSize, instanceId: item.expected.instanceId }, tags);
};

// The index (or the source's listing) answers the filters before anything else, even an earlier run's outcome.
const leftOutByIndex = (item: IndexedItem | RemoteItem, filter: Filter | undefined): FileOutcome | undefined =>
  filter !== undefined && !matchesFilter(item.tags, filter) ? excluded(item.entry, item.kind === 'indexed' ? item.expected.compressedSize : item.listedSize, treeFields(item.tags)) : undefined;

// An instance the index (or a running Orthanc) describes, once no earlier run's outcome stands
// for it: a target that answers by Orthanc's instance ID alone is asked before the file is read.
const prepareDescribed = async (item: IndexedItem, context: StageContext, stage: Stage1, read: () => Promise<Stage1>): Promise<Stage1> => {
  const byId = context.shortcuts.target?.features.findsByInstanceId === true;
  const onTarget = context.check || !byId ? undefined : await alreadyOnTarget(context.shortcuts, item.entry, refFromIndex(item), diskFromIndex(item.expected), treeFields(item.tags));
  if (onTarget !== undefined) return { ...stage, outcome: onTarget };
  const fromIndex = context.check && byId ? knownFromIndex(item) : undefined;
  if (fromIndex !== undefined) return { entry: item.entry, classified: fromIndex, studyId: item.studyId };
  return read();
};

// An instance of a running Orthanc: an earlier run's outcome for its file (by its UUID) spares
// asking the source anything; otherwise the source describes it, and it is downloaded when needed.
const prepareRemote = async (item: RemoteItem, context: StageContext): Promise<Stage1> => {
  const { remote } = context;
  if (remote === undefined) throw new Error('a remote item comes from a source without a RemoteReader');
  const tags = treeFields(item.tags);
  const known: Partial<FileOutcome> = Object.assign({ path: item.entry.relativePath, decodedSize: item.listedSize, instanceId: item.instanceId }, tags);
  const stage = { entry: item.entry, studyId: item.studyId, key: context.check ? undefined : item.key, known, extras: item.extras };
  const done = await replayed(stage.key, context.shortcuts, known);
  if (done !== undefined) return { ...stage, outcome: done };
  const expected = await remote.describe(item);
  if ('kind' in expected) return { ...stage, classified: expected };
  const indexed: IndexedItem = { kind: 'indexed', entry: item.entry, expected, studyId: item.studyId, key: item.key, tags: item.tags };
  return prepareDescribed(indexed, context, stage, async () => {
    const read = await remote.read(item, expected, context.classifier);
    return { ...stage, entry: read.entry, classified: read.classified, release: read.release };
  });
};

// Stage 1: what is known already costs little (the journal, the index; what the journal says was
// delivered, or the listing shows, is read back from the target); the rest is read and decoded by a worker.
const prepare = async (item: SourceItem, context: StageContext): Promise<Stage1> => {
  if (item.kind === 'settled') {
    if (item.sized === true) return { entry: item.entry, classified: item.classified };
    return { entry: item.entry, classified: { ...item.classified, diskSize: await sizeOnDisk(item.entry.rawPath ?? item.entry.path) } };
  }
  const leftOut = item.kind === 'indexed' || item.kind === 'remote' ? leftOutByIndex(item, context.filter) : undefined;
  if (leftOut !== undefined) return { entry: item.entry, outcome: leftOut };
  if (item.kind === 'remote') return prepareRemote(item, context);
  const key = context.check ? undefined : await journalKey(item);
  if (item.kind === 'indexed') {
    const tags = treeFields(item.tags);
    const known = indexedFields(item, tags);
    const indexed = { entry: item.entry, studyId: item.studyId, key, known, extras: item.extras };
    const done = await replayed(key, context.shortcuts, known);
    if (done !== undefined) return { ...indexed, outcome: done };
    return prepareDescribed(item, context, indexed, async () => ({ ...indexed, classified: await context.classifier.classify(item.entry, item.expected) }));
  }
  const done = await replayed(key, context.shortcuts);
  if (done !== undefined) return { entry: item.entry, outcome: done, key };
  return { entry: item.entry, classified: await context.classifier.classify(item.entry), key };
};

// Stage 2: send (or check) what stage 1 could not settle, whatever the target; in walk mode the
// target can only be asked now that the worker read the header and computed the instance ID.
const settle = async (stage: Stage1, context: StageContext, delivery: Delivery | undefined): Promise<Sent> => {
  const { filter } = context;
  if (stage.outcome !== undefined) {
    // A walk-mode file replayed from the journal is only known by its recorded tags.
    const out = filter !== undefined && stage.outcome.fileClass === 'dicom' && !matchesFilter(outcomeTags(stage.outcome), filter);
    return { outcome: out ? excluded(stage.entry, stage.outcome.size, {}) : stage.outcome };
  }
  const classified = stage.classified;
  if (classified === undefined) throw new Error('a stage-1 result carries neither an outcome nor a classification');
  if (classified.kind === 'dicom' && filter !== undefined && !matchesFilter(classified.header, filter)) {
    return { outcome: excluded(stage.entry, classified.diskSize, treeFields(classified.header)) };
  }
  if (context.check && delivery !== undefined) return { outcome: await checkOne(stage.entry, classified, delivery.target) };
  if (classified.kind === 'dicom' && delivery !== undefined) {
    const onTarget = await alreadyOnTarget(context.shortcuts, stage.entry, instanceRef(classified), classified);
    if (onTarget !== undefined) return { outcome: { ...onTarget, sopInstanceUid: classified.header.sopInstanceUid } };
  }
  return deliver(stage.entry, classified, delivery);
};

// Stops pulling new items once the signal is aborted (Ctrl-C); what is in flight finishes.
async function* untilAborted<T>(items: AsyncIterable<T> | Iterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  for await (const item of items) {
    if (signal?.aborted === true) return;
    yield item;
  }
}

// Starts pulling items once `ready` settles (its failure is for the items to meet, not this).
async function* after<T>(ready: Promise<unknown> | undefined, items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  await ready?.then(undefined, () => undefined);
  yield* items;
}

// A source joined with the target's listing: the items the listing names, page by page; then the rest.
async function* listedFirst(listed: AsyncIterable<readonly SourceItem[]>, rest: AsyncIterable<SourceItem> | Iterable<SourceItem>): AsyncGenerator<SourceItem> {
  for await (const page of listed) yield* page;
  yield* rest;
}

// The items of a run: with a listing, a walk's files wait for it; a source that joins it gives the listed items first.
const itemsOf = (source: Source, listing: RunListing | undefined): AsyncIterable<SourceItem> | Iterable<SourceItem> => {
  if (listing === undefined) return source.items();
  return listing.listed === undefined ? after(listing.loaded, source.items()) : listedFirst(listing.listed, source.items());
};

/** A finished file: its outcome, and the journal key and study it counts for, if any. */
type Settled = { readonly stage: Pick<Stage1, 'key' | 'studyId' | 'known'>; readonly outcome: FileOutcome; readonly aside?: true };

/** A file past its upload slot: what it counts for, and its outcome with the check still to run (no bytes held). */
type Put = { readonly stage: Pick<Stage1, 'key' | 'studyId' | 'known' | 'extras'>; readonly sent: Sent };

// Outcomes known without reading the files (the storage walk), a batch at a time; `aside`: none
// is one of the source's items.
async function* settledAtOnce(batches: AsyncIterable<readonly FileOutcome[]>): AsyncGenerator<readonly Settled[]> {
  for await (const outcomes of batches) yield outcomes.map((outcome) => ({ stage: {}, outcome, aside: true }));
}

// Tells the caller how many items the source gives (or has found so far), in the background,
// until `signal` (the run's end); a count that fails only leaves the progress without a total.
const countItems = (source: Source, events: ImportEvents, signal: AbortSignal): void => {
  const onTotal = events.onTotal;
  if (onTotal === undefined || source.count === undefined) return;
  const counting = async (): Promise<void> => {
    for await (const count of source.count?.(signal) ?? []) onTotal(count);
  };
  counting().catch(() => undefined);
};

// The staged results one by one, in the shape of settleAtOnce's batches.
async function* single<T>(items: AsyncIterable<T>): AsyncGenerator<readonly T[]> {
  for await (const item of items) yield [item];
}

// An instance counts for its study once it is safely on the target (verified, unless --no-verify),
// or, in an inventory, once it is sound in the source.
const countsForStudy = (outcome: FileOutcome, delivery: Delivery | undefined): boolean =>
  outcome.fileClass === 'dicom' && outcome.status !== 'dropped' && (delivery === undefined || !delivery.verify || outcome.verified !== undefined);

// What became of an instance that does not count for its study, as the report names it.
const missedBecause = (outcome: FileOutcome): string => {
  if (outcome.fileClass !== 'dicom') return outcome.fileClass;
  return outcome.status === 'dropped' ? 'dropped' : 'not verified';
};

/** What names the instance of a file the source describes (its index, its listing), beside its path. */
const INSTANCE_NAMES = ['instanceId', 'patientId', 'studyInstanceUid'] as const;

// A file the source describes that was not read as DICOM (corrupt in the source, missing, failed)
// is still named by the instance the source says it holds, for the report and the CSV list.
const namedBySource = (outcome: FileOutcome, known: Partial<FileOutcome> | undefined): FileOutcome => {
  if (known === undefined || outcome.fileClass === 'dicom' || outcome.fileClass === 'excluded') return outcome;
  const names: Partial<Record<(typeof INSTANCE_NAMES)[number], string>> = {};
  for (const name of INSTANCE_NAMES) if (outcome[name] === undefined && known[name] !== undefined) names[name] = known[name];
  return Object.keys(names).length === 0 ? outcome : { ...outcome, ...names };
};

// Stored on the target by this run (not found there, not an earlier run's outcome).
const arrivedNow = (outcome: FileOutcome): boolean => outcome.status === 'stored' && outcome.onTarget !== true && outcome.resumed !== true;

/** How a run that read the source ended. */
export interface SourceRun {
  readonly summary: Summary;
  /** Every outcome is final for this source as it is (nothing to retry, nothing filtered out). */
  readonly leftNothingToDo: boolean;
  /** The source's fingerprint, taken before the walk, when one was asked for. */
  readonly fingerprint: SourceFingerprint | undefined;
}

// Outcomes a later run over the same, unchanged source could not improve on: a file missing from
// an unchanged storage stays missing.
const leavesNothingToDo = (outcome: FileOutcome, verify: boolean): boolean => isFinal(outcome, verify) || outcome.fileClass === 'missing';

/** What the run reads from and where it reports, once both are open. */
interface RunContext {
  readonly source: Source;
  readonly assessment: TargetAssessment | undefined;
  readonly target: Target | undefined;
  readonly journal: Journal | undefined;
  readonly options: ImportOptions;
  readonly events: ImportEvents;
  readonly startedAt: Date;
  readonly listing: ListingPlan | undefined;
  readonly replay: boolean;
}

/** What runImport prepared before loading the pipeline: the target and its listing. */
export interface TargetSide {
  /** Absent for an inventory. */
  readonly target: Target | undefined;
  /** What the target said of itself (asked once, as the run began); a refusal rejects it. */
  readonly assessment: Promise<TargetAssessment | undefined>;
  readonly listing: ListingPlan | undefined;
  /** The journal held outcomes when the run began. */
  readonly replay: boolean;
}

// Why: this is the run proper, loaded only when the source must be read (see run.ts), which asked
// the target first: with nothing in the journal every instance needs the target's listing, whose
// first pages are then on their way while this is loaded and the source opened.
export const importSource = async (
  located: LocatedSource,
  journal: Journal | undefined,
  options: ImportOptions,
  events: ImportEvents,
  startedAt: Date,
  fingerprint: { readonly known: SourceFingerprint | undefined; readonly wanted: boolean },
  { target, assessment: assessed, listing, replay }: TargetSide,
): Promise<SourceRun> => {
  try {
    const assessment = await assessed;
    const { known, wanted } = fingerprint;
    // The source takes its fingerprint as it opens, unless it was taken already.
    const source = await located.open(known === undefined && wanted ? options : undefined, events);
    try {
      const run = await readSource({ source, assessment, target, journal, options, events, startedAt, listing, replay });
      // Failing to take it only means that no later run can be answered from the journal.
      const taken = known ?? (await source.fingerprint?.catch(() => undefined));
      return { ...run, fingerprint: taken };
    } finally {
      await source.close();
    }
  } finally {
    await target?.close();
  }
};

// Says when each study is complete on the target, and marks it (--mark-complete), for a source
// that knows each study's instances before it sends them (an index, a running Orthanc's listing);
// refuses the option otherwise.
const studyCompletion = ({ source, options, events, target, startedAt }: RunContext): StudyCompletion | undefined => {
  const sizeOf = source.studySize?.bind(source);
  if (sizeOf === undefined) {
    if (options.markComplete === undefined) return undefined;
    throw new ImporterError('E_USAGE', `--mark-complete needs a source that knows every instance of a study before it sends it: an Orthanc storage read through its index or a running Orthanc, not ${source.root}`);
  }
  // An inventory has no target for a study to be complete on; --no-verify proves none there.
  if (target === undefined || !options.verify) return undefined;
  const name = options.markComplete;
  const marker = name === undefined ? undefined : { target, name, value: startedAt.toISOString() };
  return new StudyCompletion(sizeOf, marker, events);
};

// Reads every file through the stages (and the walker's outcomes beside them) into the tally,
// the journal and the report.
const readSource = async (run: RunContext): Promise<Omit<SourceRun, 'fingerprint'>> => {
  const { source, journal, options, events, assessment, target } = run;
  const tally = new Tally();
  const studies = new StudyTally();
  // A source that cannot know studies whole (a walk): how spread the studies it sent were.
  const spread = source.features.wholeStudies || target === undefined || options.check ? undefined : new StudySpreadTally();
  const completion = studyCompletion(run);
  let marks: StudyMarks | undefined;
  let leftNothingToDo = true;
  let report: RunReports | undefined;
  let listing: RunListing | undefined;
  // The uploads in flight, when they adapt to what the target takes.
  let limit: AdaptiveLimit | undefined;
  // Carries each delivered instance's extras (an import, not a check nor an inventory).
  const carrier = target === undefined || options.check ? undefined : new ExtrasCarrier(target, options.verify);
  const gate = new ScheduleGate(options.schedule, events);
  // `stoppedWith`: the exit code of the failure that stopped the run. An interrupted or stopped run
  // claims no study complete: it only saw part of each.
  const summarize = (interrupted: boolean, warnings: readonly string[], stoppedWith?: number): Summary => {
    const elapsedSeconds = (Date.now() - run.startedAt.getTime()) / 1000;
    return tally.summarize({
      source: source.root,
      target: options.target?.display ?? null,
      recovery: options.target?.recovery ?? false,
      check: options.check,
      interrupted,
      ...(stoppedWith === undefined ? {} : { stoppedWith }),
      startedAt: run.startedAt,
      elapsedSeconds,
      warnings,
      index: source.summary,
      follow: source.follow?.state(),
      studies: source.features.wholeStudies ? { ...studies.summary(interrupted), ...(marks === undefined ? {} : { marks }) } : undefined,
      studySpread: spread?.summary(elapsedSeconds),
      filter: isEmptyFilter(options.filter) ? undefined : describeFilter(options.filter),
      extras: carrier?.summary(),
      uploadsInFlight: limit?.moves,
      pausedSeconds: gate.pausedSeconds(),
    });
  };
  // Ends the source's count in the background with the run.
  const counting = new AbortController();
  try {
    countItems(source, events, counting.signal);
    report = await RunReports.open(options);
    const delivery = target === undefined ? undefined : { target, verify: options.verify, failures: new FailureStreak() };
    const keepBytes = target !== undefined && !options.check;
    const workers = options.workers ?? defaultWorkers(keepBytes);
    const classifier = new Classifier({ ...options, workers, keepBytes, gzipWire: keepBytes && assessment?.gzipWire === true, md5ReadBack: keepBytes && options.verify && target.features.comparesMd5 && assessment?.transcoding !== true });
    const evidence = source.features.unknownFiles ? CacheEvidence.open() : undefined;
    try {
      const filter = isEmptyFilter(options.filter) ? undefined : options.filter;
      listing = run.listing === undefined ? undefined : openRunListing(run.listing, source.joinListing?.(), events);
      const shortcuts: Shortcuts = { journal, replay: run.replay, verify: options.verify, listing: listing?.lookup, target, skipExisting: options.skipExisting };
      const context: StageContext = { classifier, check: options.check, shortcuts, filter, remote: source.remote };
      const reserve = target?.reserve?.bind(target);
      if (reserve !== undefined && !options.check) await checkRoomFor(source, context, reserve);
      const prepared = mapBounded(untilAborted(gate.within(itemsOf(source, listing), options.signal), options.signal), Math.max(1, workers) * 4, (item) => prepare(item, context));
      // Files classified by content are a dicom-until-pixel-data cache only on evidence (cache-evidence.ts).
      const decided = evidence === undefined ? prepared : evidence.decide(prepared, (entry) => classifier.classify(entry), options.signal);
      // Puts a stage (or settles it without one) and drops its spooled file; nothing of its bytes is kept.
      const putAndRelease = async (stage: Stage1): Promise<Put> => {
        try {
          const sent = await settle(stage, context, delivery);
          if (sent.put !== undefined) limit?.add(sent.put);
          return { stage: { key: stage.key, studyId: stage.studyId, known: stage.known, extras: stage.extras }, sent };
        } finally {
          await stage.release?.();
        }
      };
      // Checks what a put left on the target, then carries its extras: off the upload slots.
      const checkAndCarry = async ({ stage, sent }: Put): Promise<Settled> => {
        const outcome = sent.check === undefined ? sent.outcome : await sent.check();
        return { stage, outcome: carrier === undefined ? outcome : await carrier.settle(outcome, stage.extras) };
      };
      // A target that batches wants many puts in flight: the bytes they hold are bounded too.
      const heldBytes = { weigh: (stage: Stage1) => (stage.classified?.kind === 'dicom' ? heldSize(stage.classified) : 0), max: BYTES_IN_FLIGHT };
      const puts = target?.features.putsInFlight ?? options.concurrency;
      const adaptive = options.check ? undefined : target?.features.adaptivePuts;
      limit = adaptive === undefined ? undefined : new AdaptiveLimit({ start: puts, min: Math.min(puts, ADAPTIVE_MIN_PUTS), max: adaptive.max });
      const adapted = limit;
      const put = mapBounded(decided, adapted === undefined ? puts : () => adapted.value, putAndRelease, heldBytes);
      // Room for every upload to finish while the checks run: a finished put does not wait for a check.
      const staged = mapBounded(put, () => CHECKS_IN_FLIGHT + (adapted?.value ?? puts), checkAndCarry);
      // The walker's outcomes are taken from the start: while the instances wait for the listing,
      // this thread has nothing better to do.
      const known = source.settled === undefined ? [] : [settledAtOnce(untilAborted(source.settled, options.signal))];
      // Counts, journals and reports one file's outcome.
      const account = ({ stage, outcome: settled, aside }: Settled): string | undefined => {
        if (aside !== true) tally.items++;
        const outcome = namedBySource(settled, stage.known);
        if (stage.key !== undefined && outcome.resumed !== true && outcome.fileClass !== 'excluded') journal?.record(stage.key, outcome, stage.known);
        if (!leavesNothingToDo(outcome, options.verify)) leftNothingToDo = false;
        tally.add(outcome);
        if (spread !== undefined && outcome.fileClass === 'dicom' && arrivedNow(outcome) && outcome.studyInstanceUid !== undefined) {
          spread.arrived(outcome.patientId ?? '', outcome.studyInstanceUid, Date.now());
        }
        if (stage.studyId !== undefined) {
          studies.expect(stage.studyId);
          if (countsForStudy(outcome, delivery)) {
            const counted = studies.add(stage.studyId, arrivedNow(outcome) ? Date.now() : undefined);
            completion?.counted(stage.studyId, counted.verified, counted.arrived, outcome);
          } else studies.miss(stage.studyId, missedBecause(outcome), outcome.studyInstanceUid ?? stage.known?.studyInstanceUid);
        }
        const line = report === undefined && journal === undefined ? undefined : reportLine(outcome);
        if (line !== undefined) journal?.recordReportLine(line);
        events.onOutcome?.(outcome, tally);
        return line;
      };
      let sinceTurn = 0;
      for await (const batch of merge(single(staged), ...known)) {
        const lines = batch.map(account).filter((line) => line !== undefined);
        if (lines.length > 0) await report?.addAll(lines);
        // Files settled from the journal or the target's listing resolve as promises only: let
        // timers, sockets and the storage walker's messages through now and then.
        sinceTurn += batch.length;
        if (sinceTurn >= OUTCOMES_PER_TURN) {
          sinceTurn = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      marks = await completion?.settled();
    } finally {
      listing?.close();
      await classifier.close();
      evidence?.close();
    }
  } catch (error) {
    // A run-stopping failure still leaves a complete JSON report of what was done before it, with
    // the exit code the process ends with.
    const stopped = `the run stopped early: ${(error as Error).message}`;
    const partial = summarize(true, [...options.warnings, ...(assessment?.warnings ?? []), stopped], exitCodeOf(error));
    await report?.finish(partial).catch(() => undefined);
    if (isImporterError(error)) error.summary ??= partial;
    throw error;
  } finally {
    counting.abort();
  }
  const warnings = [...options.warnings, ...(assessment?.warnings ?? [])];
  const summary = summarize(options.signal?.aborted === true, warnings);
  // What the summary found to warn about (a source without DICOM) is said as a warning too.
  for (const warning of summary.warnings.slice(warnings.length)) events.onWarning?.(warning);
  try {
    await report?.finish(summary);
  } catch (error) {
    // The run is done; a report that cannot be written (a full disk) still leaves its summary.
    if (isImporterError(error)) error.summary = summary;
    throw error;
  }
  return { summary, leftNothingToDo };
};

