import type { Confirmation } from '../run/confirm-complete.js';
import type { CompleteRun, Journal } from './journal.js';
import { noDeliveries, type Summary } from './report.js';
import { RunReports, type ReportPaths } from './run-reports.js';
import type { StudyCompleteness } from './studies.js';

// What this run saw of the delivered instances on the target; a recovery folder's files were each
// found with their size (run.ts, folderStillHolds), which is what this run saw of them.
const verification = (previous: Summary, confirmation: Confirmation | undefined): Pick<Summary, 'verified' | 'verifiedBy'> => {
  if (confirmation === undefined) return { verified: previous.verified, verifiedBy: { md5: 0, listing: 0, size: previous.verified, presence: 0 } };
  const { listing, md5, size, presence } = confirmation;
  return { verified: listing + md5 + size + presence, verifiedBy: { listing, md5, size, presence } };
};

/** What only the earlier run saw as it sent: its extras carried, its uploads, how its studies arrived and were marked. */
const EARLIER_RUN_ONLY = new Set(['extras', 'uploadsInFlight', 'wire', 'pausedSeconds', 'studySpread']);

// What the earlier run saw as it sent is its claim, not this run's (which sends nothing): left out;
// its studies' completeness stays (this run finds the deliveries on the target), not their arrivals.
const withoutEarlierClaims = (summary: Summary): Summary => {
  const kept = Object.fromEntries(Object.entries(summary).filter(([key]) => !EARLIER_RUN_ONLY.has(key))) as unknown as Summary;
  if (summary.studies === undefined) return kept;
  const studies = Object.fromEntries(Object.entries(summary.studies).filter(([key]) => key !== 'completedByThisRun' && key !== 'marks')) as unknown as StudyCompleteness;
  return { ...kept, studies };
};

/** What a replay needs to know of the run that asks for it. */
export interface ReplayContext extends ReportPaths {
  readonly startedAt: Date;
  readonly warnings: readonly string[];
  /** How this run saw the delivered instances on the target; undefined for a folder target. */
  readonly confirmation: Confirmation | undefined;
}

// Why: over a source unchanged since a complete run whose deliveries this run found on the target,
// the journal holds the rest of the answer; this writes it as this run's summary and report (every
// file counted as resumed: none was read or sent; verified as this run saw it on the target).
export const replayCompleteRun = async (run: CompleteRun, journal: Journal, context: ReplayContext): Promise<Summary> => {
  const report = await RunReports.open(context);
  await report?.addAll(journal.reportLines());
  const previous = withoutEarlierClaims(run.summary);
  const files = Object.values(previous.classes).reduce((sum, count) => sum + count.files, 0);
  const elapsedSeconds = (Date.now() - context.startedAt.getTime()) / 1000;
  const summary: Summary = {
    ...previous,
    interrupted: false,
    resumed: files,
    alreadyOnTarget: 0,
    unchangedSince: previous.startedAt,
    startedAt: context.startedAt.toISOString(),
    elapsedSeconds: Number(elapsedSeconds.toFixed(3)),
    statuses: noDeliveries(),
    ...verification(previous, context.confirmation),
    // Nothing was read or sent: no rate to speak of.
    instancesThisRun: 0,
    instancesPerSecond: 0,
    megabytesPerSecond: 0,
    bytesPerSecond: 0,
    answersLost: 0,
    warnings: [...context.warnings],
  };
  await report?.finish(summary);
  return summary;
};
