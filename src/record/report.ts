import { Census, type CensusSummary } from './census.js';
import { countOf, formatBytes, formatCount, formatDuration, formatRate } from '../core/units.js';
import type { SourceSummary } from '../sources/source.js';
import { INTERRUPTED_EXIT_CODE } from '../core/errors.js';
import type { FollowState } from '../core/events.js';
import type { IncompleteStudy, StudyCompleteness } from './studies.js';
import type { StudySpread } from './study-spread.js';
import { FILE_CLASSES, type DeliveryStatus, type FileClass, type FileOutcome } from '../core/types.js';
import type { ExtrasSummary } from '../core/extras.js';

/** How this run saw delivered instances on the target (see FileOutcome.verified). */
export type Proof = NonNullable<FileOutcome['verified']>;

const PROOFS: readonly Proof[] = ['md5', 'listing', 'size', 'presence'];

const PROOF_LABELS: Record<Proof, string> = {
  md5: 'MD5 read back',
  listing: 'listed with the same size, MD5 read back by an earlier run',
  size: 'size only (the target tells no MD5)',
  presence: 'presence only (no MD5 compared: the target tells none, as a DICOMweb server without --verify full, or transcodes)',
};

/** Files and bytes (on disk) counted for one class. */
export interface ClassCount {
  files: number;
  bytes: number;
}

/** The end-of-run summary, printed for humans and written into the JSON report. */
export interface Summary {
  readonly source: string;
  /** The target URL without credentials; null for an inventory. */
  readonly target: string | null;
  readonly dryRun: boolean;
  /** A check: nothing was uploaded, the target was compared with the source. */
  readonly check: boolean;
  /** A recovery: decoded files were written to the target folder. */
  readonly recovery: boolean;
  /** Stopped early (Ctrl-C, SIGTERM, or a failure that stops the run): the next run resumes. */
  readonly interrupted: boolean;
  /** Files not read again: their outcome came from an earlier run's journal. */
  readonly resumed: number;
  /** Instances not sent: the target already held them (listed, and their MD5 read back). */
  readonly alreadyOnTarget: number;
  /**
   * When the source (index and storage folders) was unchanged since the complete run that began
   * then: this run read and sent nothing, every outcome came from the journal.
   */
  readonly unchangedSince?: string;
  /** What the filters keep (partial migration); absent without filters. */
  readonly filter?: string;
  /** Patients, studies, series, dates and modalities of the DICOM found or delivered. */
  readonly census: CensusSummary;
  readonly startedAt: string;
  readonly elapsedSeconds: number;
  /** --schedule: of elapsedSeconds, the time paused outside its windows (the rates leave it out); absent without a schedule. */
  readonly pausedSeconds?: number;
  readonly classes: Readonly<Record<FileClass, ClassCount>>;
  readonly statuses: Readonly<DeliveryCounts>;
  /** DICOM instances and decoded bytes delivered to the target (or found, in an inventory). */
  readonly instances: number;
  readonly dicomBytes: number;
  /**
   * Of those, the instances this run read from the source and sent (or wrote, checked, or found, in
   * an inventory), not replayed from the journal nor found in the target's listing: the rates count
   * only these, over the run's time.
   */
  readonly instancesThisRun: number;
  readonly instancesPerSecond: number;
  readonly megabytesPerSecond: number;
  /** The same rate in bytes per second, unrounded (what the text summary shows, in binary units). */
  readonly bytesPerSecond: number;
  /** Uploads whose answer was lost and whose instance was then found on the target with the same bytes. */
  readonly answersLost: number;
  /** Delivered instances whose stored copy this run saw on the target (by MD5 unless said otherwise). */
  readonly verified: number;
  /** `verified`, by how this run saw them there. */
  readonly verifiedBy: Readonly<Record<Proof, number>>;
  readonly warnings: readonly string[];
  /** What the source says of itself, when it has something to say (an Orthanc storage: its SQLite index). */
  readonly index?: SourceSummary;
  /** --follow: what following the source's change log saw, and the last lag. */
  readonly follow?: FollowState;
  /** A source that knows whole studies only: per-study completeness (verified on the target, or sound in the source for an inventory). */
  readonly studies?: StudyCompleteness;
  /** A source that cannot know a study before its files are parsed (a walk): how spread over the run the studies it stored into were. */
  readonly studySpread?: StudySpread;
  /** What Orthanc knows beyond the files (user metadata, attachments, labels): what was carried; absent when the source offered none. */
  readonly extras?: ExtrasSummary;
  /** Uploads in flight when the run adapted them (no --concurrency): where the limit started, went, and ended. */
  readonly uploadsInFlight?: UploadsInFlight;
  /** Bytes this run's uploads carried, for the instances the target took (an Orthanc target; absent when none was sent). */
  readonly wire?: WireSummary;
  /** The process's exit code (README, Exit codes): 130 interrupted, 2 or 3 stopped by a failure, 1, 0. */
  readonly exitCode: number;
}

/** What the uploads of a run carried (FileOutcome.wireBytes): the bytes sent, and the decoded bytes they stand for. */
export interface WireSummary {
  readonly instances: number;
  readonly sentBytes: number;
  readonly decodedBytes: number;
  /** Of `instances`, those sent as gzip (--wire-compression). */
  readonly gzipInstances: number;
}

/** What the pipeline knows of a run besides the per-file counts. */
export interface RunContext {
  readonly source: string;
  readonly target: string | null;
  readonly check: boolean;
  /** The target is a folder (recovery), not an Orthanc. */
  readonly recovery?: boolean;
  readonly interrupted?: boolean;
  /** The exit code of the failure that stopped the run (exitCodeOf), when one did. */
  readonly stoppedWith?: number;
  /** What the filters keep, when there are filters. */
  readonly filter?: string | undefined;
  readonly startedAt: Date;
  readonly elapsedSeconds: number;
  readonly warnings: readonly string[];
  readonly index?: SourceSummary | undefined;
  readonly follow?: FollowState | undefined;
  readonly studies?: StudyCompleteness | undefined;
  readonly studySpread?: StudySpread | undefined;
  readonly extras?: ExtrasSummary | undefined;
  readonly uploadsInFlight?: UploadsInFlight | undefined;
  readonly pausedSeconds?: number | undefined;
}

/** How the adaptive limit of uploads in flight moved during a run. */
export interface UploadsInFlight {
  readonly start: number;
  readonly largest: number;
  readonly final: number;
}

// A running Orthanc as the source (its URL): it answers the filters itself, so what they leave out is never seen, nor counted.
const isServerSource = (source: string): boolean => /^https?:\/\//i.test(source);

// A run that met no DICOM instance: the wrong folder, or server, or (a server answering the filters) filters that match nothing there.
const noDicomWarning = (source: string, filter: string | undefined): string => {
  if (!isServerSource(source)) return `no DICOM found in ${source}: is it the right folder?`;
  return filter === undefined ? `no DICOM instance in ${source}: is it the right server?` : `no DICOM instance of ${source} matches the filters (${filter})`;
};

/** Classes that make a run end with exit code 1: a file or instance that should have arrived and did not. */
export const BAD_CLASSES = ['rejected', 'failed', 'corrupt', 'too-deep', 'corrupt-source', 'missing', 'conflict', 'absent'] as const;

const badFiles = (classes: Readonly<Record<FileClass, ClassCount>>): number => BAD_CLASSES.reduce((sum, name) => sum + classes[name].files, 0);

const emptyClasses = (): Record<FileClass, ClassCount> =>
  Object.fromEntries(FILE_CLASSES.map((name) => [name, { files: 0, bytes: 0 }])) as Record<FileClass, ClassCount>;

/** What the targets did with this run's deliveries, counted in the core's words. */
export interface DeliveryCounts {
  stored: number;
  alreadyThere: number;
  dropped: number;
}

const STATUS_KEYS: Readonly<Record<DeliveryStatus, keyof DeliveryCounts>> = { stored: 'stored', 'already-there': 'alreadyThere', dropped: 'dropped' };

// Why: a summary that delivered nothing (an answer from the journal) counts no answers.
export const noDeliveries = (): DeliveryCounts => ({ stored: 0, alreadyThere: 0, dropped: 0 });

/** Running counts, cheap to update per file and to read for progress. */
export class Tally {
  readonly classes = emptyClasses();
  readonly statuses: DeliveryCounts = noDeliveries();
  files = 0;
  dicomBytes = 0;
  readonly census = new Census();
  verified = 0;
  readonly verifiedBy: Record<Proof, number> = { md5: 0, listing: 0, size: 0, presence: 0 };
  resumed = 0;
  alreadyOnTarget = 0;
  /** The source's items settled (not the storage walker's files found beside them): what SourceCount counts. */
  items = 0;
  /** DICOM instances (and their decoded bytes) this run read and sent itself: what the rates count. */
  thisRun = 0;
  thisRunBytes = 0;
  answersLost = 0;
  readonly wire = { instances: 0, sentBytes: 0, decodedBytes: 0, gzipInstances: 0 };

  // Counts one finished file.
  add(outcome: FileOutcome): void {
    this.files++;
    this.census.add(outcome);
    const count = this.classes[outcome.fileClass];
    count.files++;
    count.bytes += outcome.size;
    if (outcome.fileClass === 'dicom') this.dicomBytes += outcome.decodedSize ?? outcome.size;
    if (outcome.verified !== undefined && outcome.fileClass === 'dicom') {
      this.verified++;
      this.verifiedBy[outcome.verified]++;
    }
    // Statuses are the target's answers in this run: replayed and skipped files were not sent, and
    // an upload whose answer was lost got none.
    if (outcome.resumed === true) this.resumed++;
    else if (outcome.onTarget === true) this.alreadyOnTarget++;
    else if (outcome.answerLost === true) this.answersLost++;
    else if (outcome.status !== undefined) this.statuses[STATUS_KEYS[outcome.status]]++;
    if (outcome.wireBytes !== undefined && outcome.resumed !== true) {
      this.wire.instances++;
      this.wire.sentBytes += outcome.wireBytes;
      this.wire.decodedBytes += outcome.decodedSize ?? outcome.size;
      if (outcome.wireEncoding === 'gzip') this.wire.gzipInstances++;
    }
    if (outcome.fileClass === 'dicom' && outcome.resumed !== true && outcome.onTarget !== true) {
      this.thisRun++;
      this.thisRunBytes += outcome.decodedSize ?? outcome.size;
    }
  }

  // No file of the source is a DICOM instance (an empty folder, only junk): most likely the wrong folder.
  heldNoDicom(): boolean {
    return (['dicom', 'rejected', 'conflict', 'absent', 'excluded', 'missing', 'corrupt-source'] as const).every((name) => this.classes[name].files === 0);
  }

  // Freezes the counts into the summary of a finished run.
  summarize(context: RunContext): Summary {
    const { files: instances } = this.classes.dicom;
    const seconds = Math.max(context.elapsedSeconds - (context.pausedSeconds ?? 0), 1e-3);
    const bad = badFiles(this.classes);
    const interrupted = context.interrupted ?? false;
    const noDicom = !interrupted && this.heldNoDicom();
    // Extras that failed to be carried are errors too; those the target cannot hold are not (said in the summary).
    const finished = bad > 0 || noDicom || (context.studies?.incomplete.length ?? 0) > 0 || (context.studies?.marks?.failed ?? 0) > 0 || (context.extras?.failed ?? 0) > 0 ? 1 : 0;
    return {
      source: context.source,
      target: context.target,
      dryRun: context.target === null,
      check: context.check,
      recovery: context.recovery ?? false,
      interrupted,
      resumed: this.resumed,
      alreadyOnTarget: this.alreadyOnTarget,
      ...(context.filter === undefined ? {} : { filter: context.filter }),
      census: this.census.summary(),
      startedAt: context.startedAt.toISOString(),
      elapsedSeconds: Number(context.elapsedSeconds.toFixed(3)),
      ...(context.pausedSeconds === undefined ? {} : { pausedSeconds: Number(context.pausedSeconds.toFixed(3)) }),
      classes: structuredClone(this.classes),
      statuses: { ...this.statuses },
      instances,
      dicomBytes: this.dicomBytes,
      instancesThisRun: this.thisRun,
      instancesPerSecond: Number((this.thisRun / seconds).toFixed(1)),
      megabytesPerSecond: Number((this.thisRunBytes / 1e6 / seconds).toFixed(1)),
      bytesPerSecond: Math.round(this.thisRunBytes / seconds),
      answersLost: this.answersLost,
      verified: this.verified,
      verifiedBy: { ...this.verifiedBy },
      warnings: noDicom ? [...context.warnings, noDicomWarning(context.source, context.filter)] : [...context.warnings],
      ...(context.index === undefined ? {} : { index: context.index }),
      ...(context.follow === undefined ? {} : { follow: context.follow }),
      ...(context.studies === undefined ? {} : { studies: context.studies }),
      ...(context.studySpread === undefined ? {} : { studySpread: context.studySpread }),
      ...(context.extras === undefined ? {} : { extras: context.extras }),
      ...(context.uploadsInFlight === undefined ? {} : { uploadsInFlight: context.uploadsInFlight }),
      ...(this.wire.instances === 0 ? {} : { wire: { ...this.wire } }),
      exitCode: context.stoppedWith ?? (interrupted ? INTERRUPTED_EXIT_CODE : finished),
    };
  }
}

const LABELS: Record<FileClass, string> = {
  dicom: 'DICOM instances',
  'json-summary': 'JSON summaries (dicom-as-json)',
  'pixel-data-cache': 'pixel-data caches (dicom-until-pixel-data)',
  'too-deep': 'nested too deep (not sent: it crashes common DICOM servers)',
  'not-dicom': 'not DICOM',
  orphan: 'orphans: in the storage layout, not in the index (deleted instances)',
  missing: 'missing: the source lists it, its file is not there (already lost in the source)',
  'corrupt-source': 'corrupt in the source: size or MD5 differs from what the source records',
  corrupt: 'corrupt',
  rejected: 'rejected by the target',
  conflict: 'different on the target (not verified)',
  absent: 'not on the target (check)',
  excluded: 'excluded by the filters (not errors)',
  failed: 'failed',
};

// '(98 MD5 read back, 2 listed with ...)', the kinds of proof this run had, when there were any.
const describeProofs = (by: Readonly<Record<Proof, number>>): string => {
  const parts = PROOFS.filter((proof) => by[proof] > 0).map((proof) => `${formatCount(by[proof])} ${PROOF_LABELS[proof]}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
};

const formatCensus = (census: CensusSummary): string => {
  const dates = census.studyDates === undefined ? 'no study dates' : `study dates ${census.studyDates.first} to ${census.studyDates.last}`;
  const modalities = Object.entries(census.modalities).map(([name, count]) => `${name} ${formatCount(count)}`).join(', ');
  return `${countOf(census.patients, 'patient')}, ${countOf(census.studies, 'study', 'studies')}, ${countOf(census.series, 'series', 'series')}, ${countOf(census.instances, 'instance')} (${formatBytes(census.bytes)}); ${dates}; modalities: ${modalities || 'none'}`;
};

// The summary's line for --follow: what came, and the deletions seen (never propagated).
const describeFollow = ({ followedInstances, deletions, vanishedChanges }: FollowState): string => {
  const gone = deletions + vanishedChanges === 0 ? 'no deletion seen on the source' : `deleted on the source, not propagated: ${deletions} instances named by its log, ${vanishedChanges} changes gone from its log`;
  return `followed: ${followedInstances} new instances named by the source's change log; ${gone}`;
};

// The lines on what Orthanc knows beyond the files: carried, not carried (and why), lost.
const formatExtras = (extras: ExtrasSummary, target: string): string[] => {
  const lines: string[] = [];
  if (extras.notRead !== undefined) {
    lines.push(`  not carried: Orthanc's user metadata, attachments and labels of ${formatCount(extras.notRead)} instances (only an Orthanc target holds them; not read)`);
  }
  if (extras.instances > 0) {
    const notCarried = extras.notCarried > 0 ? `, ${extras.notCarried} not carried (what ${target} cannot hold: see the report)` : '';
    const failed = extras.failed > 0 ? `, ${extras.failed} FAILED (see the report; the next run tries again)` : '';
    const none = extras.carried + extras.notCarried + extras.failed === 0;
    const what = none ? `none on the ${formatCount(extras.instances)} instances delivered or their parents` : `${formatCount(extras.carried)} carried for ${formatCount(extras.instances)} instances and their parents`;
    lines.push(`  beyond the files (user metadata, attachments, labels): ${what}${notCarried}${failed}`);
  }
  const lost = Object.entries(extras.lost).map(([name, count]) => `${name} ${formatCount(count)}`);
  if (lost.length > 0) lines.push(`  not carried, no client may write them (the target records its own): ${lost.join(', ')}`);
  return lines;
};

// '12.5 s', or '13 h 05 min' for a pause over a day's windows.

/** Incomplete studies named in the text summary; the JSON report lists every one. */
const INCOMPLETE_STUDIES_SHOWN = 5;

// An incomplete study in the text summary: by its UID when known, with what became of the instances it lacks.
const describeIncomplete = (study: IncompleteStudy): string => {
  const why = Object.entries(study.why).map(([what, count]) => `${formatCount(count)} ${what}`).join(', ');
  const name = study.studyInstanceUid === undefined ? study.studyId : `${study.studyInstanceUid} (${study.studyId})`;
  return `    incomplete: study ${name}, ${formatCount(study.verified)} of ${formatCount(study.expected)} verified${why === '' ? '' : `: ${why}`}`;
};

// How spread the studies of a walked folder were over the run.
const describeSpread = (spread: StudySpread): string => {
  const percent = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
  return `studies this run stored into: ${formatCount(spread.studies)}, each arriving over ${formatDuration(spread.medianSpanSeconds)} (median, ${percent(spread.medianShare)} of the run), ${formatDuration(spread.largestSpanSeconds)} at most (${percent(spread.largestShare)}); a folder is sent in its own order, not a study at a time`;
};

// How the studies this run completed arrived: over how long each, first instance to last.
const describeArrivals = ({ completedByThisRun: done }: StudyCompleteness): string =>
  done === undefined
    ? ''
    : `; ${formatCount(done.studies)} completed by this run, each arriving over ${formatDuration(done.medianSpanSeconds)} (median), ${formatDuration(done.largestSpanSeconds)} at most (first instance to last)`;

// Renders the summary as the few lines a person reads at the end of a run.
export const formatSummary = (summary: Summary): string => {
  const title = summary.check
    ? `Checked ${summary.source} against ${summary.target ?? ''} (nothing uploaded)`
    : summary.recovery
      ? `Recovered ${summary.source} into the folder ${summary.target ?? ''}`
      : `${summary.dryRun ? 'Inventory of' : 'Imported'} ${summary.source}${summary.target === null ? '' : ` into ${summary.target}`}`;
  const lines: string[] = [title];
  for (const name of FILE_CLASSES) {
    const { files, bytes } = summary.classes[name];
    if (files === 0 && name !== 'dicom') continue;
    lines.push(`  ${name.padEnd(17)} ${formatCount(files).padStart(9)} ${files === 1 ? 'file ' : 'files'} ${formatBytes(bytes).padStart(12)} on disk  ${LABELS[name]}`);
  }
  if (summary.recovery && !summary.check) {
    lines.push(`  files: ${formatCount(summary.statuses.stored)} written, ${formatCount(summary.statuses.alreadyThere)} already there and identical`);
    lines.push(`  verified in the folder by this run: ${formatCount(summary.verified)} of ${countOf(summary.instances, 'delivered instance')}${describeProofs(summary.verifiedBy)}`);
  } else if (!summary.dryRun && !summary.check) {
    const { stored, alreadyThere, dropped } = summary.statuses;
    const lost = summary.answersLost > 0 ? `, ${countOf(summary.answersLost, 'answer')} lost (found on the target with the same bytes)` : '';
    lines.push(`  target answers: ${formatCount(stored)} stored, ${formatCount(alreadyThere)} already there, ${formatCount(dropped)} dropped${lost}`);
    lines.push(`  verified on the target by this run: ${formatCount(summary.verified)} of ${countOf(summary.instances, 'delivered instance')}${describeProofs(summary.verifiedBy)}`);
  }
  if (summary.uploadsInFlight !== undefined) {
    const { start, largest, final } = summary.uploadsInFlight;
    lines.push(`  uploads in flight: adapted from ${start}, up to ${largest}, ${final} at the end (--concurrency N fixes it)`);
  }
  if (summary.index !== undefined) lines.push(`  ${summary.index.described}`);
  if (summary.follow !== undefined) lines.push(`  ${describeFollow(summary.follow)}`);
  if (summary.studies?.notChecked === true) {
    lines.push(`  studies: ${formatCount(summary.studies.total)} begun, incomplete or not checked (the run stopped early)`);
  } else if (summary.studies !== undefined) {
    const what = summary.dryRun ? 'sound in the source' : 'complete on the target';
    lines.push(`  studies ${what}: ${formatCount(summary.studies.complete)}/${formatCount(summary.studies.total)}${describeArrivals(summary.studies)}`);
    const { incomplete } = summary.studies;
    lines.push(...incomplete.slice(0, INCOMPLETE_STUDIES_SHOWN).map(describeIncomplete));
    if (incomplete.length > INCOMPLETE_STUDIES_SHOWN) lines.push(`    and ${formatCount(incomplete.length - INCOMPLETE_STUDIES_SHOWN)} more incomplete studies: see the report (--report FILE.json)`);
  }
  if (summary.studySpread !== undefined) lines.push(`  ${describeSpread(summary.studySpread)}`);
  const marks = summary.studies?.marks;
  if (marks !== undefined) {
    lines.push(`  studies marked complete (metadata ${marks.name}): ${formatCount(marks.marked)} marked now, ${formatCount(marks.present)} marked before${marks.failed > 0 ? `, ${formatCount(marks.failed)} NOT marked (see the warnings)` : ''}`);
  }
  if (summary.extras !== undefined) lines.push(...formatExtras(summary.extras, summary.target ?? ''));
  if (summary.wire !== undefined && summary.wire.gzipInstances > 0) {
    const { instances, sentBytes, decodedBytes, gzipInstances } = summary.wire;
    lines.push(`  on the wire: ${formatBytes(sentBytes)} sent for ${formatBytes(decodedBytes)} decoded (${formatCount(gzipInstances)} of ${formatCount(instances)} instances as gzip)`);
  }
  if (summary.filter !== undefined) {
    const rest = isServerSource(summary.source) ? 'asked of the source: what it left out is not counted' : 'everything else is counted as excluded';
    lines.push(`  filters: ${summary.filter} (${rest})`);
  }
  if (summary.dryRun) lines.push(`  ${formatCensus(summary.census)}`);
  if (summary.unchangedSince !== undefined) lines.push(`  the source is unchanged since the complete run of ${summary.unchangedSince}: nothing was read or sent`);
  if (summary.resumed > 0) lines.push(`  ${countOf(summary.resumed, 'file')} not read again: done in an earlier run (journal)`);
  if (summary.alreadyOnTarget > 0) lines.push(`  ${countOf(summary.alreadyOnTarget, 'instance')} not sent: the target already held ${summary.alreadyOnTarget === 1 ? 'it' : 'them'} (seen there by this run: see 'verified' above)`);
  for (const warning of summary.warnings) lines.push(`  warning: ${warning}`);
  if (summary.interrupted) lines.push('  INTERRUPTED: the files in flight were finished; run the same command again to resume');
  // A check by presence alone (a DICOMweb server without --verify full) says so, not "same MD5".
  const byPresence = summary.verifiedBy.presence + summary.verifiedBy.size > 0;
  const action = summary.check ? `on the target${byPresence ? '' : ' with the same MD5'}, checked` : summary.dryRun ? 'found' : 'delivered';
  // The rates count only the instances this run read and sent itself (not those an earlier run or
  // the target's listing accounts for).
  const speed = `${summary.instancesPerSecond} instances/s, ${formatRate(summary.bytesPerSecond)}`;
  const rate =
    summary.instancesThisRun === 0
      ? 'none of them by this run'
      : summary.dryRun
        ? `read at ${speed}; nothing was uploaded`
        : `${summary.instancesThisRun === summary.instances ? 'all' : formatCount(summary.instancesThisRun)} of them by this run, ${speed}`;
  lines.push(`  ${countOf(summary.instances, 'instance')} (${formatBytes(summary.dicomBytes)} decoded) ${action} in ${formatDuration(summary.elapsedSeconds)}: ${rate}`);
  if (summary.pausedSeconds !== undefined) lines.push(`  paused outside the --schedule windows: ${formatDuration(summary.pausedSeconds)} (the rates leave that time out)`);
  if (summary.statuses.dropped > 0) lines.push('  warning: instances were dropped by the target (a filter there): the report lists each with its answer');
  if (summary.exitCode === 1 && (badFiles(summary.classes) > 0 || (summary.studies?.incomplete.length ?? 0) > 0)) {
    lines.push(
      summary.check
        ? `  the target does NOT hold every source instance${byPresence ? '' : ' with the same MD5'}: see the report (--report FILE.json)`
        : '  some files were rejected, failed, corrupt, in conflict with the target, or incomplete: see the report (--report FILE.json)',
    );
  }
  if (summary.exitCode === 1 && (summary.extras?.failed ?? 0) > 0 && !summary.check) {
    lines.push('  some of what Orthanc knows beyond the files failed to be carried: see the report (--report FILE.json)');
  }
  return lines.join('\n');
};
