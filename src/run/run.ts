// The library's entry point: a run over a source unchanged since a complete run is answered from
// the journal; any other run reads the source through the pipeline (pipeline.ts), which is only
// loaded then (with piscina and the rest; undici once something is sent), so that answer stays quick.
import { resolve } from 'node:path';
import { confirmCompleteRun, type Confirmation } from './confirm-complete.js';
import type { ImportEvents } from '../core/events.js';
import { defaultJournalPath, Journal } from '../record/journal.js';
import type { ImportOptions } from '../core/options.js';
import { openTarget, type OpenedTarget } from '../targets/open-target.js';
import { prepareTarget } from '../targets/orthanc/preflight.js';
import { probeReportPath } from '../record/report-file.js';
import { listingPlan } from './run-listing.js';
import { replayCompleteRun } from '../record/replay.js';
import { firstMissing } from '../targets/folder/recorded.js';
import type { Summary } from '../record/report.js';
import { isEmptyFilter } from '../core/filter.js';
import { locateSource } from '../sources/registry.js';
import type { LocatedSource } from '../sources/source.js';

// Opens the journal of an import or a recovery (not of an inventory or a check). A recovery's
// layout is part of its job: the same folder in another layout is another job, whose files the
// journal of the first must not answer for.
const openJournal = (options: ImportOptions, root: string): Journal | undefined => {
  const targetName = options.output === undefined ? options.target?.display : `folder:${options.output.dir} (layout ${options.output.layout})`;
  if (targetName === undefined || options.check) return undefined;
  const identity = { source: root, target: targetName };
  return Journal.open(options.journalPath ?? defaultJournalPath(identity), identity, { restart: options.restart });
};

// A complete run is remembered by the source's fingerprint: a source that can take one, a run
// with a journal, without filters (a filtered run leaves the rest to do).
const fingerprintWanted = (options: ImportOptions, located: LocatedSource, journal: Journal | undefined): boolean =>
  journal !== undefined && located.fingerprint !== undefined && isEmptyFilter(options.filter);

// The target's word on a complete run's deliveries: undefined when it no longer holds them all as
// they were (a folder target: see folderStillHolds), so the source is read again.
const confirmOnTarget = async (journal: Journal, options: ImportOptions, opened: OpenedTarget, events: ImportEvents): Promise<Confirmation | undefined> => {
  const assessment = await opened.assessment;
  if (opened.uploader === undefined) return undefined;
  const confirmation = await confirmCompleteRun(journal, { uploader: opened.uploader, verify: options.verify, transcoding: assessment?.transcoding ?? false });
  if (confirmation === undefined) events.onInfo?.('the source is unchanged since the complete run, but the target no longer holds everything it delivered as it was: reading the source again');
  return confirmation;
};

// A recovery is answered from the journal only while its folder holds every file the journal
// records; otherwise the run goes on as any other, and writes again what is missing.
const folderStillHolds = async (options: ImportOptions, journal: Journal, events: ImportEvents): Promise<boolean> => {
  if (options.output === undefined) return false;
  const missing = await firstMissing(resolve(options.output.dir), journal.outcomes());
  if (missing !== undefined) events.onInfo?.(`${missing} is no longer in ${options.output.dir} as the journal records it: the source is read again`);
  return missing === undefined;
};

// Runs one import (or inventory, without a target) from start to summary.
export const runImport = async (options: ImportOptions, events: ImportEvents = {}): Promise<Summary> => {
  const startedAt = new Date();
  if (options.reportPath !== undefined) probeReportPath(options.reportPath);
  const located = await locateSource(options);
  const journal = openJournal(options, located.root);
  try {
    const wanted = fingerprintWanted(options, located, journal);
    const complete = journal?.completeRun();
    // Only a journal that vouches for a complete run needs the fingerprint now (otherwise the
    // storage walker takes it, beside the run, before it lists anything); the target is asked who
    // it is meanwhile, and its answer serves either way.
    const compareNow = complete !== undefined && wanted;
    const target = compareNow ? prepareTarget(options, events) : undefined;
    target?.catch(() => undefined);
    const known = compareNow ? await located.fingerprint?.now(options) : undefined;
    // The target is asked who it is and then for the first pages of its listing, while the
    // pipeline is loaded: every instance will need them.
    const opened = openTarget(options, events, target);
    if (journal !== undefined && complete !== undefined && complete.fingerprint === known?.digest) {
      // A recovery folder confirms every recorded file itself (sink/recorded.ts).
      const folderWhole = await folderStillHolds(options, journal, events);
      const confirmation = folderWhole ? undefined : await confirmOnTarget(journal, options, opened, events);
      if (folderWhole || confirmation !== undefined) {
        const { warnings } = (await opened.assessment) ?? { warnings: [] };
        events.onInfo?.(`the source is unchanged since the complete run of ${complete.summary.startedAt}: its outcomes come from the journal ${journal.path}, each delivered instance was found on the target`);
        await opened.uploader?.close();
        return await replayCompleteRun(complete, journal, { reportPath: options.reportPath, startedAt, warnings, confirmation });
      }
    }
    journal?.startRun();
    const replay = journal?.isEmpty() === false;
    const listing = listingPlan(options, journal !== undefined, opened.uploader, opened.assessment);
    const { importSource } = await import('./pipeline.js');
    const { summary, leftNothingToDo, fingerprint } = await importSource(located, journal, options, events, startedAt, { known, wanted }, { target: opened, listing, replay });
    // A run that found no DICOM is not remembered: its answer (exit 1) needs its warning, said anew.
    if (journal !== undefined && fingerprint?.trustworthy === true && leftNothingToDo && !summary.interrupted && summary.instances > 0) {
      journal.finishRun({ fingerprint: fingerprint.digest, summary });
    }
    return summary;
  } finally {
    journal?.close();
  }
};
