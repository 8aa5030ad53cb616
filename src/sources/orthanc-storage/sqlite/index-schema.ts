// What the importer needs to know about an Orthanc index schema (versions 3 to 6) before querying it.
import type Database from 'better-sqlite3';
import { ImporterError } from '../../../core/errors.js';

const MIN_SCHEMA_VERSION = 3;
const MAX_SCHEMA_VERSION = 6;
const REQUIRED_COLUMNS = ['id', 'fileType', 'uuid', 'compressedSize', 'uncompressedSize', 'compressionType'] as const;
const OPTIONAL_COLUMNS = ['uncompressedMD5', 'compressedMD5', 'revision', 'customData'] as const;
export type OptionalColumn = (typeof OPTIONAL_COLUMNS)[number];

/** The version and the optional AttachedFiles columns present in this index. */
export interface IndexSchema {
  readonly version: number;
  readonly columns: ReadonlySet<OptionalColumn>;
}

const hasTable = (db: Database.Database, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

// Why: the queries below are only right for the schemas documented for Orthanc 0.4.0 to 1.13
// (v3 to v6); columns added later without a version bump (MD5s in v4, revision/customData in
// 1.12.8) must be detected, never assumed.
export function readSchema(db: Database.Database, indexPath: string): IndexSchema {
  for (const table of ['GlobalProperties', 'Resources', 'AttachedFiles']) {
    if (!hasTable(db, table)) {
      throw new ImporterError('E_SOURCE', `${indexPath} is not an Orthanc index (no ${table} table)`);
    }
  }
  const row = db.prepare('SELECT value FROM GlobalProperties WHERE property = 1').get() as { value: unknown } | undefined;
  const version = row === undefined ? Number.NaN : Number(row.value);
  if (!Number.isInteger(version) || version < MIN_SCHEMA_VERSION || version > MAX_SCHEMA_VERSION) {
    const found = row === undefined ? 'none' : JSON.stringify(row.value);
    throw new ImporterError(
      'E_SOURCE',
      `${indexPath}: unsupported Orthanc database schema version ${found} (GlobalProperties 1); ` +
        `supported: ${MIN_SCHEMA_VERSION} to ${MAX_SCHEMA_VERSION} (Orthanc 0.4.0 and later)`,
    );
  }
  const names = new Set((db.prepare('PRAGMA table_info(AttachedFiles)').all() as { name: string }[]).map((c) => c.name));
  const missing = REQUIRED_COLUMNS.filter((c) => !names.has(c));
  if (missing.length > 0) {
    throw new ImporterError('E_SOURCE', `${indexPath}: AttachedFiles lacks column(s) ${missing.join(', ')}`);
  }
  const bad = db
    .prepare('SELECT compressionType AS type, COUNT(*) AS n FROM AttachedFiles WHERE fileType = 1 AND compressionType NOT IN (1, 2) GROUP BY 1')
    .all() as { type: unknown; n: number }[];
  if (bad.length > 0) {
    const list = bad.map((b) => `${String(b.type)} (${b.n} rows)`).join(', ');
    throw new ImporterError('E_SOURCE', `${indexPath}: unsupported compressionType ${list}; only 1 (none) and 2 (zlib with size) exist`);
  }
  return { version, columns: new Set(OPTIONAL_COLUMNS.filter((c) => names.has(c))) };
}

// Why: reports name attachment types the way Orthanc's REST API does (FileContentType).
export function attachmentTypeName(fileType: number): string {
  if (fileType === 1) return 'dicom';
  if (fileType === 2) return 'dicom-as-json';
  if (fileType === 3) return 'dicom-until-pixel-data';
  if (fileType >= 1024 && fileType <= 65535) return `user-${fileType}`;
  return `unknown-${fileType}`;
}
