import type { CompleteRun, Journal } from './journal.js';
import type { Summary } from './report.js';
import { ReportFile } from './report-file.js';

/** What a replay needs to know of the run that asks for it. */
export interface ReplayContext {
  readonly reportPath: string | undefined;
  readonly startedAt: Date;
  readonly warnings: readonly string[];
}

// Why: over a source unchanged since a complete run, the journal already holds the answer; this
// writes it as this run's summary and report (every file counted as resumed: none was read or sent).
export const replayCompleteRun = async (run: CompleteRun, journal: Journal, context: ReplayContext): Promise<Summary> => {
  const report = context.reportPath === undefined ? undefined : await ReportFile.open(context.reportPath);
  await report?.addAll(journal.reportLines());
  const previous = run.summary;
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
    statuses: { Success: 0, AlreadyStored: 0, FilteredOut: 0 },
    // Nothing was read or sent: no rate to speak of.
    instancesThisRun: 0,
    instancesPerSecond: 0,
    megabytesPerSecond: 0,
    answersLost: 0,
    warnings: [...context.warnings],
  };
  await report?.finish(summary);
  return summary;
};
