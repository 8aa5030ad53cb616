// The log file (--log-file): what a run does, as JSON lines a log shipper tails. Every line is one
// object with `time` (ISO 8601, UTC, ms), `run` (one ID per run, so that runs appended to one file
// are told apart) and `event`; never a credential (URLs are shown as the summary shows them).
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { describeFilter, isEmptyFilter } from '../core/filter.js';
import { ImporterError, exitCodeOf, isImporterError } from '../core/errors.js';
import { errnoOrMessage } from '../core/errno.js';
import type { ImportEvents } from '../core/events.js';
import type { ImportOptions } from '../core/options.js';
import type { FileOutcome } from '../core/types.js';
import { VERSION } from '../core/version.js';
import { sourceDisplay } from '../sources/registry.js';
import { probeReportPath } from './report-file.js';
import type { Summary } from './report.js';

/** Characters of lines held before they are written at once; the lines of one turn of the event loop are written at its end. */
const FLUSH_AT = 64 * 1024;

// What kind of run this is, in one word.
const commandOf = (options: ImportOptions): string => {
  if (options.check) return 'check';
  if (options.target === undefined) return 'inventory';
  return options.target.recovery ? 'recovery' : 'import';
};

// Why: the first line says what the run was asked to do, with the options that shape what it does,
// and never a credential or a header (a header may carry a token): the source and target as the
// summary shows them.
export const runStartFields = (options: ImportOptions): Record<string, unknown> => ({
  version: VERSION,
  pid: process.pid,
  command: commandOf(options),
  source: sourceDisplay(options.source),
  target: options.target?.display ?? null,
  options: {
    verify: options.verify ? (options.verifyFull ? 'full' : true) : false,
    concurrency: options.adaptiveConcurrency ? 'adaptive' : options.concurrency,
    workers: options.workers ?? 'default',
    retries: options.retries,
    retryTimeoutSeconds: options.retryTimeoutMs / 1000,
    journal: options.journalPath ?? 'default',
    restart: options.restart,
    skipExisting: options.skipExisting,
    report: options.reportPath ?? null,
    reportCsv: options.reportCsvPath ?? null,
    filter: isEmptyFilter(options.filter) ? null : describeFilter(options.filter),
    useIndex: options.useIndex,
    includeOrphans: options.includeOrphans,
    studiesInFlight: options.studiesInFlight,
    markComplete: options.markComplete ?? null,
    follow: options.follow === undefined ? false : { untilIdleSeconds: options.follow.untilIdleMs === undefined ? null : options.follow.untilIdleMs / 1000 },
    wireCompression: options.wireCompression,
    bwlimitBytesPerSecond: options.throttle?.bytesPerSecond ?? null,
    schedule: options.schedule?.spec ?? null,
  },
});

// Why: a file's line holds what an admin looks a file up by, and what became of it (the JSON
// report's entry says more, for the files not delivered).
export const fileFields = (outcome: FileOutcome): Record<string, unknown> => ({
  path: outcome.path,
  class: outcome.fileClass,
  status: outcome.status,
  verified: outcome.verified,
  instanceId: outcome.instanceId,
  sopInstanceUid: outcome.sopInstanceUid,
  patientId: outcome.patientId,
  studyInstanceUid: outcome.studyInstanceUid,
  size: outcome.size,
  decodedSize: outcome.decodedSize,
  reason: outcome.reason,
  httpStatus: outcome.httpStatus,
  resumed: outcome.resumed,
  onTarget: outcome.onTarget,
});

/**
 * The log of one run, appended to its file. Lines are written with blocking writes, a turn of the
 * event loop's at once (or 64 KiB), so that at most that much is held, a disk slower than the run
 * slows the run as the journal's does, and everything is on disk before the process exits. A write
 * that fails (a full disk) is said once as a warning; the run goes on, and the log's end throws it.
 */
export class EventLog {
  readonly path: string;
  /** Shared by every line of this run. */
  readonly run = randomUUID();
  #fd: number | undefined;
  #held: string[] = [];
  #heldChars = 0;
  #flushScheduled = false;
  #failure: unknown;
  #warn: ((message: string) => void) | undefined;
  readonly #onExit = (): void => {
    this.#flush();
  };

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
    // A second Ctrl-C exits at once: what was logged until then is still written.
    process.once('exit', this.#onExit);
  }

  // Opens the log for appending and writes the run's first line; a path that cannot be written is
  // refused now, before the run, in one line naming it.
  static open(path: string, options: ImportOptions): EventLog {
    probeReportPath(path, 'log file');
    let fd: number;
    try {
      fd = openSync(path, 'a');
    } catch (error) {
      throw new ImporterError('E_REPORT', `Cannot write the log file ${path} (${errnoOrMessage(error)})`, { cause: error });
    }
    const log = new EventLog(path, fd);
    log.write('run-start', runStartFields(options));
    return log;
  }

  // The run's events, each written as a line, then passed on to `inner`.
  events(inner: ImportEvents): ImportEvents {
    this.#warn = inner.onWarning;
    return {
      ...inner,
      onTarget: (about) => {
        this.write('target', { about });
        inner.onTarget?.(about);
      },
      onWarning: (message) => {
        this.write('warning', { message });
        inner.onWarning?.(message);
      },
      onInfo: (message) => {
        this.write('info', { message });
        inner.onInfo?.(message);
      },
      onOutcome: (outcome, tally) => {
        this.write('file', fileFields(outcome));
        inner.onOutcome?.(outcome, tally);
      },
      onSchedule: (until) => {
        this.write('schedule', { pausedUntil: until?.toISOString() ?? null });
        inner.onSchedule?.(until);
      },
      onStudyComplete: (study) => {
        this.write('study-complete', { ...study });
        inner.onStudyComplete?.(study);
      },
    };
  }

  // Adds one line (held until the end of this turn of the event loop, or written now past 64 KiB).
  write(event: string, fields: Record<string, unknown>): void {
    if (this.#fd === undefined || this.#failure !== undefined) return;
    const line = `${JSON.stringify({ time: new Date().toISOString(), run: this.run, event, ...fields })}\n`;
    this.#held.push(line);
    this.#heldChars += line.length;
    if (this.#heldChars >= FLUSH_AT) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flush();
      });
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#fd === undefined || this.#held.length === 0) return;
    const bytes = Buffer.from(this.#held.join(''));
    this.#held = [];
    this.#heldChars = 0;
    if (this.#failure !== undefined) return;
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.#fd, bytes, done);
    } catch (error) {
      this.#failure = error;
      this.#warn?.(`cannot write the log file ${this.path} (${errnoOrMessage(error)}): no more lines go to it; the run goes on`);
    }
  }

  // Writes how the run ended: its summary, or the failure that stopped it (code, message, exit
  // code) and then its summary when it has one; closes the file. A log that could not be written
  // is then an E_REPORT error, thrown after a summary (a failed run's own error is the one told).
  end(result: { readonly summary: Summary } | { readonly error: unknown }): void {
    if (this.#fd === undefined) return;
    const summary = 'summary' in result ? result.summary : isImporterError(result.error) ? result.error.summary : undefined;
    if ('error' in result) {
      const { error } = result;
      const message = error instanceof Error ? error.message : String(error);
      this.write('error', { code: isImporterError(error) ? error.code : null, message, exitCode: exitCodeOf(error) });
    }
    if (summary !== undefined) this.write('summary', { summary });
    this.#flush();
    process.removeListener('exit', this.#onExit);
    closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#failure !== undefined && 'summary' in result) {
      throw new ImporterError('E_REPORT', `Cannot write the log file ${this.path} (${errnoOrMessage(this.#failure)})`, { cause: this.#failure });
    }
  }
}
