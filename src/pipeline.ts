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
import { Classifier } from './classify.js';
import { deliver, type Delivery } from './deliver.js';
import { mapBounded } from './map-bounded.js';
import type { ImportOptions } from './options.js';
import { assessTarget, checkTarget, type TargetAssessment, type TargetSystem } from './preflight.js';
import { Tally, type Summary } from './report.js';
import { ReportFile } from './report-file.js';
import { openSource } from './source/open-source.js';
import { StudyTally, type StudyCompleteness } from './studies.js';
import { Uploader } from './upload.js';
import type { Classified, FileEntry, FileOutcome, SourceItem } from './types.js';

/** Callbacks through which the core reports progress; the CLI draws them, the core never prints. */
export interface ImportEvents {
  readonly onTarget?: (system: TargetSystem) => void;
  readonly onWarning?: (message: string) => void;
  readonly onOutcome?: (outcome: FileOutcome, tally: Tally) => void;
}

type Stage1 = { readonly entry: FileEntry; readonly classified: Classified; readonly studyId?: string };

const sizeOnDisk = async (path: string): Promise<number> => {
  try {
    return (await lstat(path)).size;
  } catch {
    return 0;
  }
};

const classifyItem = async (item: SourceItem, classifier: Classifier, check: boolean): Promise<Stage1> => {
  const known = check ? knownFromIndex(item) : undefined;
  if (known !== undefined && item.kind === 'indexed') return { entry: item.entry, classified: known, studyId: item.studyId };
  switch (item.kind) {
    case 'settled':
      return { entry: item.entry, classified: { ...item.classified, diskSize: await sizeOnDisk(item.entry.path) } };
    case 'file':
      return { entry: item.entry, classified: await classifier.classify(item.entry) };
    case 'indexed':
      return { entry: item.entry, classified: await classifier.classify(item.entry, item.expected), studyId: item.studyId };
  }
};

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
    const uploader = options.target === undefined ? undefined : new Uploader(options.target, options);
    const delivery = uploader === undefined ? undefined : { uploader, verify: options.verify, transcoding: assessment?.transcoding ?? false };
    const classifier = new Classifier({ ...options, keepBytes: uploader !== undefined && !options.check });
    const settle = async (stage: Stage1): Promise<FileOutcome> =>
      options.check && uploader !== undefined ? checkOne(stage.entry, stage.classified, uploader) : deliver(stage.entry, stage.classified, delivery);
    try {
      const classified = mapBounded(source.items, options.workers * 4, (item) => classifyItem(item, classifier, options.check));
      const delivered = mapBounded(classified, options.concurrency, async (stage) => ({ stage, outcome: await settle(stage) }));
      for await (const { stage, outcome } of delivered) {
        tally.add(outcome);
        if (stage.studyId !== undefined && countsForStudy(outcome, delivery)) studies.add(stage.studyId);
        await report?.add(outcome);
        events.onOutcome?.(outcome, tally);
      }
    } finally {
      await classifier.close();
      await uploader?.close();
    }
    completeness = source.index === undefined ? undefined : studies.compare(source.index.studyInstanceCounts());
  } finally {
    await source.close();
  }
  const summary = tally.summarize({
    source: source.root,
    target: options.target?.display ?? null,
    check: options.check,
    startedAt,
    elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
    warnings: assessment?.warnings ?? [],
    index: source.indexSummary,
    studies: completeness,
  });
  await report?.finish(summary);
  return summary;
};
