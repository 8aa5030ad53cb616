/*
 *  walk(source)            fs.opendir, depth-first, lazy: one open directory per level
 *      │ FileEntry
 *      ▼
 *  mapBounded(4 × workers) ──► Classifier (piscina, --workers threads)
 *      │ {entry, Classified}      read → inflate Orthanc zlib → sniff → parse header → MD5
 *      ▼                          (bytes moved back, or streamed later when large)
 *  mapBounded(concurrency) ──► Uploader (undici Pool, --concurrency sockets) POST /instances
 *      │ FileOutcome
 *      ▼
 *  Tally + ReportFile + events.onOutcome
 *
 *  Each stage pulls from the one above only when it has a free slot and its last result was
 *  taken, so at most 4 × workers + concurrency decoded files exist at once, and a slow target
 *  slows the walk.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Classifier } from './classify.js';
import { ImporterError } from './errors.js';
import { decodedStream } from './file-body.js';
import { mapBounded } from './map-bounded.js';
import type { ImportOptions } from './options.js';
import { assessTarget, checkTarget, type TargetAssessment, type TargetSystem } from './preflight.js';
import { Tally, type Summary } from './report.js';
import { ReportFile } from './report-file.js';
import { Uploader, type UploadResult } from './upload.js';
import { compareStored } from './verify.js';
import { walk, type WalkItem } from './walk.js';
import type { Classified, DecodedDicom, FileEntry, FileOutcome } from './types.js';

/** Callbacks through which the core reports progress; the CLI draws them, the core never prints. */
export interface ImportEvents {
  readonly onTarget?: (system: TargetSystem) => void;
  readonly onWarning?: (message: string) => void;
  readonly onOutcome?: (outcome: FileOutcome, tally: Tally) => void;
}

type Stage1 = { readonly entry: FileEntry; readonly classified: Classified };

/** The target side of a run: where to send, and how to check what arrived. */
interface Delivery {
  readonly uploader: Uploader;
  readonly verify: boolean;
  readonly transcoding: boolean;
}

const outcomeOfUpload = (entry: FileEntry, dicom: DecodedDicom, result: UploadResult): FileOutcome => {
  const base = { path: entry.relativePath, size: dicom.diskSize, encoding: dicom.encoding, decodedSize: dicom.decodedSize, md5: dicom.md5, sopInstanceUid: dicom.header.sopInstanceUid };
  switch (result.kind) {
    case 'stored':
      return { ...base, fileClass: 'dicom', status: result.status, instanceId: result.id, httpStatus: result.httpStatus };
    case 'rejected':
      return {
        ...base,
        fileClass: 'rejected',
        instanceId: dicom.orthancId,
        reason: `the target answered HTTP ${result.httpStatus}: ${result.message}${result.details === undefined ? '' : ` (${result.details})`}`,
        httpStatus: result.httpStatus,
        orthancMessage: result.message,
        ...(result.details === undefined ? {} : { orthancDetails: result.details }),
      };
    case 'failed':
      return { ...base, fileClass: 'failed', instanceId: dicom.orthancId, reason: result.reason };
  }
};

// Reads back what the target stored and turns a stored outcome into verified, conflict or unverified.
const verifyOutcome = async (outcome: FileOutcome, dicom: DecodedDicom, delivery: Delivery): Promise<FileOutcome> => {
  if (!delivery.verify || outcome.status === undefined || outcome.status === 'FilteredOut' || outcome.instanceId === undefined) return outcome;
  const stored = await delivery.uploader.storedAttachment(outcome.instanceId);
  const verdict = compareStored(outcome.status, { md5: dicom.md5, size: dicom.decodedSize }, stored, delivery.transcoding);
  switch (verdict.kind) {
    case 'verified':
      return { ...outcome, verified: verdict.by };
    case 'conflict':
      return { ...outcome, fileClass: 'conflict', reason: verdict.reason };
    case 'unverified':
      return { ...outcome, reason: `delivered, not verified: ${verdict.reason}` };
  }
};

const deliver = async ({ entry, classified }: Stage1, delivery: Delivery | undefined): Promise<FileOutcome> => {
  if (classified.kind === 'skipped') {
    const { fileClass, reason, encoding } = classified;
    return { path: entry.relativePath, size: classified.diskSize, fileClass, reason, ...(encoding === undefined ? {} : { encoding }) };
  }
  if (delivery === undefined) {
    const { encoding, decodedSize, md5, orthancId } = classified;
    return { path: entry.relativePath, size: classified.diskSize, fileClass: 'dicom', encoding, decodedSize, md5, instanceId: orthancId, sopInstanceUid: classified.header.sopInstanceUid };
  }
  const body = classified.bytes ?? (() => decodedStream(entry.path, classified.encoding));
  const outcome = outcomeOfUpload(entry, classified, await delivery.uploader.upload(body, classified.decodedSize));
  return verifyOutcome(outcome, classified, delivery);
};

const classifyItem = async (item: WalkItem, classifier: Classifier): Promise<Stage1> => {
  if (item.kind === 'unreadable') {
    return { entry: item.entry, classified: { kind: 'skipped', fileClass: item.fileClass, reason: item.reason, diskSize: 0 } };
  }
  return { entry: item.entry, classified: await classifier.classify(item.entry) };
};

const checkSource = async (source: string): Promise<void> => {
  try {
    await stat(source);
  } catch (error) {
    throw new ImporterError('E_SOURCE', `Cannot read the source ${source} (${(error as { code?: string }).code ?? String(error)})`, { cause: error });
  }
};

// Runs one import (or inventory, without a target) from start to summary: the library's entry point.
export const runImport = async (options: ImportOptions, events: ImportEvents = {}): Promise<Summary> => {
  const source = resolve(options.source);
  await checkSource(source);
  let assessment: TargetAssessment | undefined;
  if (options.target !== undefined) {
    const system = await checkTarget(options.target);
    events.onTarget?.(system);
    assessment = assessTarget(system, options);
    for (const warning of assessment.warnings) events.onWarning?.(warning);
  }
  const report = options.reportPath === undefined ? undefined : await ReportFile.open(options.reportPath);
  const startedAt = new Date();
  const tally = new Tally();
  const uploader = options.target === undefined ? undefined : new Uploader(options.target, options);
  const delivery = uploader === undefined ? undefined : { uploader, verify: options.verify, transcoding: assessment?.transcoding ?? false };
  const classifier = new Classifier({ ...options, keepBytes: uploader !== undefined });
  try {
    const classified = mapBounded(walk(source), options.workers * 4, (item) => classifyItem(item, classifier));
    for await (const outcome of mapBounded(classified, options.concurrency, (stage1) => deliver(stage1, delivery))) {
      tally.add(outcome);
      await report?.add(outcome);
      events.onOutcome?.(outcome, tally);
    }
  } finally {
    await classifier.close();
    await uploader?.close();
  }
  const elapsedSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const warnings = assessment?.warnings ?? [];
  const summary = tally.summarize({ source, target: options.target?.display ?? null, startedAt, elapsedSeconds, warnings });
  await report?.finish(summary);
  return summary;
};
