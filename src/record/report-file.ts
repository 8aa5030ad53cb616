import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ImporterError } from '../core/errors.js';
import type { Summary } from './report.js';
import type { FileOutcome } from '../core/types.js';
import { errnoCode, errnoOrMessage } from '../core/errno.js';
import { ReportWriter } from './report-stream.js';

/** One line of the JSON report's `notUploaded` list. */
export interface ReportEntry {
  readonly path: string;
  readonly class: FileOutcome['fileClass'];
  readonly reason: string;
  readonly size: number;
  readonly encoding?: FileOutcome['encoding'];
  readonly sopInstanceUid?: string;
  readonly instanceId?: string;
  /** Where the instance belongs, when known (its header, or the source's index): for the reconciliation list (--report-csv). */
  readonly patientId?: string;
  readonly studyInstanceUid?: string;
  readonly httpStatus?: number;
  readonly targetMessage?: string;
  readonly targetDetails?: string;
  /** A delivered instance: what of Orthanc's knowledge beyond its file was not carried, and why. */
  readonly extrasNotCarried?: readonly string[];
  readonly extrasFailed?: readonly string[];
}

// The report's line for a file that was not uploaded, or delivered without all of its extras
// (user metadata, attachments, labels); undefined for one that was uploaded whole.
export const reportLine = (outcome: FileOutcome): string | undefined =>
  isNotUploaded(outcome) || outcome.extrasNotCarried !== undefined || outcome.extrasFailed !== undefined ? JSON.stringify(toEntry(outcome)) : undefined;

// A file counts as not uploaded unless the target stored it (or already held it): one it dropped is listed.
// Files left out by the filters are counted in the summary, not listed: a partial migration of one
// patient would otherwise list every other file of the storage.
export const isNotUploaded = (outcome: FileOutcome): boolean => (outcome.fileClass !== 'dicom' && outcome.fileClass !== 'excluded') || outcome.status === 'dropped';

// Absent fields stay undefined (JSON.stringify leaves them out): spreading them in conditionally
// is V8's slow path, and a second run writes a line for each of its cache files.
const toEntry = (outcome: FileOutcome): ReportEntry => ({
  path: outcome.path,
  class: outcome.fileClass,
  reason: outcome.reason ?? (outcome.status === 'dropped' ? `the target dropped it (a filter there${outcome.targetAnswer === undefined ? '' : `; it answered ${outcome.targetAnswer}`})` : isNotUploaded(outcome) ? '' : 'delivered; not all of what Orthanc knows beyond the file was carried'),
  size: outcome.size,
  encoding: outcome.encoding,
  sopInstanceUid: outcome.sopInstanceUid,
  instanceId: outcome.instanceId,
  patientId: outcome.patientId,
  studyInstanceUid: outcome.studyInstanceUid,
  httpStatus: outcome.httpStatus,
  targetMessage: outcome.targetMessage,
  targetDetails: outcome.targetDetails,
  extrasNotCarried: outcome.extrasNotCarried,
  extrasFailed: outcome.extrasFailed,
});

// Why the report cannot be written, or undefined when it can (the path, or else its folder, is writable).
const reportPathProblem = (path: string): string | undefined => {
  try {
    if (statSync(path).isDirectory()) return 'it is a directory: give a file name';
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return errnoOrMessage(error);
  }
  const folder = dirname(resolve(path));
  try {
    if (!statSync(folder).isDirectory()) return `${folder} is not a folder`;
    accessSync(folder, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return errnoCode(error) === 'ENOENT' ? `its folder ${folder} does not exist` : `its folder ${folder} is not writable (${errnoOrMessage(error)})`;
  }
};

// Why: a report that cannot be written must stop the run before any source is read or target
// asked, not after hours of work; probed without creating anything. `what` names it in the
// message: 'report', 'CSV report', 'log file'.
export const probeReportPath = (path: string, what = 'report'): void => {
  const problem = reportPathProblem(path);
  if (problem !== undefined) throw new ImporterError('E_REPORT', `Cannot write the ${what} ${path} (${problem})`);
};

/** Lines of a replayed report gathered into one write. */
const LINES_PER_WRITE = 512;

/**
 * Writes the JSON report without holding its entries: they go to a side file as they happen,
 * already separated as the final array needs, and the final document ({summary, notUploaded:
 * [...]}) is assembled from it at the end by a byte copy.
 */
export class ReportFile {
  readonly #entries: ReportWriter;
  #separator = '\n';

  private constructor(entries: ReportWriter) {
    this.#entries = entries;
  }

  // Opens the side file next to the report, so an unwritable report path fails before any work.
  static async open(path: string): Promise<ReportFile> {
    return new ReportFile(await ReportWriter.open(`${path}.entries.tmp`, { what: 'report', path }));
  }

  // Records one file that was not uploaded (a line from reportLine); waits when the disk is slower than the run.
  async add(line: string): Promise<void> {
    await this.#entries.write(`${this.#separator}${line}`);
    this.#separator = ',\n';
  }

  // Records many lines (a replayed report), a few hundred per write.
  async addAll(lines: Iterable<string>): Promise<void> {
    let chunk: string[] = [];
    for (const line of lines) {
      chunk.push(line);
      if (chunk.length < LINES_PER_WRITE) continue;
      await this.add(chunk.join(',\n'));
      chunk = [];
    }
    if (chunk.length > 0) await this.add(chunk.join(',\n'));
  }

  // Writes the final report and removes the side file; a report that cannot be written is one
  // E_REPORT error naming it (the side file is removed all the same).
  async finish(summary: Summary): Promise<void> {
    await this.#entries.publish(`{\n"summary": ${JSON.stringify(summary, null, 2)},\n"notUploaded": [`, '\n]\n}\n');
  }

  // Leaves no side file behind: the run stopped before it began.
  async discard(): Promise<void> {
    await this.#entries.discard();
  }
}
