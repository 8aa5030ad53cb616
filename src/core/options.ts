import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ImporterError } from './errors.js';
import { parseDateRange, type Filter } from './filter.js';
import { redactUrl } from './redact.js';
import { recoveryOptionsGiven } from '../targets/http/endpoint.js';
import { parseTargetSpec } from '../targets/registry.js';
import { parseSchedule, type Schedule } from './schedule.js';
import { parseRate, Throttle } from '../targets/http/throttle.js';
import { INSECURE_WARNING, resolveTls, type TlsSettings } from '../targets/http/tls.js';
import type { TargetSpec } from '../targets/target.js';

/** What a caller may give runImport; every field but `source` has a default. */
export interface ImportInput {
  /** A storage folder, a folder of DICOM files, one file, or the http(s):// URL of a running Orthanc. */
  readonly source: string;
  /** An Orthanc URL, or a local folder to recover into; absent for an inventory (nothing is uploaded). */
  readonly target?: string | undefined;
  /** Recovery: how files are named in the target folder. @default 'hierarchy' */
  readonly layout?: string | undefined;
  /** Recovery: replace an existing different file instead of reporting a conflict. @default false */
  readonly overwrite?: boolean | undefined;
  /** Classify only, even with a target. @default false */
  readonly dryRun?: boolean | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Extra request headers as 'Name: value'. */
  readonly headers?: readonly string[] | undefined;
  /** A running Orthanc as the source: its credentials (the URL's win) and extra headers, apart from the target's. */
  readonly sourceUsername?: string | undefined;
  readonly sourcePassword?: string | undefined;
  readonly sourceHeaders?: readonly string[] | undefined;
  /** Requests to a running Orthanc source in flight. @default 4 */
  readonly sourceConcurrency?: number | undefined;
  /** How instances are downloaded from a running Orthanc (the bench compares both). @default 'compressed-data' */
  readonly sourceDownload?: 'compressed-data' | 'file' | undefined;
  /** Uploads in flight, fixed. @default adaptive: from 4, growing while the throughput grows (an Orthanc target) */
  readonly concurrency?: number | undefined;
  /** Uploads to an Orthanc as gzip (Content-Encoding): 'auto' when the link is slow (README), always, or never. @default 'auto' */
  readonly wireCompression?: WireCompression | undefined;
  /** Decode threads. @default the cores but one (the main thread's HTTP needs one), at least 1, at most 8 */
  readonly workers?: number | undefined;
  /** Retries of a transient upload failure. @default 4 */
  readonly retries?: number | undefined;
  /** Base backoff delay in ms. @default 250 */
  readonly retryDelayMs?: number | undefined;
  /** How long to wait for a target that went away before stopping, in seconds. @default 600 */
  readonly retryTimeout?: number | undefined;
  /** The journal that makes a run resumable. @default one per source and target, under $XDG_STATE_HOME/orthanc-import */
  readonly journalPath?: string | undefined;
  /** Ignore (and empty) the journal. @default false */
  readonly restart?: boolean | undefined;
  /** Skip instances the target already holds (found in one bulk listing). @default true */
  readonly skipExisting?: boolean | undefined;
  /** Aborting it stops taking new files; the files in flight finish. */
  readonly signal?: AbortSignal | undefined;
  /** Partial migrations: keep only these PatientIDs, StudyInstanceUIDs, AccessionNumbers, Modalities. */
  readonly patientIds?: readonly string[] | undefined;
  readonly studyUids?: readonly string[] | undefined;
  readonly accessions?: readonly string[] | undefined;
  readonly modalities?: readonly string[] | undefined;
  /** 'FROM..TO', 'FROM..', '..TO' or one date, YYYYMMDD. */
  readonly studyDate?: string | undefined;
  /** Where to write the JSON report. */
  readonly reportPath?: string | undefined;
  /** Where to write the CSV list of the files not delivered whole (the JSON report's entries, a row each). */
  readonly reportCsvPath?: string | undefined;
  /** The SQLite index, when IndexDirectory is apart from the storage. @default <source>/index when present */
  readonly indexPath?: string | undefined;
  /** Use the index when there is one. @default true */
  readonly useIndex?: boolean | undefined;
  /** Import files the index does not reference (deleted instances), classified by content. @default false */
  readonly includeOrphans?: boolean | undefined;
  /** Index mode: studies sent at a time, in the order Orthanc stored them; 0: the index's UUID order. @default DEFAULT_STUDIES_IN_FLIGHT */
  readonly studiesInFlight?: number | undefined;
  /** An Orthanc target: the metadata (declared in its UserMetadata) set on each study once all its instances are verified there. */
  readonly markComplete?: string | undefined;
  /** Follow symbolic links to directories (and files) during the walk. @default false */
  readonly followSymlinks?: boolean | undefined;
  /** Read back each delivered instance's MD5 from the target. @default true */
  readonly verify?: boolean | undefined;
  /** --verify full: retrieve each instance from a target that cannot tell its MD5 (DICOMweb) and compare the bytes. @default false */
  readonly verifyFull?: boolean | undefined;
  /** Upload nothing: report which source instances are absent or different on the target. @default false */
  readonly check?: boolean | undefined;
  /** Accept a target whose storage limits recycle (delete) old patients. @default false */
  readonly allowRecycling?: boolean | undefined;
  /** Largest decoded file size a size prefix may announce. @default 32 GiB */
  readonly maxDecodedSize?: number | undefined;
  /** Decoded files up to this size are held in memory; larger ones are streamed from disk. @default 4 MiB */
  readonly inlineLimit?: number | undefined;
  /** A running Orthanc as the source: after the bulk copy, copy what it stores until aborted. @default false */
  readonly follow?: boolean | undefined;
  /** With follow (implied): stop after this many seconds without a change on the source. */
  readonly untilIdle?: number | undefined;
  /** Caps the bytes per second sent to the target (request bodies, every upload at once): a number, or '10M' (k, M, G: binary). */
  readonly bwlimit?: string | number | undefined;
  /** Works only inside these windows, in local time, e.g. 'Mon-Fri 19:00-07:00, Sat-Sun'; pauses outside them. */
  readonly schedule?: string | undefined;
  /** A PEM file of CA certificates trusted, beside Node's, for the https:// target and source. */
  readonly caPath?: string | undefined;
  /** No certificate check on https:// connections (said as a warning). @default false */
  readonly insecure?: boolean | undefined;
}

/** --wire-compression: how uploads to an Orthanc travel. */
export type WireCompression = 'auto' | 'gzip' | 'none';

const WIRE_COMPRESSIONS: readonly WireCompression[] = ['auto', 'gzip', 'none'];

const wireCompression = (value: string | undefined): WireCompression => {
  if (value === undefined) return 'auto';
  if (!WIRE_COMPRESSIONS.includes(value as WireCompression)) throw new ImporterError('E_USAGE', `Expected --wire-compression to be one of ${WIRE_COMPRESSIONS.join(', ')}, got '${value}'`);
  return value as WireCompression;
};

// Without any target the folder's options would be silently ignored (each backend refuses the
// options it does not take).
const refuseFolderOptionsWithoutTarget = (input: ImportInput): void => {
  const given = recoveryOptionsGiven(input);
  if (given === undefined || input.target !== undefined) return;
  throw new ImporterError('E_USAGE', `${given.flags}, and no target folder was given`);
};

/** The fully defaulted, validated options the pipeline runs with. */
export interface ImportOptions {
  readonly source: string;
  /** Where the run delivers (an Orthanc, a DICOMweb server, a recovery folder); absent for an inventory. */
  readonly target: TargetSpec | undefined;
  /** Uploads in flight: fixed, or where the adaptive limit starts. */
  readonly concurrency: number;
  /** The user did not fix --concurrency: an Orthanc target adapts it (src/run/adaptive-limit.ts). */
  readonly adaptiveConcurrency: boolean;
  readonly wireCompression: WireCompression;
  readonly sourceCredentials: { readonly username: string | undefined; readonly password: string | undefined; readonly headers: readonly string[] };
  readonly sourceConcurrency: number;
  readonly sourceDownload: 'compressed-data' | 'file';
  /** Decode threads as --workers gave them (0: the main thread); undefined: the run decides (defaultWorkers). */
  readonly workers: number | undefined;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly retryTimeoutMs: number;
  readonly journalPath: string | undefined;
  readonly restart: boolean;
  readonly skipExisting: boolean;
  readonly signal: AbortSignal | undefined;
  readonly filter: Filter;
  readonly reportPath: string | undefined;
  readonly reportCsvPath: string | undefined;
  readonly indexPath: string | undefined;
  readonly useIndex: boolean;
  readonly includeOrphans: boolean;
  readonly studiesInFlight: number;
  readonly markComplete: string | undefined;
  readonly followSymlinks: boolean;
  readonly verify: boolean;
  readonly verifyFull: boolean;
  readonly check: boolean;
  readonly allowRecycling: boolean;
  readonly maxDecodedSize: number;
  readonly inlineLimit: number;
  /** --follow (--until-idle): undefined when not following. */
  readonly follow: FollowMode | undefined;
  /** --bwlimit: the one bucket every request body to the target draws from; undefined: no limit. */
  readonly throttle: Throttle | undefined;
  /** --schedule: undefined when the run may work at any time. */
  readonly schedule: Schedule | undefined;
  /** --ca, --insecure: how the https:// target's and source's certificates are checked. */
  readonly tls: TlsSettings;
  /** What the options themselves warn of (--insecure): said as the run begins, and in its summary. */
  readonly warnings: readonly string[];
}

const MiB = 1024 * 1024;

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_SOURCE_CONCURRENCY = 4;
// Why: a few studies at a time arrive whole early, and their series take turns (see
// orthanc-index.ts); the figure is the bench's (README, "Studies arrive whole").
export const DEFAULT_STUDIES_IN_FLIGHT = 2;
// Why: decode threads when --workers is not given. One core is left to the main thread (HTTP,
// journal): on 2 cores beside a local target, a second decode thread cost 0.5 CPU-s per 1,000
// instances and sped nothing up. On 2 cores or fewer, a run that uploads decodes on the main
// thread (0): beside a local target, one decode thread cost 1.0 CPU-s more per 1,000 instances,
// taken from the target, and was 8% slower; through a 20 ms link both took the same time (README,
// "Where the CPU goes"). A run that only reads (an inventory, a check) keeps its thread: decoding
// is all it does.
export const defaultWorkers = (uploading: boolean, cores = availableParallelism()): number =>
  cores <= 2 && uploading ? 0 : Math.max(1, Math.min(8, cores - 1));

const integer = (name: string, value: number | undefined, fallback: number, min: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new ImporterError('E_USAGE', `Expected \`${name}\` to be an integer >= ${min}, got \`${String(value)}\` (${typeof value})`);
  }
  return value;
};

/** --follow, resolved: undefined when not following. */
export interface FollowMode {
  /** Stop after this long without a change on the source; undefined: until aborted. */
  readonly untilIdleMs: number | undefined;
}

// --follow copies what a running Orthanc stores from now on into a target: any other run would
// silently ignore it. --until-idle implies it.
const resolveFollow = (input: ImportInput): FollowMode | undefined => {
  if (input.follow !== true && input.untilIdle === undefined) return undefined;
  const name = input.follow === true ? '--follow' : '--until-idle';
  const flag = input.follow === true ? name : `${name} (which means --follow)`;
  if (!/^https?:\/\//i.test(input.source)) throw new ImporterError('E_USAGE', `${flag} only applies to a running Orthanc as the source (an http:// or https:// URL), not to ${redactUrl(input.source)}`);
  if (input.check === true) throw new ImporterError('E_USAGE', `${flag} copies what the source stores from now on, and check uploads nothing: leave ${name} out`);
  if (input.target === undefined || input.dryRun === true) throw new ImporterError('E_USAGE', `${flag} copies what the source stores from now on into a target: give one, without --dry-run`);
  const seconds = integer('--until-idle', input.untilIdle, -1, 0);
  return { untilIdleMs: seconds === -1 ? undefined : seconds * 1000 };
};

// --bwlimit shapes what is sent to an Orthanc or DICOMweb server: any other run would silently ignore it.
const resolveThrottle = (input: ImportInput, target: TargetSpec | undefined): Throttle | undefined => {
  if (input.bwlimit === undefined) return undefined;
  const rate = parseRate(input.bwlimit);
  if (target === undefined || input.check === true || target.recovery) {
    throw new ImporterError('E_USAGE', '--bwlimit caps the uploads to an Orthanc or DICOMweb target, and this run sends none (an inventory, a check or a recovery into a folder): leave it out');
  }
  return new Throttle(rate);
};

// --mark-complete sets a metadata on the studies an Orthanc target was sent: any other run would
// silently mark nothing.
const resolveMarkComplete = (input: ImportInput, target: TargetSpec | undefined): string | undefined => {
  const name = input.markComplete;
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new ImporterError('E_USAGE', `--mark-complete takes a metadata name of letters, digits, _ and -, got '${name}'`);
  if (target === undefined || input.check === true) {
    throw new ImporterError('E_USAGE', '--mark-complete marks the studies delivered to an Orthanc target, and this run delivers none (an inventory or a check): leave it out');
  }
  if (input.verify === false) throw new ImporterError('E_USAGE', '--mark-complete marks a study once every instance of it is verified on the target, and --no-verify verifies none: leave one out');
  if (input.follow === true || input.untilIdle !== undefined) {
    throw new ImporterError('E_USAGE', '--mark-complete cannot follow a source: a study marked complete could still grow there afterwards; mark the studies in a run without --follow (or --until-idle)');
  }
  return name;
};

// The CSV and the JSON report in one file would overwrite each other at the end of the run.
const reportCsvPath = (input: ImportInput): string | undefined => {
  const path = input.reportCsvPath;
  if (path !== undefined && input.reportPath !== undefined && resolve(path) === resolve(input.reportPath)) {
    throw new ImporterError('E_USAGE', `--report and --report-csv both name ${path}: give each its own file`);
  }
  return path;
};

// Resolves defaults and validates once, so the pipeline never checks for undefined.
export const resolveOptions = (input: ImportInput): ImportOptions => {
  if (input.source === '') throw new ImporterError('E_USAGE', 'Expected a source folder, file or Orthanc URL, got an empty string');
  if (input.check === true && input.target === undefined) throw new ImporterError('E_USAGE', 'Expected a target to check against: orthanc-import check <source> <target-url-or-folder>');
  refuseFolderOptionsWithoutTarget(input);
  // A dry run classifies only: its target is left aside.
  const wantsTarget = input.target !== undefined && (input.dryRun !== true || input.check === true);
  const https = /^https:\/\//i.test(input.source) || (wantsTarget && /^(dicomweb\+)?https:\/\//i.test(input.target ?? ''));
  const tls = resolveTls(input, https);
  const target = wantsTarget ? parseTargetSpec(input.target ?? '', input, tls) : undefined;
  return Object.freeze({
    source: input.source,
    target,
    concurrency: integer('--concurrency', input.concurrency, DEFAULT_CONCURRENCY, 1),
    adaptiveConcurrency: input.concurrency === undefined,
    wireCompression: wireCompression(input.wireCompression),
    sourceCredentials: { username: input.sourceUsername, password: input.sourcePassword, headers: input.sourceHeaders ?? [] },
    sourceConcurrency: integer('--source-concurrency', input.sourceConcurrency, DEFAULT_SOURCE_CONCURRENCY, 1),
    sourceDownload: input.sourceDownload ?? 'compressed-data',
    workers: input.workers === undefined ? undefined : integer('--workers', input.workers, 0, 0),
    retries: integer('--retries', input.retries, 4, 0),
    retryDelayMs: integer('retryDelayMs', input.retryDelayMs, 250, 0),
    retryTimeoutMs: integer('--retry-timeout', input.retryTimeout, 600, 0) * 1000,
    journalPath: input.journalPath,
    restart: input.restart ?? false,
    skipExisting: input.skipExisting ?? true,
    signal: input.signal,
    filter: {
      patientIds: input.patientIds ?? [],
      studyUids: input.studyUids ?? [],
      accessions: input.accessions ?? [],
      modalities: input.modalities ?? [],
      studyDate: input.studyDate === undefined ? undefined : parseDateRange(input.studyDate),
    },
    reportPath: input.reportPath,
    reportCsvPath: reportCsvPath(input),
    indexPath: input.indexPath,
    useIndex: input.useIndex ?? true,
    includeOrphans: input.includeOrphans ?? false,
    studiesInFlight: integer('--studies-in-flight', input.studiesInFlight, DEFAULT_STUDIES_IN_FLIGHT, 0),
    markComplete: resolveMarkComplete(input, target),
    followSymlinks: input.followSymlinks ?? false,
    verify: input.verify ?? true,
    verifyFull: input.verifyFull ?? false,
    check: input.check ?? false,
    allowRecycling: input.allowRecycling ?? false,
    maxDecodedSize: integer('--max-decoded-size', input.maxDecodedSize, 32 * 1024 * MiB, 1),
    // 16 and more uploads of 20 MB files in flight would hold hundreds of MB (bench/memory-bench.ts).
    inlineLimit: integer('inlineLimit', input.inlineLimit, 4 * MiB, 0),
    follow: resolveFollow(input),
    throttle: resolveThrottle(input, target),
    schedule: input.schedule === undefined ? undefined : parseSchedule(input.schedule),
    tls,
    warnings: tls.insecure ? [INSECURE_WARNING] : [],
  });
};
