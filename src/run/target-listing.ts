import Database from 'better-sqlite3';
import type { ListedInstance } from '../targets/target.js';

/** The table, for queries of the same connection that join it (see OrthancIndex). */
export const TARGET_LISTING_TABLE = 'temp.target_listing';

/**
 * What the target holds, looked up once per instance of a run. A TEMP table keeps memory flat for
 * millions of IDs; on the index copy's connection it also lets SQL join the listing with the index.
 */
export class TargetListing {
  readonly #db: Database.Database;
  readonly #ownsConnection: boolean;
  readonly #find: Database.Statement<[string], ListedInstance>;
  readonly #addPage: (page: readonly ListedInstance[]) => readonly ListedInstance[];

  private constructor(db: Database.Database, ownsConnection: boolean) {
    this.#db = db;
    this.#ownsConnection = ownsConnection;
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS target_listing (id TEXT PRIMARY KEY, size INTEGER NOT NULL, file TEXT NOT NULL) WITHOUT ROWID; DELETE FROM ${TARGET_LISTING_TABLE}`);
    this.#find = db.prepare(`SELECT id, size, file FROM ${TARGET_LISTING_TABLE} WHERE id = ?`);
    const insert = db.prepare<[string, number, string]>(`INSERT INTO ${TARGET_LISTING_TABLE} (id, size, file) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING`);
    this.#addPage = db.transaction((page: readonly ListedInstance[]) => {
      const fresh = page.filter(({ id, size, file }) => insert.run(id, size, file).changes > 0);
      return fresh.length === page.length ? page : fresh;
    });
  }

  // Why: a walk has no database to join the listing with; a private temporary one (deleted when
  // closed) holds it.
  static standalone(): TargetListing {
    return new TargetListing(new Database(''), true);
  }

  // Why: in index mode the listing lives beside the index copy, so that one query finds the
  // instances a page names and another the instances no page named.
  static on(db: Database.Database): TargetListing {
    return new TargetListing(db, false);
  }

  // Adds one page of the listing; returns the instances no earlier page named (a target that
  // changes while it is listed may name one twice; the first size named is kept).
  add(page: readonly ListedInstance[]): readonly ListedInstance[] {
    return this.#addPage(page);
  }

  // What the target holds for this instance ID (its DICOM file's size and UUID), if it holds it.
  find(instanceId: string): ListedInstance | undefined {
    return this.#find.get(instanceId);
  }

  // Closes the private database (a listing on another connection goes with that connection).
  close(): void {
    if (this.#ownsConnection) this.#db.close();
  }
}
