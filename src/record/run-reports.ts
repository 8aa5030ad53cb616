// The reports of what a run did not deliver whole, as the user asked for them: the JSON report
// (--report), the CSV reconciliation list (--report-csv), both or neither; fed the same lines.
import { CsvReport } from './report-csv.js';
import { ReportFile } from './report-file.js';
import type { Summary } from './report.js';

/** Where a run writes its reports; undefined: not asked for. */
export interface ReportPaths {
  readonly reportPath: string | undefined;
  readonly reportCsvPath: string | undefined;
}

/** A journal's row holds a few hundred lines: lines are handed on to both reports by this much text at most. */
const CHARS_PER_FORWARD = 1 << 20;

/** The reports of one run, written as it goes, finished with its summary. */
export class RunReports {
  readonly #json: ReportFile | undefined;
  readonly #csv: CsvReport | undefined;

  private constructor(json: ReportFile | undefined, csv: CsvReport | undefined) {
    this.#json = json;
    this.#csv = csv;
  }

  // Opens the reports asked for (undefined when none is): an unwritable one fails before any work,
  // leaving no side file of the other behind.
  static async open(paths: ReportPaths): Promise<RunReports | undefined> {
    const { reportPath, reportCsvPath } = paths;
    if (reportPath === undefined && reportCsvPath === undefined) return undefined;
    const [json, csv] = await Promise.allSettled([reportPath === undefined ? undefined : ReportFile.open(reportPath), reportCsvPath === undefined ? undefined : CsvReport.open(reportCsvPath)]);
    if (json.status === 'fulfilled' && csv.status === 'fulfilled') return new RunReports(json.value, csv.value);
    if (json.status === 'fulfilled') await json.value?.discard();
    if (csv.status === 'fulfilled') await csv.value?.discard();
    throw json.status === 'rejected' ? json.reason : (csv as PromiseRejectedResult).reason;
  }

  // Records report lines (reportLine's, or the journal's rows of them), waiting when a disk is
  // slower than the run; a journal's lines are read only as fast as they are written.
  async addAll(lines: Iterable<string>): Promise<void> {
    if (this.#csv === undefined) return this.#json?.addAll(lines);
    if (this.#json === undefined) return this.#csv.addAll(lines);
    let chunk: string[] = [];
    let chars = 0;
    for (const line of lines) {
      chunk.push(line);
      chars += line.length;
      if (chars < CHARS_PER_FORWARD) continue;
      await this.#forward(chunk);
      chunk = [];
      chars = 0;
    }
    if (chunk.length > 0) await this.#forward(chunk);
  }

  async #forward(lines: readonly string[]): Promise<void> {
    await this.#json?.addAll(lines);
    await this.#csv?.addAll(lines);
  }

  // Writes each report at its path (the JSON one with the summary); the first that cannot be
  // written is thrown once both were tried.
  async finish(summary: Summary): Promise<void> {
    const results = await Promise.allSettled([this.#json?.finish(summary), this.#csv?.finish()]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
