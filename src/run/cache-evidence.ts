import Database from 'better-sqlite3';
import type { Classified, DecodedDicom, FileEntry, FileOutcome, SkippedFile } from '../core/types.js';

/** What this module needs of a staged file (pipeline.ts's stage 1), whatever else it carries. */
interface Staged {
  readonly entry: FileEntry;
  readonly classified?: Classified;
  readonly outcome?: FileOutcome;
}

/** A parked stage as JSON: its entry's raw path and its bytes are kept apart. */
type Stored = { readonly stage: string; readonly rawPath: Buffer | null; readonly bytes: Buffer | null };

const asBuffer = (bytes: Uint8Array | undefined): Buffer | null => (bytes === undefined ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

const store = (stage: Staged, dicom: DecodedDicom): Stored => {
  const { rawPath, ...entry } = stage.entry;
  const { bytes, ...classified } = dicom;
  return { stage: JSON.stringify({ ...stage, entry, classified }), rawPath: asBuffer(rawPath), bytes: asBuffer(bytes) };
};

/** A parked stage as it was, with its candidate. */
type Parked = Staged & { readonly classified: DecodedDicom };

const restore = (row: Stored): Parked => {
  const stage = JSON.parse(row.stage) as Parked;
  const entry = row.rawPath === null ? stage.entry : { ...stage.entry, rawPath: row.rawPath };
  const classified = row.bytes === null ? stage.classified : { ...stage.classified, bytes: new Uint8Array(row.bytes) };
  return { ...stage, entry, classified };
};

const cacheOf = (candidate: DecodedDicom, fullPath: string): SkippedFile => ({
  kind: 'skipped',
  fileClass: 'pixel-data-cache',
  diskSize: candidate.diskSize,
  encoding: candidate.encoding,
  instanceId: candidate.orthancId,
  reason:
    `the first ${candidate.decodedSize} bytes of ${fullPath} (instance ${candidate.orthancId}), up to its PixelData: ` +
    "Orthanc's dicom-until-pixel-data attachment (type 3); uploading it would create a pixel-less instance",
});

// A cache an earlier version journaled without evidence (no instance named) is read and decided
// again; one decided on evidence stays as the journal has it.
const redecideLegacy = async <T extends Staged>(stage: T, reclassify: (entry: FileEntry) => Promise<Classified>): Promise<T> => {
  const { outcome, ...rest } = stage;
  if (outcome?.fileClass !== 'pixel-data-cache' || outcome.resumed !== true || outcome.instanceId !== undefined) return stage;
  return { ...rest, classified: await reclassify(stage.entry) } as unknown as T;
};

/**
 * Walk mode's proof that a file is Orthanc's dicom-until-pixel-data cache: its full counterpart is
 * in the same source (same identifiers, hence the same Orthanc ID) and it is a byte prefix of it
 * ending where the counterpart's PixelData begins (same length, same MD5). Evidence and waiting
 * candidates live in a temporary SQLite database, so memory stays flat over millions of files.
 */
export class CacheEvidence {
  readonly #db: Database.Database;
  readonly #addFull: Database.Statement<[string, number, string, string]>;
  readonly #fullFor: Database.Statement<[string, number, string], { path: string }>;
  readonly #addUnproven: Database.Statement<[string, string, Buffer | null]>;
  readonly #unprovenFor: Database.Statement<[string], { entry: string; rawPath: Buffer | null }>;
  readonly #park: Database.Statement<[string, number, string, string, Buffer | null, Buffer | null]>;
  readonly #parkedFor: Database.Statement<[string, number, string], Stored & { id: number }>;
  readonly #anyParked: Database.Statement<[], Stored & { id: number; orthancId: string; size: number; md5: string }>;
  readonly #unpark: Database.Statement<[number]>;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.exec(`
      CREATE TABLE fulls (orthancId TEXT NOT NULL, offset INTEGER NOT NULL, prefixMd5 TEXT NOT NULL, path TEXT NOT NULL);
      CREATE INDEX fulls_id ON fulls (orthancId);
      CREATE TABLE unproven (orthancId TEXT NOT NULL, entry TEXT NOT NULL, rawPath BLOB);
      CREATE INDEX unproven_id ON unproven (orthancId);
      CREATE TABLE parked (id INTEGER PRIMARY KEY, orthancId TEXT NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL, stage TEXT NOT NULL, rawPath BLOB, bytes BLOB);
      CREATE INDEX parked_id ON parked (orthancId);
    `);
    this.#addFull = db.prepare('INSERT INTO fulls VALUES (?, ?, ?, ?)');
    this.#fullFor = db.prepare('SELECT path FROM fulls WHERE orthancId = ? AND offset = ? AND prefixMd5 = ? LIMIT 1');
    this.#addUnproven = db.prepare('INSERT INTO unproven VALUES (?, ?, ?)');
    this.#unprovenFor = db.prepare('SELECT entry, rawPath FROM unproven WHERE orthancId = ?');
    this.#park = db.prepare('INSERT INTO parked (orthancId, size, md5, stage, rawPath, bytes) VALUES (?, ?, ?, ?, ?, ?)');
    this.#parkedFor = db.prepare('SELECT id, stage, rawPath, bytes FROM parked WHERE orthancId = ? AND size = ? AND md5 = ?');
    this.#anyParked = db.prepare('SELECT id, orthancId, size, md5, stage, rawPath, bytes FROM parked LIMIT 1');
    this.#unpark = db.prepare('DELETE FROM parked WHERE id = ?');
  }

  // Why: a run that classifies files by content needs somewhere to keep the evidence (a temporary
  // database: SQLite removes it when closed, or when the process dies).
  static open(): CacheEvidence {
    const db = new Database('');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    return new CacheEvidence(db);
  }

  // Passes the stages on, holding back every cache candidate until it is decided: a cache once its
  // counterpart shows up (before or after it), else, once the stages end, an ordinary instance.
  // `reclassify` reads again a file known only from the journal or the listing, whose evidence was
  // not taken this run. Nothing is held back past an aborted run's end: it is not journaled either,
  // so the next run decides it again.
  async *decide<T extends Staged>(stages: AsyncIterable<T>, reclassify: (entry: FileEntry) => Promise<Classified>, signal?: AbortSignal): AsyncGenerator<T> {
    for await (const replayed of stages) {
      const stage = await redecideLegacy(replayed, reclassify);
      const dicom = stage.classified?.kind === 'dicom' ? stage.classified : undefined;
      if (dicom?.cacheCandidate === true) {
        const full = this.#fullFor.get(dicom.orthancId, dicom.decodedSize, dicom.md5);
        if (full !== undefined) yield { ...stage, classified: cacheOf(dicom, full.path) };
        else this.#parkStage(stage, dicom);
        continue;
      }
      if (dicom?.pixelData !== undefined) {
        const { offset, prefixMd5 } = dicom.pixelData;
        this.#addFull.run(dicom.orthancId, offset, prefixMd5, stage.entry.relativePath);
        for (const row of this.#parkedFor.all(dicom.orthancId, offset, prefixMd5)) {
          this.#unpark.run(row.id);
          const parked = restore(row) as T & Parked;
          yield { ...parked, classified: cacheOf(parked.classified, stage.entry.relativePath) };
        }
      } else {
        const instanceId = dicom?.orthancId ?? (stage.outcome?.fileClass === 'dicom' ? stage.outcome.instanceId : undefined);
        if (instanceId !== undefined) this.#addUnproven.run(instanceId, JSON.stringify({ ...stage.entry, rawPath: undefined }), asBuffer(stage.entry.rawPath));
      }
      yield stage;
    }
    if (signal?.aborted === true) return;
    for (let row = this.#anyParked.get(); row !== undefined; row = this.#anyParked.get()) {
      this.#unpark.run(row.id);
      const parked = restore(row) as T & Parked;
      const fullPath = await this.#proveAgainstUnproven(row.orthancId, row.size, row.md5, reclassify);
      // Without its counterpart, a candidate is an instance like any other.
      yield fullPath === undefined ? parked : { ...parked, classified: cacheOf(parked.classified, fullPath) };
    }
  }

  // Reads again the files of this instance whose evidence was not taken (known from the journal or
  // the target's listing) until one proves the candidate a cache; its path, if one does.
  async #proveAgainstUnproven(orthancId: string, size: number, md5: string, reclassify: (entry: FileEntry) => Promise<Classified>): Promise<string | undefined> {
    for (const row of this.#unprovenFor.all(orthancId)) {
      const stored = JSON.parse(row.entry) as FileEntry;
      const entry = row.rawPath === null ? stored : { ...stored, rawPath: row.rawPath };
      const classified = await reclassify(entry);
      const evidence = classified.kind === 'dicom' && classified.orthancId === orthancId ? classified.pixelData : undefined;
      if (evidence?.offset === size && evidence.prefixMd5 === md5) return entry.relativePath;
    }
    return undefined;
  }

  #parkStage(stage: Staged, dicom: DecodedDicom): void {
    const { stage: json, rawPath, bytes } = store(stage, dicom);
    this.#park.run(dicom.orthancId, dicom.decodedSize, dicom.md5, json, rawPath, bytes);
  }

  // Drops the evidence (the temporary database goes with it).
  close(): void {
    this.#db.close();
  }
}
