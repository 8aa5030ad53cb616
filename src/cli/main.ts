#!/usr/bin/env node
// The command line: flags in, exit code out. All the work happens in the library (index.ts).
import { helpText, readArguments, requestedColor, UsageError, type CliArgs } from './args.js';
import { EventLog, exitCodeOf, formatSummary, isImporterError, resolveOptions, runImport, type ImportEvents, type ImportInput, type Summary } from '../index.js';
import { colorEnabled, createPalette, type Palette } from './color.js';
import { helpWidth, wrapHelp } from './help-layout.js';
import { createProgress } from './progress.js';
import { VERSION } from '../core/version.js';
import type { SourceCount } from '../core/events.js';

// First Ctrl-C (or SIGTERM): stop taking new files and let the ones in flight finish, so the summary
// is printed and the journal holds everything done. A second one exits at once; the files that were
// in flight are simply sent again by the next run.
const listenForInterruption = (quiet: boolean): AbortController => {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${signal} again: stopping now; the next run resumes\n`);
      process.exit(130);
    }
    controller.abort();
    if (!quiet) process.stderr.write(`\n${signal}: finishing the files in flight (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
};

// Colour as --color asks, decided for each stream: stderr (warnings, errors), stdout (the summary).
const asked = requestedColor(process.argv.slice(2));
const stderrStyle = createPalette(colorEnabled(asked, process.stderr));
const stdoutStyle = createPalette(colorEnabled(asked, process.stdout));

// The summary, its first line a title.
const summaryText = (summary: Summary, style: Palette): string => {
  const [title = '', ...rest] = formatSummary(summary).split('\n');
  return [style.bold(title), ...rest].join('\n');
};

const main = async (): Promise<number> => {
  let args: CliArgs;
  try {
    args = readArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${stderrStyle.error(`orthanc-import: ${error.message}`)}\nRun orthanc-import --help for the options.\n`);
    return 2;
  }
  if (args.kind === 'help') {
    process.stdout.write(wrapHelp(helpText(args.topic), helpWidth(process.stdout)));
    return 0;
  }
  if (args.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { values, numbers } = args;
  const quiet = values.quiet === true;
  const interruption = listenForInterruption(quiet);
  const options = resolveOptions({
    source: args.source,
    indexPath: typeof args.index === 'string' ? args.index : undefined,
    useIndex: args.index !== false,
    includeOrphans: values['include-orphans'],
    followSymlinks: values['follow-symlinks'],
    check: args.check,
    target: args.target,
    dryRun: values['dry-run'],
    username: values.username ?? process.env['ORTHANC_USERNAME'],
    password: values.password ?? process.env['ORTHANC_PASSWORD'],
    headers: values.header,
    sourceUsername: values['source-username'] ?? process.env['ORTHANC_SOURCE_USERNAME'],
    sourcePassword: values['source-password'] ?? process.env['ORTHANC_SOURCE_PASSWORD'],
    sourceHeaders: values['source-header'],
    sourceConcurrency: numbers.sourceConcurrency,
    concurrency: numbers.concurrency,
    wireCompression: values['wire-compression'] as ImportInput['wireCompression'],
    caPath: values.ca,
    insecure: values.insecure,
    workers: numbers.workers,
    retries: numbers.retries,
    retryTimeout: numbers.retryTimeout,
    journalPath: values.journal,
    restart: values.restart,
    skipExisting: values['skip-existing'],
    signal: interruption.signal,
    patientIds: values['patient-id'],
    studyUids: values['study-uid'],
    accessions: values.accession,
    modalities: values.modality,
    studyDate: values['study-date'],
    layout: values.layout,
    overwrite: values.overwrite,
    reportPath: values.report,
    reportCsvPath: values['report-csv'],
    verify: values.verify,
    verifyFull: args.verifyFull,
    allowRecycling: values['allow-recycling'],
    maxDecodedSize: numbers.maxDecodedSize,
    follow: values.follow,
    untilIdle: numbers.untilIdle,
    studiesInFlight: numbers.studiesInFlight,
    markComplete: values['mark-complete'],
    bwlimit: values.bwlimit,
    schedule: values.schedule,
  });
  // --json: the summary is the one JSON document on stdout.
  const printSummary = (summary: Summary): void => {
    process.stdout.write(`${values.json === true ? JSON.stringify(summary, null, 2) : summaryText(summary, stdoutStyle)}\n`);
  };
  const log = values['log-file'] === undefined ? undefined : EventLog.open(values['log-file'], options);
  const delivered = options.target === undefined ? 'found' : options.check ? 'on the target' : 'delivered';
  const progress = createProgress({ quiet, stream: process.stderr, delivered, statsMs: numbers.statsMs, verbose: values.verbose === true, reportPath: options.reportPath, color: stderrStyle.enabled });
  let summary: Summary;
  try {
    const events: ImportEvents = {
      onJournal: (path) => {
        if (!quiet) progress.note(`journal: ${path} (the same command resumes)`);
      },
      onTarget: (about) => {
        if (!quiet) progress.note(`target: ${about} at ${options.target?.display ?? ''}`);
      },
      onWarning: (message) => {
        progress.note(stderrStyle.warning(`warning: ${message}`));
      },
      onInfo: (message) => {
        if (!quiet) progress.note(message);
      },
      onOutcome: (outcome, tally) => {
        progress.update(outcome, tally);
      },
      // Asked for only when shown: a walked folder is counted apart to give it.
      ...(quiet
        ? {}
        : {
            onTotal: (count: SourceCount) => {
              progress.total(count);
            },
          }),
      onFollow: (state) => {
        progress.follow(state);
      },
      onSchedule: (until) => {
        progress.schedule(until);
      },
    };
    summary = await runImport(options, log?.events(events) ?? events);
  } catch (error) {
    // A run stopped half-way still says what it had done (the report, if any, says the same).
    progress.stop();
    log?.end({ error });
    if (isImporterError(error) && error.summary !== undefined) printSummary(error.summary);
    throw error;
  } finally {
    progress.stop();
  }
  printSummary(summary);
  log?.end({ summary });
  // The library decides the exit code, so the JSON report (summary.exitCode) says the same.
  return summary.exitCode;
};

// Exits once stdout and stderr are flushed. Everything the run opened is closed by then; the
// runtime may still be busy in the background (undici's HTTP parser is WebAssembly, compiled
// further after first use: about 70 ms), which a finished run has no reason to wait for.
const exit = (code: number): void => {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
};

main().then(exit, (error: unknown) => {
  const message = isImporterError(error) ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${stderrStyle.error(`orthanc-import: ${message}`)}\n`);
  exit(exitCodeOf(error));
});
