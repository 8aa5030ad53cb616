// The library's entry point: a run over a source unchanged since a complete run is answered from
// the journal; any other run reads the source through the pipeline (pipeline.ts), which is only
// loaded then (with piscina and the rest; undici once something is sent), so that answer stays quick.
import { confirmCompleteRun, type Confirmation } from './confirm-complete.js';
import type { ImportEvents } from '../core/events.js';
import { defaultJournalPath, Journal } from '../record/journal.js';
import type { ImportOptions } from '../core/options.js';
import type { Target, TargetAssessment } from '../targets/target.js';
import { probeReportPath } from '../record/report-file.js';
import { listingPlan } from './run-listing.js';
import { replayCompleteRun } from '../record/replay.js';
import type { Summary } from '../record/report.js';
import { isEmptyFilter } from '../core/filter.js';
import { locateSource } from '../sources/registry.js';
import type { LocatedSource } from '../sources/source.js';

// Opens the journal of an import or a recovery (not of an inventory or a check). The target names
// itself (TargetSpec.identity): a recovery's layout is part of its job, the same folder in another
// layout is another job, whose files the journal of the first must not answer for.
const openJournal = (options: ImportOptions, root: string): Journal | undefined => {
  const targetName = options.target?.identity;
  if (targetName === undefined || options.check) return undefined;
  const identity = { source: root, target: targetName };
  return Journal.open(options.journalPath ?? defaultJournalPath(identity), identity, { restart: options.restart });
};

// A complete run is remembered by the source's fingerprint: a source that can take one, a run
// with a journal, without filters (a filtered run leaves the rest to do).
const fingerprintWanted = (options: ImportOptions, located: LocatedSource, journal: Journal | undefined): boolean =>
  journal !== undefined && located.fingerprint !== undefined && isEmptyFilter(options.filter);

// The target's word on a complete run's deliveries: undefined when it no longer holds them all as
// they were, so the source is read again.
const confirmOnTarget = async (journal: Journal, options: ImportOptions, target: Target | undefined, events: ImportEvents): Promise<Confirmation | undefined> => {
  if (target === undefined) return undefined;
  const result = await confirmCompleteRun(journal, { target, verify: options.verify });
  if (result.kind === 'confirmed') return result.counts;
  const why = result.unprovable === undefined ? `no longer holds everything it delivered as it was (${result.path})` : `cannot tell whether it still holds ${result.path} (${result.unprovable})`;
  events.onInfo?.(`the source is unchanged since the complete run, but the target ${why}: reading the source again`);
  return undefined;
};

// Asks the target who it is (once, as the run begins), passing its warnings on.
const assess = (target: Target | undefined, events: ImportEvents): Promise<TargetAssessment | undefined> => {
  if (target === undefined) return Promise.resolve(undefined);
  const assessment = target.assess().then((answer) => {
    for (const warning of answer.warnings) events.onWarning?.(warning);
    return answer;
  });
  assessment.catch(() => undefined); // met where the run awaits it
  return assessment;
};

// Runs one import (or inventory, without a target) from start to summary.
export const runImport = async (options: ImportOptions, events: ImportEvents = {}): Promise<Summary> => {
  const startedAt = new Date();
  for (const warning of options.warnings) events.onWarning?.(warning);
  if (options.reportPath !== undefined) probeReportPath(options.reportPath);
  if (options.reportCsvPath !== undefined) probeReportPath(options.reportCsvPath, 'CSV report');
  const located = await locateSource(options, options);
  const journal = openJournal(options, located.root);
  if (journal !== undefined) events.onJournal?.(journal.path);
  try {
    const wanted = fingerprintWanted(options, located, journal);
    const complete = journal?.completeRun();
    // Only a journal that vouches for a complete run needs the fingerprint now (otherwise the
    // storage walker takes it, beside the run, before it lists anything); the target is asked who
    // it is meanwhile (it opens no connection before), and its answer serves either way.
    const compareNow = complete !== undefined && wanted;
    const target = options.target?.open(options, events);
    const assessment = assess(target, events);
    let handedOver = false;
    try {
      const known = compareNow ? await located.fingerprint?.now(options) : undefined;
      if (journal !== undefined && complete !== undefined && complete.fingerprint === known?.digest) {
        const { warnings: targetWarnings } = (await assessment) ?? { warnings: [] };
        const warnings = [...options.warnings, ...targetWarnings];
        const confirmation = await confirmOnTarget(journal, options, target, events);
        if (confirmation !== undefined) {
          events.onInfo?.(`the source is unchanged since the complete run of ${complete.summary.startedAt}: its outcomes come from the journal ${journal.path}, each delivered instance was found on the target`);
          return await replayCompleteRun(complete, journal, { reportPath: options.reportPath, reportCsvPath: options.reportCsvPath, startedAt, warnings, confirmation });
        }
      }
      journal?.startRun();
      const replay = journal?.isEmpty() === false;
      // The target is asked for the first pages of its listing while the pipeline is loaded: every instance will need them.
      const listing = listingPlan(options, journal !== undefined, target, assessment);
      const { importSource } = await import('./pipeline.js');
      handedOver = true;
      const { summary, leftNothingToDo, fingerprint } = await importSource(located, journal, options, events, startedAt, { known, wanted }, { target, assessment, listing, replay });
      // A run that found no DICOM is not remembered: its answer (exit 1) needs its warning, said anew.
      if (journal !== undefined && fingerprint?.trustworthy === true && leftNothingToDo && !summary.interrupted && summary.instances > 0) {
        journal.finishRun({ fingerprint: fingerprint.digest, summary });
      }
      return summary;
    } finally {
      // importSource closes the target it was handed.
      if (!handedOver) await target?.close();
    }
  } finally {
    journal?.close();
  }
};
