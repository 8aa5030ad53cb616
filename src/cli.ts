#!/usr/bin/env node
// The command line: flags in, exit code out. All the work happens in the library (index.ts).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitCodeFor, formatSummary, isImporterError, resolveOptions, runImport } from './index.js';
import { DEFAULT_CONCURRENCY, defaultWorkers } from './options.js';
import { createProgress } from './progress.js';

const EPILOGUE = `Exit codes:
  0    every DICOM instance was delivered and verified (inventory: every file sound; check: all on the target)
  1    some files were rejected, failed, corrupt, missing or different on the target, or a study is incomplete (see --report)
  2    bad usage or configuration (unknown option, missing source, unwritable report or folder, Orthanc still running)
  3    the target is unreachable, not an Orthanc, refused the credentials, read-only, full or recycling
  130  interrupted (Ctrl-C, SIGTERM): the files in flight were finished; the same command resumes

Credentials come from the URL, else --username/--password, else ORTHANC_USERNAME/ORTHANC_PASSWORD.
They are never printed.`;

const parseArguments = (argv: string[]) =>
  yargs(argv)
    .scriptName('orthanc-import')
    .usage(
      '$0 <source> [target]\n$0 check <source> <target>\n$0 <source> <directory>\n\nImport every DICOM instance of a stopped Orthanc storage folder (compressed or not) or of any ' +
        'folder of DICOM files into an Orthanc, and explain every file that was not sent. Without a target, take an inventory. ' +
        '`check` uploads nothing and reports which source instances are absent or different on the target. ' +
        'A folder as the target recovers the storage into plain DICOM files.',
    )
    .positional('source', { type: 'string', describe: 'OrthancStorage folder, folder of DICOM files, or one file' })
    .positional('target', { type: 'string', describe: 'Orthanc URL http(s)://[user:pass@]host:port[/prefix], or a folder to recover into' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Classify everything, upload nothing (same as no target)' })
    .option('username', { alias: 'u', type: 'string', describe: 'HTTP Basic user (env ORTHANC_USERNAME)' })
    .option('password', { alias: 'p', type: 'string', describe: 'HTTP Basic password (env ORTHANC_PASSWORD)' })
    .option('header', { alias: 'H', type: 'string', array: true, describe: "Extra request header 'Name: value', repeatable" })
    .option('concurrency', { alias: 'c', type: 'number', default: DEFAULT_CONCURRENCY, describe: 'Uploads in flight' })
    .option('workers', { alias: 'w', type: 'number', default: defaultWorkers(), describe: 'Decode threads', defaultDescription: 'cores, at most 8' })
    .option('retries', { type: 'number', default: 4, describe: 'Retries of a transient upload failure (reset, 5xx, 429)' })
    .option('retry-timeout', { type: 'number', default: 600, describe: 'Seconds to wait for a target that went away before stopping (the run resumes later)' })
    .option('journal', { type: 'string', describe: 'The journal that makes the run resumable', defaultDescription: '$XDG_STATE_HOME/orthanc-import/journal-<source+target>.sqlite' })
    .option('restart', { type: 'boolean', default: false, describe: 'Ignore (and empty) the journal: start afresh' })
    .option('skip-existing', { type: 'boolean', default: true, describe: 'Skip instances the target already holds (--no-skip-existing: send all)' })
    .option('index', { type: 'string', describe: "Orthanc's SQLite index, when IndexDirectory is apart (--no-index: walk the folder even if it has one)", defaultDescription: '<source>/index when present' })
    .option('follow-symlinks', { type: 'boolean', default: false, describe: 'Follow symbolic links during the walk (loops are detected)' })
    .option('include-orphans', { type: 'boolean', default: false, describe: 'Also import files the index does not reference (deleted instances)' })
    .option('layout', { type: 'string', choices: ['hierarchy', 'flat', 'orthanc'], default: 'hierarchy', describe: 'Recovery: <PatientID>/<Study>/<Series>/<SOP>.dcm, <SOP>.dcm, or <Orthanc ID>.dcm', group: 'Recovery to a folder:' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'Recovery: replace an existing different file (else it is a conflict)', group: 'Recovery to a folder:' })
    .option('patient-id', { type: 'string', array: true, describe: 'Only this PatientID (repeatable)', group: 'Filters (partial migrations):' })
    .option('study-uid', { type: 'string', array: true, describe: 'Only this StudyInstanceUID (repeatable)', group: 'Filters (partial migrations):' })
    .option('accession', { type: 'string', array: true, describe: 'Only this AccessionNumber (repeatable)', group: 'Filters (partial migrations):' })
    .option('modality', { type: 'string', array: true, describe: 'Only series of this Modality, e.g. CT (repeatable)', group: 'Filters (partial migrations):' })
    .option('study-date', { type: 'string', describe: 'Only studies dated FROM..TO (YYYYMMDD; FROM.. and ..TO are open)', group: 'Filters (partial migrations):' })
    .option('verify', { type: 'boolean', default: true, describe: "Read back each instance's MD5 from the target (--no-verify: skip)" })
    .option('allow-recycling', { type: 'boolean', default: false, describe: 'Accept a target whose storage limits recycle (delete) old patients' })
    .option('report', { type: 'string', describe: 'Write a JSON report (summary + every file not uploaded) to this file' })
    .option('max-decoded-size', { type: 'number', default: 32 * 1024 ** 3, describe: 'Largest size a compressed file may announce, bytes' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress display, only the summary' })
    .example('$0 /var/lib/orthanc/db-v6', 'Inventory: classify every file, upload nothing')
    .example('$0 /var/lib/orthanc/db-v6 http://127.0.0.1:8042 --report run.json', 'Import a storage into a local Orthanc')
    .example('$0 check /var/lib/orthanc/db-v6 http://127.0.0.1:8042', 'Prove the target holds every source instance, same MD5')
    .example('$0 /var/lib/orthanc/db-v6 /mnt/recovered --layout flat', 'Recover a (compressed) storage into plain DICOM files, no server')
    .example('$0 /var/lib/orthanc/db-v6 http://new:8042 --modality CT --study-date 20190101..20201231', 'Move one modality, one period first')
    .example("$0 ./dicoms https://pacs.example/orthanc -u admin -H 'X-Api-Key: 123'", 'Import a raw folder behind a prefix')
    .epilogue(EPILOGUE)
    .demandCommand(1, 'Expected a source folder or file')
    .strict()
    .help()
    .version()
    .wrap(110)
    .exitProcess(false)
    .fail((message, error) => {
      // yargs passes no error for its own validation failures, despite its types.
      throw (error as Error | undefined) ?? new UsageError(message);
    })
    .parseSync();

class UsageError extends Error {}

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

const main = async (): Promise<number> => {
  let argv;
  try {
    argv = parseArguments(hideBin(process.argv));
  } catch (error) {
    process.stderr.write(`orthanc-import: ${(error as Error).message}\nRun orthanc-import --help for the options.\n`);
    return 2;
  }
  if (argv['help'] === true || argv['version'] === true) return 0;
  const positionals = argv._.map(String);
  const check = positionals[0] === 'check';
  if (check) positionals.shift();
  const [source, target, ...extra] = positionals;
  if (extra.length > 0 || source === undefined) {
    process.stderr.write(`orthanc-import: Expected <source> [target], got ${positionals.length} arguments\n`);
    return 2;
  }
  const interruption = listenForInterruption(argv.quiet);
  // yargs turns --no-index into index: false, whatever the option's declared type.
  const indexFlag = argv.index as unknown as string | boolean | undefined;
  const options = resolveOptions({
    source,
    indexPath: typeof indexFlag === 'string' ? indexFlag : undefined,
    useIndex: indexFlag !== false,
    includeOrphans: argv.includeOrphans,
    followSymlinks: argv.followSymlinks,
    check,
    target,
    dryRun: argv.dryRun,
    username: argv.username ?? process.env['ORTHANC_USERNAME'],
    password: argv.password ?? process.env['ORTHANC_PASSWORD'],
    headers: argv.header,
    concurrency: argv.concurrency,
    workers: argv.workers,
    retries: argv.retries,
    retryTimeout: argv.retryTimeout,
    journalPath: argv.journal,
    restart: argv.restart,
    skipExisting: argv.skipExisting,
    signal: interruption.signal,
    patientIds: argv.patientId,
    studyUids: argv.studyUid,
    accessions: argv.accession,
    modalities: argv.modality,
    studyDate: argv.studyDate,
    layout: argv.layout,
    overwrite: argv.overwrite,
    reportPath: argv.report,
    verify: argv.verify,
    allowRecycling: argv.allowRecycling,
    maxDecodedSize: argv.maxDecodedSize,
  });
  const progress = createProgress({ quiet: argv.quiet, stream: process.stderr, uploading: options.target !== undefined });
  try {
    const summary = await runImport(options, {
      onTarget: (system) => {
        if (!argv.quiet) process.stderr.write(`target: Orthanc ${system.version}${system.name === undefined ? '' : ` (${system.name})`} at ${options.target?.display ?? ''}\n`);
      },
      onWarning: (message) => {
        process.stderr.write(`warning: ${message}\n`);
      },
      onInfo: (message) => {
        if (!argv.quiet) process.stderr.write(`${message}\n`);
      },
      onOutcome: (_outcome, tally) => {
        progress.update(tally);
      },
    });
    progress.stop();
    process.stdout.write(`${formatSummary(summary)}\n`);
    return summary.interrupted ? 130 : summary.exitCode;
  } finally {
    progress.stop();
  }
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isImporterError(error)) {
      process.stderr.write(`orthanc-import: ${error.message}\n`);
      process.exitCode = exitCodeFor(error.code);
      return;
    }
    process.stderr.write(`orthanc-import: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
