// The reconciliation list (--report-csv): the JSON report's `notUploaded` entries as CSV rows, for a
// spreadsheet an admin hands to the people who own the images. RFC 4180 (quoted cells, CRLF),
// UTF-8 with a byte-order mark, and no cell a spreadsheet would run as a formula.
import type { ReportEntry } from './report-file.js';
import { ReportWriter } from './report-stream.js';

/** The columns, in order: the file, what became of it, whose it is, then why. */
export const CSV_COLUMNS = ['path', 'class', 'PatientID', 'StudyInstanceUID', 'SOPInstanceUID', 'instanceId', 'reason', 'httpStatus'] as const;

/**
 * Excel (and LibreOffice, Google Sheets) run a cell that begins with one of these as a formula
 * (`=HYPERLINK(...)`, `@SUM(...)`, a tab or CR before one): a PatientID from a hostile file could.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Excel reads a CSV without a byte-order mark in the machine's legacy code page: names with accents come out garbled. */
const BOM = '\uFEFF';

// Why: one cell as RFC 4180 wants it (quoted when it holds a comma, a quote or a line break; quotes
// doubled), a text a spreadsheet would run as a formula prefixed with an apostrophe, which makes it
// plain text (the JSON report keeps the value as it was).
export const csvCell = (value: string | number | undefined): string => {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

// The reason, with what was not carried of a delivered instance's extras (user metadata, attachments, labels).
const reasonOf = (entry: ReportEntry): string => {
  const extras = [...(entry.extrasNotCarried ?? []), ...(entry.extrasFailed ?? [])];
  return extras.length === 0 ? entry.reason : `${entry.reason}: ${extras.join('; ')}`;
};

// Why: one report entry as one CSV row (CRLF-terminated); absent fields are empty cells.
export const csvRow = (entry: ReportEntry): string =>
  `${[entry.path, entry.class, entry.patientId, entry.studyInstanceUid, entry.sopInstanceUid, entry.instanceId, reasonOf(entry), entry.httpStatus].map(csvCell).join(',')}\r\n`;

/** The header row, after the byte-order mark. */
const HEAD = `${BOM}${CSV_COLUMNS.join(',')}\r\n`;

/**
 * Writes the CSV report as the run goes, a row per report line, without holding them: into a side
 * file, written out at its path once the run is over (as the JSON report), so that a CSV found
 * there is a finished one.
 */
export class CsvReport {
  readonly #rows: ReportWriter;

  private constructor(rows: ReportWriter) {
    this.#rows = rows;
  }

  // Opens the side file, so an unwritable path fails before any work.
  static async open(path: string): Promise<CsvReport> {
    return new CsvReport(await ReportWriter.open(`${path}.rows.tmp`, { what: 'CSV report', path }));
  }

  // Adds the rows of report lines: one JSON entry each, or several joined by ',\n' (the journal's).
  async addAll(lines: Iterable<string>): Promise<void> {
    for (const line of lines) {
      const entries = JSON.parse(`[${line}]`) as ReportEntry[];
      await this.#rows.write(entries.map(csvRow).join(''));
    }
  }

  // Writes the CSV at its path; one that cannot be written is one E_REPORT error naming it.
  async finish(): Promise<void> {
    await this.#rows.publish(HEAD, '');
  }

  // Leaves no side file behind: the run stopped before it began.
  async discard(): Promise<void> {
    await this.#rows.discard();
  }
}
