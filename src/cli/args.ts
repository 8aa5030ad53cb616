// The command line's grammar, with node:util's parseArgs (yargs took 60 ms to load, a quarter of
// a run that has nothing to do: see the README's "Packages").
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseInterval } from './interval.js';
import { DEFAULT_CONCURRENCY, DEFAULT_SOURCE_CONCURRENCY, DEFAULT_STUDIES_IN_FLIGHT } from '../core/options.js';
import { COLOR_MODES, type ColorMode } from './color.js';
import { commandOf, optionOf, selectHelp } from './help-layout.js';
import { didYouMean, nearest } from './suggest.js';

/** A command line that cannot run: the message says why, the CLI exits 2. */
export class UsageError extends Error {}

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  header: { type: 'string', short: 'H', multiple: true },
  concurrency: { type: 'string', short: 'c' },
  'wire-compression': { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  'source-username': { type: 'string' },
  'source-password': { type: 'string' },
  'source-header': { type: 'string', multiple: true },
  'source-concurrency': { type: 'string' },
  workers: { type: 'string', short: 'w' },
  retries: { type: 'string' },
  'retry-timeout': { type: 'string' },
  journal: { type: 'string' },
  restart: { type: 'boolean' },
  'skip-existing': { type: 'boolean' },
  index: { type: 'string' },
  'follow-symlinks': { type: 'boolean' },
  'include-orphans': { type: 'boolean' },
  'studies-in-flight': { type: 'string' },
  'mark-complete': { type: 'string' },
  verify: { type: 'boolean' },
  'allow-recycling': { type: 'boolean' },
  report: { type: 'string' },
  'report-csv': { type: 'string' },
  'log-file': { type: 'string' },
  json: { type: 'boolean' },
  'max-decoded-size': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  layout: { type: 'string' },
  overwrite: { type: 'boolean' },
  'patient-id': { type: 'string', multiple: true },
  'study-uid': { type: 'string', multiple: true },
  accession: { type: 'string', multiple: true },
  modality: { type: 'string', multiple: true },
  'study-date': { type: 'string' },
  follow: { type: 'boolean' },
  'until-idle': { type: 'string' },
  bwlimit: { type: 'string' },
  schedule: { type: 'string' },
  stats: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  color: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

/** String options that also have a --no- form: --no-index (walk), --no-color (--color never). */
const NEGATED_STRINGS = ['no-index', 'no-color'];

/** Every long option the command line knows (the tests check that --help documents each). */
export const OPTION_NAMES: readonly string[] = [...Object.keys(OPTIONS), ...NEGATED_STRINGS];

/** The options `check` does not take, as its help names them: `check --help` leaves them out. */
const NOT_FOR_CHECK = new Set(['dry-run', 'wire-compression', 'journal', 'restart', 'no-skip-existing', 'studies-in-flight', 'mark-complete', 'no-verify', 'overwrite', 'follow', 'until-idle', 'bwlimit', 'schedule']);

export const HELP = `orthanc-import <source> [target] [options]
orthanc-import check <source> <target> [options]
orthanc-import <source> <directory> [options]
orthanc-import help [check]

Import every DICOM instance of a stopped Orthanc storage folder (compressed or not) or of any folder of
DICOM files into an Orthanc, and explain every file that was not sent. Without a target, take an
inventory. \`check\` uploads nothing and reports which source instances are absent or different on the
target (an Orthanc or a folder). A folder as the target recovers the storage into plain DICOM files.

Arguments:
  source                  OrthancStorage folder, folder of DICOM files, one file, or a running Orthanc
                          http(s)://[user:pass@]host:port[/prefix] (copied over its REST API while it
                          keeps serving; each instance proven against the source's own MD5)
  target                  Orthanc URL http(s)://[user:pass@]host:port[/prefix], a DICOMweb server
                          dicomweb+http(s)://[user:pass@]host:port/ROOT (ROOT: /dicom-web for Orthanc's
                          plugin; STOW-RS in batches), or a folder to recover into,
                          written as a path (/mnt/out, ./out, ../out) or already existing; anything else
                          (127.0.0.1:8042, pacs.example.org) is refused: did you mean http://...?

Options:
      --dry-run           Classify everything, upload nothing (same as no target)
  -u, --username USER     HTTP Basic user (env ORTHANC_USERNAME)
  -p, --password PASS     HTTP Basic password (env ORTHANC_PASSWORD)
  -H, --header 'N: v'     Extra request header 'Name: value', repeatable
  -c, --concurrency N     Uploads in flight, fixed (default: from ${DEFAULT_CONCURRENCY} into an Orthanc, growing
                          while the throughput grows, back when it does not or puts fail)
      --wire-compression M  Uploads to an Orthanc (1.6.0 or later) as gzip: auto (default) when a request
                          to it takes 10 ms or more (a wide-area link: the link, not the server, is the
                          bottleneck), gzip always, none never. Stored zlib is re-wrapped, not
                          recompressed; raw files are compressed at level 1 when that saves 5%
      --ca FILE           PEM file of CA certificates trusted, beside Node's (and NODE_EXTRA_CA_CERTS),
                          for every https:// connection: the target, a running Orthanc source
      --insecure          No certificate check on https:// connections (a self-signed test server):
                          said as a warning, at the start and in the summary; not with --ca
      --source-username U  HTTP Basic user of an Orthanc source (env ORTHANC_SOURCE_USERNAME)
      --source-password P  Its password (env ORTHANC_SOURCE_PASSWORD)
      --source-header 'N: v'  Extra request header to the Orthanc source, repeatable
      --source-concurrency N  Requests to an Orthanc source in flight, so that it keeps answering its
                          users (default ${DEFAULT_SOURCE_CONCURRENCY})
  -w, --workers N         Decode threads, 0 to decode on the main thread (default: the cores
                          but one, at most 8; 0 on 2 cores or fewer when uploading)
      --retries N         Retries of a transient upload failure: reset, 5xx, 429 (default 4)
      --retry-timeout S   Seconds to wait for a target that went away before stopping; the run resumes
                          later (default 600)
      --journal FILE      The journal that makes the run resumable; one run at a time per journal (a
                          second is refused, naming the PID of the first)
                          (default $XDG_STATE_HOME/orthanc-import/journal-<source+target>.sqlite)
      --restart           Ignore (and empty) the journal: start afresh
      --no-skip-existing  Send every instance, even those the target already holds (those the journal
                          records as delivered and the target still holds are not sent again:
                          add --restart for that)
      --index FILE        Orthanc's SQLite index, when IndexDirectory is apart (default <source>/index)
      --no-index          Walk the folder even if it has an index
      --follow-symlinks   Follow symbolic links during the walk (loops are detected)
      --include-orphans   Also import files the index does not reference (deleted instances)
      --studies-in-flight N  An index or a running Orthanc: send the instances a few studies at a
                          time, series taking turns, so each study arrives whole early (default ${DEFAULT_STUDIES_IN_FLIGHT};
                          0: the index's UUID order, or one study after the other as listed)
      --mark-complete NAME  An Orthanc target: once every instance of a study is verified there,
                          set the study's metadata NAME (declared in its UserMetadata) to the
                          run's start time; an index or a running Orthanc as the source
      --no-verify         Do not read back each instance's MD5 from the target
      --verify full       DICOMweb: also retrieve each instance (WADO-RS) and compare its MD5 (default:
                          its presence and SOP Class through QIDO-RS)
      --allow-recycling   Accept a target whose storage limits recycle (delete) old patients
      --report FILE       Write a JSON report (summary + every file not uploaded) to this file (checked
                          before the run: a directory or a missing folder is refused)
      --report-csv FILE   Write the files not delivered (the report's list) as CSV, one row each: path,
                          class, PatientID, StudyInstanceUID, SOPInstanceUID, instance ID, reason;
                          for a spreadsheet (UTF-8 with BOM; a cell starting = + - @ gets a ')
      --log-file FILE     Append the run's events as JSON lines (run-start, file, warning, info,
                          study-complete, summary, error), each with its time and the run's ID
      --json              Print the summary as JSON on stdout instead of text (progress and warnings
                          stay on stderr)
      --max-decoded-size B  Largest size a compressed file may announce, bytes (default 32 GiB)
  -q, --quiet             No progress display, only the summary (a spinner on a terminal; plain lines
                          every 10 s elsewhere, on a 0-column terminal or with TERM=dumb)
      --stats DURATION    A timestamped progress line this often: 500ms, 1s, 30s, 2m, 1h (default 10s
                          off a terminal; on a terminal, lines above the spinner only when given; 0: none)
  -v, --verbose           A line per file (what became of it, and why); every error, not the first 5
      --color WHEN        Colour warnings and errors: auto (default: on a terminal, unless NO_COLOR is set
                          or TERM=dumb; FORCE_COLOR forces it, FORCE_COLOR=0 forbids it), always, never
      --no-color          The same as --color never
  -h, --help              Show this help; check --help (or help check): the options of check
  -V, --version           Show the version

Recovery to a folder (refused with an Orthanc URL or without a target):
      --layout L          hierarchy: <PatientID>/<Study>/<Series>/<SOP>.dcm (default), flat: <SOP>.dcm,
                          orthanc: <Orthanc ID>.dcm; a name taken by another instance's file gives
                          <name>~<first 8 hex of the Orthanc ID>.dcm beside it (one path per instance)
      --overwrite         Replace an existing other version of the same instance (else it is a
                          conflict); another instance's file is never replaced

Following a running Orthanc (the source is its URL; refused with check, --dry-run or no target):
      --follow            After the bulk copy, copy what the source stores from then on, read from its
                          change log from where it was when the run began, until Ctrl-C; the progress
                          shows how far behind (changes, seconds); deletions on the source are
                          reported, never propagated
      --until-idle S      Follow (implies --follow) until S seconds pass without a change on the source

Good neighbour (a shared link, a server in use by day):
      --bwlimit RATE      Cap what is sent to the target, in BYTES per second, shared by every upload
                          in flight: 10M = 10 MiB/s (k, M, G: binary; no bits). Downloads from a running
                          Orthanc source are not counted
      --schedule SPEC     Work only inside these windows, local time: 'Mon-Fri 19:00-07:00, Sat-Sun'
                          (19:00 of each of those days to 07:00 the next morning; days alone: whole
                          days; times alone: every day). Outside them, no new file is taken (those in
                          flight finish) and the run waits for the next window; Ctrl-C stops it

Filters (partial migrations; repeat an option to keep several values):
      --patient-id ID     Only this PatientID
      --study-uid UID     Only this StudyInstanceUID
      --accession NUMBER  Only this AccessionNumber
      --modality M        Only series of this Modality, e.g. CT
      --study-date RANGE  Only studies dated FROM..TO, both days included, YYYYMMDD or YYYY-MM-DD;
                          FROM.. and ..TO are open, one date is that day

Examples:
  orthanc-import /var/lib/orthanc/db-v6
      Inventory: classify every file, upload nothing
  orthanc-import /var/lib/orthanc/db-v6 http://127.0.0.1:8042 --report run.json
      Import a storage into a local Orthanc
  orthanc-import check /var/lib/orthanc/db-v6 http://127.0.0.1:8042
      Prove the target holds every source instance, same MD5
  orthanc-import /var/lib/orthanc/db-v6 /mnt/recovered --layout flat
      Recover a (compressed) storage into plain DICOM files, no server
  orthanc-import /var/lib/orthanc/db-v6 http://new:8042 --modality CT --study-date 2019-01-01..2020-12-31
      Move one modality, one period first
  orthanc-import ./dicoms https://pacs.example/orthanc -u admin -H 'X-Api-Key: 123'
      Import a raw folder behind a prefix
  orthanc-import ./dicoms https://pacs.example:8043 --ca /etc/ssl/hospital-ca.pem
      Trust the hospital's own CA for an https:// target (or source)
  orthanc-import http://old:8042 http://new:8042 --source-username admin
      Copy a running Orthanc (any index or storage backend) to another, verified

Exit codes:
  0    every DICOM instance was delivered and verified (inventory: every file sound; check: all on the
       target)
  1    some files were rejected, failed, corrupt, missing or different on the target, a study is
       incomplete (see --report), or the source holds no DICOM at all
  2    bad usage or configuration (unknown option, missing source, a target neither URL nor path,
       unwritable report, CSV, log file or folder, unreadable index, journal in use by another run,
       Orthanc still running on the storage, whatever the options)
  3    the target is unreachable, not an Orthanc, refused the credentials, read-only, full (its disk,
       or its own limit), recycling, or failed 50 uploads in a row the same way
  130  interrupted (Ctrl-C, SIGTERM): the files in flight were finished; the same command resumes
  The JSON report's exitCode is always the exit code of the process.

Credentials come from the URL, else --username/--password, else ORTHANC_USERNAME/ORTHANC_PASSWORD
(an Orthanc source's: its URL, else --source-username/--source-password, else ORTHANC_SOURCE_USERNAME/
ORTHANC_SOURCE_PASSWORD). They are never printed, whatever the URL's shape.
`;

// `check --help` and `help check`: the general help's sections with check's own head, without
// the options check does not take (NOT_FOR_CHECK) and with its examples only.
const CHECK_HEAD = `orthanc-import check <source> <target> [options]

Upload nothing: prove that the target (an Orthanc, a DICOMweb server, a recovery folder) holds every
source instance with the MD5 it has in the source, before the old server goes. Exit 0 only when every
source instance is there, the same; --report lists each one absent or different. In index mode the
MD5s come from the index, so the files are not even read.
`;

/** What help is asked for: the whole, or check's. */
export type HelpTopic = 'all' | 'check';

// Why: the help to show for a topic (as written; main.ts wraps it to the terminal).
export const helpText = (topic: HelpTopic): string =>
  topic === 'all'
    ? HELP
    : selectHelp(HELP, CHECK_HEAD, 'Arguments:', (entry) => {
        const option = optionOf(entry);
        if (option !== undefined) return !NOT_FOR_CHECK.has(option);
        return commandOf(entry)?.startsWith('orthanc-import check ') ?? true;
      });

/** The command line, read. */
export type CliArgs =
  | { readonly kind: 'help'; readonly topic: HelpTopic }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly check: boolean;
      readonly source: string;
      readonly target: string | undefined;
      /** false: --no-index. */
      readonly index: string | false | undefined;
      /** --verify full. */
      readonly verifyFull: boolean;
      readonly values: Values;
      readonly numbers: Numbers;
    };

type Values = ReturnType<typeof parse>['values'];

/** The options given as numbers (undefined: the library's default). */
export interface Numbers {
  readonly concurrency: number | undefined;
  readonly sourceConcurrency: number | undefined;
  readonly workers: number | undefined;
  readonly retries: number | undefined;
  readonly retryTimeout: number | undefined;
  readonly maxDecodedSize: number | undefined;
  readonly untilIdle: number | undefined;
  readonly studiesInFlight: number | undefined;
  /** --stats, in milliseconds. */
  readonly statsMs: number | undefined;
}

const parse = (args: string[]) => parseArgs({ args, options: OPTIONS, allowPositionals: true, allowNegative: true, strict: true });

const number = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`Expected --${name} to be a number, got '${text}'`);
  return value;
};

const interval = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = parseInterval(text);
  if (value === undefined) throw new UsageError(`Expected --${name} to be a duration such as 1s, 30s, 2m or 500ms, got '${text}'`);
  return value;
};

const COMMANDS = ['check', 'help'];
const FLAGS = Object.entries(OPTIONS).flatMap(([name, option]) => (option.type === 'boolean' ? [`no-${name}`] : []));
/** The long options as they may be written (a flag's --no- form too), for suggestions. */
const LONG_NAMES: readonly string[] = [...OPTION_NAMES, ...FLAGS];
const SHORT_NAMES: readonly string[] = Object.values(OPTIONS).flatMap((option) => ('short' in option ? [option.short] : []));

// A mistyped option is refused naming the nearest known one; so is a long option written with
// one dash (-quiet), which parseArgs would read as -q -u iet.
const refuseUnknownOptions = (args: string[]): void => {
  const { tokens } = parseArgs({ args, options: OPTIONS, allowPositionals: true, allowNegative: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const written = args[token.index] ?? '';
    if (/^-[^-]/.test(written) && LONG_NAMES.includes(written.slice(1))) throw new UsageError(`unknown option '${written}': did you mean -${written}?`);
    const long = token.rawName.startsWith('--');
    const typed = token.rawName.slice(long ? 2 : 1);
    if (long ? LONG_NAMES.includes(typed) : SHORT_NAMES.includes(typed)) continue;
    const suggestions = long ? nearest(typed, LONG_NAMES).map((name) => `--${name}`) : nearest(typed, SHORT_NAMES).map((name) => `-${name}`);
    throw new UsageError(`unknown option '${token.rawName}'${didYouMean(suggestions)}`);
  }
};

// `chek /var/lib/orthanc/db-v6 …`: a first word near a command, and no file or folder of that name.
const refuseMistypedCommand = (word: string, exists: (path: string) => boolean): void => {
  const suggestions = nearest(word, COMMANDS);
  if (suggestions.length > 0 && !exists(word)) throw new UsageError(`'${word}' is neither a command nor a file or folder${didYouMean(suggestions)}`);
};

// `help` and `help check`.
const helpTopic = (words: readonly string[]): HelpTopic => {
  const [topic, ...rest] = words;
  if (topic === undefined) return 'all';
  if (topic === 'check' && rest.length === 0) return 'check';
  throw new UsageError(`Expected help or help check, got 'help ${words.join(' ')}'${didYouMean(nearest(topic, ['check']))}`);
};

// --color WHEN or --no-color; what they ask for is read by requestedColor.
const refuseWrongColor = (text: string | undefined, never: boolean): void => {
  if (never && text !== undefined) throw new UsageError('Expected either --color WHEN or --no-color, not both');
  if (text !== undefined && !COLOR_MODES.some((known) => known === text)) {
    throw new UsageError(`Expected --color to be auto, always or never, got '${text}'${didYouMean(nearest(text, COLOR_MODES))}`);
  }
};

// Why: the colour asked for, read from any command line, also one refused (readArguments refuses a
// wrong --color), so that the refusal itself is written as asked.
export const requestedColor = (argv: readonly string[]): ColorMode => {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  let mode: ColorMode = 'auto';
  head.forEach((arg, at) => {
    const value = arg === '--no-color' ? 'never' : arg === '--color' ? head[at + 1] : arg.startsWith('--color=') ? arg.slice('--color='.length) : undefined;
    mode = COLOR_MODES.find((known) => known === value) ?? mode;
  });
  return mode;
};

// Why: the CLI is a thin adapter; this turns argv into what it needs, or a UsageError naming the
// problem, never a stack trace. `exists` tells a mistyped command from a source of that name.
export const readArguments = (argv: readonly string[], exists: (path: string) => boolean = existsSync): CliArgs => {
  // --no-index and --no-color negate string options, which parseArgs only does for booleans.
  const end = argv.indexOf('--');
  const head = end === -1 ? [...argv] : argv.slice(0, end);
  const negated = (name: string): boolean => head.includes(`--${name}`);
  // `--verify full` (or --verify=full): a boolean flag with a value, which parseArgs does not take.
  const full = head.findIndex((arg, at) => arg === '--verify=full' || (arg === 'full' && head[at - 1] === '--verify'));
  if (full !== -1) head.splice(full, 1, ...(head[full] === 'full' ? [] : ['--verify']));
  const args = [...head.filter((arg) => !NEGATED_STRINGS.some((name) => arg === `--${name}`)), ...(end === -1 ? [] : argv.slice(end))];
  refuseUnknownOptions(args);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const positionals = [...parsed.positionals];
  if (positionals[0] === 'help') return { kind: 'help', topic: helpTopic(positionals.slice(1)) };
  const check = positionals[0] === 'check';
  if (values.help === true) return { kind: 'help', topic: check ? 'check' : 'all' };
  if (values.version === true) return { kind: 'version' };
  if (check) positionals.shift();
  else if (positionals[0] !== undefined) refuseMistypedCommand(positionals[0], exists);
  const [source, target, ...extra] = positionals;
  if (source === undefined) throw new UsageError('Expected a source folder, file or Orthanc URL');
  if (extra.length > 0) throw new UsageError(`Expected <source> [target], got ${positionals.length} arguments`);
  if (negated('no-index') && values.index !== undefined) throw new UsageError('Expected either --index FILE or --no-index, not both');
  refuseWrongColor(values.color, negated('no-color'));
  return {
    kind: 'run',
    check,
    source,
    target,
    index: negated('no-index') ? false : values.index,
    verifyFull: full !== -1,
    values,
    numbers: {
      concurrency: number('concurrency', values.concurrency),
      sourceConcurrency: number('source-concurrency', values['source-concurrency']),
      workers: number('workers', values.workers),
      retries: number('retries', values.retries),
      retryTimeout: number('retry-timeout', values['retry-timeout']),
      maxDecodedSize: number('max-decoded-size', values['max-decoded-size']),
      untilIdle: number('until-idle', values['until-idle']),
      studiesInFlight: number('studies-in-flight', values['studies-in-flight']),
      statsMs: interval('stats', values.stats),
    },
  };
};
