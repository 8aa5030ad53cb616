import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { errnoCode } from '../core/errno.js';
import { ImporterError } from '../core/errors.js';
import { lockOwners } from '../core/file-locks.js';
import type { Summary } from './report.js';
import type { DeliveryStatus, FileOutcome } from '../core/types.js';

/** A pending write: an outcome (key, JSON) or a report line. */
type PendingRow = readonly [key: string, outcome: string] | readonly [lines: string];

/** Report lines stored per row, joined as the report's array needs them. */
const LINES_PER_ROW = 512;

const COMPLETE_RUN = 'complete-run';

/**
 * Fields a short record keeps even when the index gives them: what a later run needs to confirm on
 * the target, without the index, what this one delivered (see confirm-complete.ts): a DICOMweb
 * server is asked by study, and read back (WADO-RS) by study and series.
 */
const ALWAYS_KEPT = new Set(['instanceId', 'decodedSize', 'studyInstanceUid', 'seriesInstanceUid']);

// The fields of an outcome that `known` does not already give, when it carries every field of
// `known` and the same path (else the whole outcome: lookup tells a short record by its missing
// path, and could not tell a field the outcome lacks from one it shares).
const beyond = (outcome: FileOutcome, known: Partial<FileOutcome>): Partial<FileOutcome> => {
  const fields = outcome as unknown as Record<string, unknown>;
  const given = known as Record<string, unknown>;
  if (outcome.path !== known.path) return outcome;
  for (const name in given) if (fields[name] === undefined) return outcome;
  const kept: Record<string, unknown> = {};
  for (const name in fields) {
    const value = fields[name];
    if (value !== undefined && (value !== given[name] || ALWAYS_KEPT.has(name))) kept[name] = value;
  }
  return kept;
};

/** A run that left nothing to do: what it ran over and what it found, replayed while the source is unchanged. */
export interface CompleteRun {
  /** The source's fingerprint and the options that shape the outcomes, taken when the run began. */
  readonly fingerprint: string;
  readonly summary: Summary;
}

/** Orthanc's answers, which journals of version 0.1 recorded as the status, in the core's words. */
const LEGACY_STATUS: Readonly<Record<string, DeliveryStatus>> = { Success: 'stored', AlreadyStored: 'already-there', FilteredOut: 'dropped' };

// A recorded outcome as this version words it (a journal of 0.1 recorded Orthanc's answer as the status).
const parseRecord = (text: string): Partial<FileOutcome> => {
  const outcome = JSON.parse(text) as Partial<FileOutcome>;
  const written: string | undefined = outcome.status;
  const legacy = written === undefined ? undefined : LEGACY_STATUS[written];
  return legacy === undefined ? outcome : { ...outcome, status: legacy, targetAnswer: written };
};

/** What a journal belongs to: a journal of another source or target must not be resumed. */
export interface JournalIdentity {
  readonly source: string;
  readonly target: string;
}

// The documented default: one journal per (source, target) pair under the user's state folder.
export const defaultJournalPath = (identity: JournalIdentity, env: NodeJS.ProcessEnv = process.env): string => {
  const state = env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state');
  const digest = createHash('sha1').update(`${identity.source}\n${identity.target}`).digest('hex').slice(0, 16);
  return join(state, 'orthanc-import', `journal-${digest}.sqlite`);
};

// Why: an outcome that says the target took the instance (stored or already there; not dropped by
// a filter there): what a later run must find on the target before it replays it.
export const isDelivered = (outcome: Partial<FileOutcome>): boolean => outcome.fileClass === 'dicom' && outcome.status !== undefined && outcome.status !== 'dropped';

// Outcomes that need no second attempt: delivered (and verified when verification is on), or a
// file whose class will not change while the file does not. Failures, refusals and conflicts are retried.
export const isFinal = (outcome: FileOutcome, verify: boolean): boolean => {
  switch (outcome.fileClass) {
    case 'dicom':
      // Extras that failed to be carried are carried by the next run: the instance is done again.
      return outcome.status !== undefined && (!verify || outcome.verified !== undefined || outcome.status === 'dropped') && outcome.extrasFailed === undefined;
    case 'json-summary':
    case 'pixel-data-cache':
    case 'too-deep':
    case 'not-dicom':
    case 'orphan':
    case 'corrupt':
    case 'corrupt-source':
      return true;
    default:
      return false;
  }
};

// Why: two runs of one job at once would send everything twice and mix their records; the lock is
// SQLite's own (fcntl) on the journal, so the kernel releases it when a run dies, even by kill -9.
const lockedBy = (path: string, error: unknown): ImporterError => {
  const owners = lockOwners(path);
  const who = owners.length === 0 ? 'another process' : `process ${owners.join(', ')}`;
  return new ImporterError('E_JOURNAL_LOCKED', `The journal ${path} is in use by ${who}: another run of this job is in progress; wait for it to end (or stop it), or give another --journal`, { cause: error });
};

const openDatabase = (path: string): Database.Database => {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    // No busy wait: a journal held by another run is refused at once.
    db = new Database(path, { timeout: 0 });
    // EXCLUSIVE before WAL: the lock, taken by the first write below, is held until close (and no
    // shared-memory index is used, so no other process can even read the journal meanwhile).
    db.pragma('locking_mode = EXCLUSIVE');
    // WAL + NORMAL: every record survives a kill -9 of this process; a torn last write is rolled back by SQLite.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      BEGIN EXCLUSIVE;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outcomes (key TEXT PRIMARY KEY, outcome TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS report_lines (seq INTEGER PRIMARY KEY, lines TEXT NOT NULL);
      COMMIT;
    `);
    return db;
  } catch (error) {
    db?.close();
    if (errnoCode(error) === 'SQLITE_BUSY') throw lockedBy(path, error);
    throw new ImporterError('E_JOURNAL', `Cannot open the journal ${path} (${(error as Error).message})`, { cause: error });
  }
};

/**
 * The durable record of a run: one row per file outcome, written as it happens, so a re-run with the
 * same source and target skips what is done without reading it again. SQLite keeps memory flat for
 * millions of files.
 */
export class Journal {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #lookup: Database.Statement<[string], { outcome: string }>;
  readonly #record: Database.Statement<[string, string]>;
  readonly #commit: (rows: readonly PendingRow[]) => void;
  #pending: PendingRow[] = [];
  #lines: string[] = [];
  #flushScheduled = false;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    this.#lookup = db.prepare('SELECT outcome FROM outcomes WHERE key = ?');
    this.#record = db.prepare('INSERT INTO outcomes (key, outcome) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET outcome = excluded.outcome');
    const entry = db.prepare<[string]>('INSERT INTO report_lines (lines) VALUES (?)');
    this.#commit = db.transaction((rows: readonly PendingRow[]) => {
      for (const row of rows) {
        if (row.length === 2) this.#record.run(row[0], row[1]);
        else entry.run(row[0]);
      }
    });
  }

  // Opens (or creates) the journal, refusing one written for another source or target; --restart empties it.
  static open(path: string, identity: JournalIdentity, options: { readonly restart: boolean }): Journal {
    const db = openDatabase(path);
    const meta = new Map(db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((row) => [row.key, row.value]));
    const recorded = { source: meta.get('source'), target: meta.get('target') };
    const belongs = recorded.source === undefined || (recorded.source === identity.source && recorded.target === identity.target);
    if (!belongs && !options.restart) {
      db.close();
      throw new ImporterError(
        'E_JOURNAL',
        `The journal ${path} belongs to another run (source ${recorded.source ?? '?'}, target ${recorded.target ?? '?'}): ` +
          'give another --journal, or --restart to start this one afresh',
      );
    }
    if (options.restart || !belongs) db.exec('DELETE FROM outcomes; DELETE FROM meta; DELETE FROM report_lines;');
    const set = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    set.run('source', identity.source);
    set.run('target', identity.target);
    return new Journal(path, db);
  }

  // True when nothing was recorded yet (a first run, or --restart).
  isEmpty(): boolean {
    return this.#db.prepare('SELECT 1 FROM outcomes LIMIT 1').get() === undefined;
  }

  // The recorded outcome of a file, if any; `known` completes a record written with it (see record).
  lookup(key: string, known?: Partial<FileOutcome>): FileOutcome | undefined {
    const row = this.#lookup.get(key);
    if (row === undefined) return undefined;
    const stored = parseRecord(row.outcome);
    // A whole record always has its path; a short one lacks exactly the fields `known` gives.
    return (stored.path === undefined && known !== undefined ? Object.assign({}, known, stored) : stored) as FileOutcome;
  }

  // Records one outcome. The outcomes of one turn of the event loop are committed together, at its
  // end (one transaction instead of one per file): a kill loses at most those, files that were in
  // flight a moment ago, and the next run simply sends them again. `known` is what the index says
  // of the file (index mode): when the outcome carries all of it, the record keeps only the rest
  // (a fifth of the bytes for an instance already on the target), and lookup puts it back.
  record(key: string, outcome: FileOutcome, known?: Partial<FileOutcome>): void {
    this.#push([key, JSON.stringify(known === undefined ? outcome : beyond(outcome, known))]);
  }

  // Keeps a line of this run's report (a file not uploaded), in order, for a later run over an
  // unchanged source that answers from the journal alone.
  recordReportLine(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length >= LINES_PER_ROW) this.#pushLines();
  }

  #pushLines(): void {
    if (this.#lines.length === 0) return;
    this.#push([this.#lines.join(',\n')]);
    this.#lines = [];
  }

  #push(row: PendingRow): void {
    this.#pending.push(row);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.flush();
    });
  }

  // Commits the outcomes recorded so far.
  flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0 || !this.#db.open) return;
    const rows = this.#pending;
    this.#pending = [];
    this.#commit(rows);
  }

  // Every recorded outcome, as recorded (a short record lacks what only the index gives), streamed.
  *outcomes(): Generator<Partial<FileOutcome>> {
    this.flush();
    for (const row of this.#db.prepare<[], { outcome: string }>('SELECT outcome FROM outcomes').iterate()) yield parseRecord(row.outcome);
  }

  // The complete run this journal vouches for, if the last run was one (see unchanged.ts).
  completeRun(): CompleteRun | undefined {
    const row = this.#db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(COMPLETE_RUN);
    return row === undefined ? undefined : (JSON.parse(row.value) as CompleteRun);
  }

  // A run that reads the source forgets the last complete run and its report lines first: it may
  // stop half-way, and what it finds replaces them.
  startRun(): void {
    this.#db.prepare('DELETE FROM meta WHERE key = ?').run(COMPLETE_RUN);
    this.#db.exec('DELETE FROM report_lines');
    this.#lines = [];
  }

  // Records that the run just finished left nothing to do over this source, as it was when it began.
  finishRun(run: CompleteRun): void {
    this.#pushLines();
    this.flush();
    this.#db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(COMPLETE_RUN, JSON.stringify(run));
  }

  // The report lines of the last complete run, in order, streamed a few hundred at a time (each
  // string holds several lines, joined as the report's array needs them).
  *reportLines(): Generator<string> {
    for (const row of this.#db.prepare<[], { lines: string }>('SELECT lines FROM report_lines ORDER BY seq').iterate()) yield row.lines;
  }

  // Flushes and closes.
  close(): void {
    this.#pushLines();
    this.flush();
    this.#db.close();
  }
}
