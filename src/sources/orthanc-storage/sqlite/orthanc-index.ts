// Drives an import from a stopped Orthanc's SQLite index, read from a private copy.
import { countOf, formatCount } from '../../../core/units.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceTags } from '../../../core/types.js';
import type Database from 'better-sqlite3';
import { resolveAttachment } from '../custom-data.js';
import { ImporterError, isImporterError } from '../../../core/errors.js';
import { openIndexCopy } from './index-copy.js';
import { indexExtras } from './index-extras.js';
import type { ResourceExtras } from '../../../core/extras.js';
import { attachmentTypeName, readSchema } from './index-schema.js';
import type { OptionalColumn } from './index-schema.js';
import { TARGET_LISTING_TABLE, TargetListing } from '../../../record/target-listing.js';
import type { ListedInstance } from '../../../targets/target.js';
import type { AttachmentCursor, AttachmentTypeCount, IndexedInstance, IndexReader, IndexSummary, StoredAttachment } from '../index-reader.js';

export { RUNNING_MESSAGE } from '../running-orthanc.js';

interface InstanceRow {
  uuid: string;
  compressionType: 1 | 2;
  compressedSize: number;
  uncompressedSize: number;
  uncompressedMd5: string | null;
  compressedMd5: string | null;
  customData: unknown;
  instanceId: string;
  /** The parent series' internal ID (null for an instance without one). */
  seriesKey: number | null;
}

interface SeriesRow {
  studyId: string | null;
  patientId: string | null;
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  accessionNumber: string | null;
  modality: string | null;
  studyDate: string | null;
}

/** What an instance takes from its series, study and patient. */
interface SeriesTags {
  readonly studyId: string;
  readonly tags: InstanceTags;
}

const NO_SERIES: SeriesTags = { studyId: '', tags: { patientId: '', studyInstanceUid: '', seriesInstanceUid: '', accessionNumber: '', modality: '', studyDate: '' } };

/** Series whose tags are kept while the instances are read (instances come in UUID order, so a series' come scattered). */
const SERIES_CACHE_SIZE = 4096;

// One main DICOM tag of a resource (tag numbers are stored as decimal group and element).
const tag = (resource: string, group: number, element: number, alias: string): string =>
  `(SELECT value FROM MainDicomTags WHERE id = ${resource}.internalId AND tagGroup = ${group} AND tagElement = ${element}) AS ${alias}`;

// The tags of one series and of its study and patient: asked once per series, not per instance
// (six lookups per instance were half the cost of reading the instances).
const SERIES_SQL = `SELECT st.publicId AS studyId,
      ${tag('pa', 0x10, 0x20, 'patientId')}, ${tag('st', 0x20, 0x0d, 'studyInstanceUid')}, ${tag('se', 0x20, 0x0e, 'seriesInstanceUid')},
      ${tag('st', 0x08, 0x50, 'accessionNumber')}, ${tag('se', 0x08, 0x60, 'modality')}, ${tag('st', 0x08, 0x20, 'studyDate')}
    FROM Resources se
    LEFT JOIN Resources st ON st.internalId = se.parentId
    LEFT JOIN Resources pa ON pa.internalId = st.parentId
    WHERE se.internalId = ?`;

// Why: a damaged index (truncated, pages garbled) fails inside SQLite's queries; the user must read
// which file and why, and exit 2, not an unexpected error.
const unreadableIndex = (indexPath: string, error: unknown): unknown =>
  isImporterError(error) ? error : new ImporterError('E_SOURCE', `${indexPath} is not a readable Orthanc index: ${error instanceof Error ? error.message : String(error)}`, { cause: error });

// The text summary's line for the index.
const describeIndex = (schemaVersion: number, instances: number, types: readonly AttachmentTypeCount[], walReplayed: boolean): string => {
  const attachments = types.map((type) => `${type.name} ${formatCount(type.files)}`).join(', ');
  return `source index: schema ${schemaVersion}, ${countOf(instances, 'live instance')}; attachments: ${attachments}${walReplayed ? '; its write-ahead log was replayed' : ''}`;
};

const UUID_INDEX = 'CREATE INDEX IF NOT EXISTS orthanc_import_uuid ON AttachedFiles(uuid)';

/**
 * Which live instances a query returns: all of them, those of one page of the target's listing
 * (its IDs as a JSON array, the query's parameter), or those no page of the listing named.
 */
type InstanceSelection = 'all' | 'listed' | 'unlisted';

function instancesSql(columns: ReadonlySet<OptionalColumn>, selection: InstanceSelection, studiesInFlight = 0): string {
  const opt = (name: OptionalColumn, alias: string): string => (columns.has(name) ? `a.${name} AS ${alias}` : `NULL AS ${alias}`);
  const select = `SELECT a.uuid, a.compressionType, a.compressedSize, a.uncompressedSize,
      ${opt('uncompressedMD5', 'uncompressedMd5')}, ${opt('compressedMD5', 'compressedMd5')}, ${opt('customData', 'customData')},
      i.publicId AS instanceId, i.parentId AS seriesKey`;
  const live = 'JOIN AttachedFiles a ON a.id = i.internalId AND a.fileType = 1';
  if (selection === 'listed') {
    // Each ID of the page found through Orthanc's index on publicId (the unary + keeps SQLite from
    // choosing its resourceType index instead, which read every instance once per ID).
    return `${select} FROM json_each(?) page CROSS JOIN Resources i ON i.publicId = page.value AND +i.resourceType = 4 ${live}`;
  }
  const notListed = (id: string): string => `NOT EXISTS (SELECT 1 FROM ${TARGET_LISTING_TABLE} t WHERE t.id = ${id})`;
  const unlisted = selection === 'unlisted' ? `AND ${notListed('i.publicId')}` : '';
  if (studiesInFlight === 0) {
    return `${select} FROM Resources i ${live} WHERE i.resourceType = 4 ${unlisted}
    ORDER BY a.uuid`; /* random UUIDs spread the instances of a series apart: uploading many of one
       series at once made the target Orthanc spend a third more CPU (measured: 3.75 against 2.34 s per 1,000) */
  }
  // A few studies at a time, in the order Orthanc stored them (internal IDs): the studies are taken
  // in groups of `studiesInFlight`, and within a group the series take turns, one instance each
  // (rank in its series by UUID), so concurrent uploads go to different series. Ranked over every
  // live instance, then the listed left out: what is left keeps its order.
  return `SELECT * FROM (${select},
      ROW_NUMBER() OVER (PARTITION BY i.parentId ORDER BY a.uuid) AS seriesRank,
      (DENSE_RANK() OVER (ORDER BY se.parentId) - 1) / ${studiesInFlight} AS studyGroup
    FROM Resources i ${live} LEFT JOIN Resources se ON se.internalId = i.parentId
    WHERE i.resourceType = 4)
    ${selection === 'unlisted' ? `WHERE ${notListed('instanceId')}` : ''}
    ORDER BY studyGroup, seriesRank, seriesKey`;
}

const ATTACHMENT_BY_UUID = 'SELECT uuid, fileType, compressedSize FROM AttachedFiles WHERE uuid = ? LIMIT 1';

// Why: a walk of Orthanc's layout meets files in UUID order; reading the attachments in the same
// order alongside answers each file in one step, where a query per file costs ten times more.
export const attachmentsInOrder = (db: Database.Database): AttachmentCursor => {
  const byUuid = db.prepare<[string], StoredAttachment>(ATTACHMENT_BY_UUID);
  const rows = db.prepare<[], StoredAttachment>('SELECT uuid, fileType, compressedSize FROM AttachedFiles ORDER BY uuid').iterate();
  let current = rows.next();
  let last = '';
  return {
    find: (uuid) => {
      // A name out of order (a file outside the layout): ask the index directly.
      if (uuid < last) return byUuid.get(uuid);
      last = uuid;
      while (current.done !== true && current.value.uuid < uuid) current = rows.next();
      // Not met in order: absent, or ordered otherwise by SQLite than here (non-ASCII); ask to be sure.
      return current.done !== true && current.value.uuid === uuid ? current.value : byUuid.get(uuid);
    },
    close: () => {
      rows.return?.();
    },
  };
};

// Why: the index, not the directory walk, says which files are live DICOM instances, how each
// is compressed and what it must hash to; this class answers that without touching the source.
export class OrthancIndex implements IndexReader {
  readonly summary: IndexSummary;
  private readonly live = new Set<IterableIterator<unknown>>();
  private closed = false;
  private targetListing: TargetListing | undefined;
  /** Live instances addListingPage found so far (each once). */
  private listedInstances = 0;
  private extrasQuery: ((instanceId: string) => ResourceExtras[]) | undefined;
  private studySizeQuery: Database.Statement<[string], { n: number }> | undefined;
  private listedQuery: { readonly statement: Database.Statement<[string], InstanceRow>; readonly toInstance: (row: InstanceRow) => IndexedInstance } | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly dir: string,
    private readonly indexPath: string,
    private readonly storageRoot: string,
    private readonly columns: ReadonlySet<OptionalColumn>,
    summary: IndexSummary,
    private readonly studiesInFlight: number,
  ) {
    this.summary = summary;
  }

  // Why: one entry point that refuses a live Orthanc, copies, replays the WAL and checks the schema.
  static async open(options: { indexPath: string; storageRoot: string; studiesInFlight?: number }): Promise<OrthancIndex> {
    const copy = await openIndexCopy(options.indexPath);
    try {
      const schema = readSchema(copy.db, options.indexPath);
      copy.db.exec(UUID_INDEX); // Only in our copy: attachments found and ordered by UUID without a scan.
      const types = copy.db
        .prepare('SELECT fileType, COUNT(*) AS files, COALESCE(SUM(compressedSize), 0) AS bytes FROM AttachedFiles GROUP BY fileType ORDER BY fileType')
        .all() as { fileType: number; files: number; bytes: number }[];
      const count = (sql: string): number => (copy.db.prepare(sql).get() as { n: number }).n;
      const attachmentTypes = types.map((t) => ({ ...t, name: attachmentTypeName(t.fileType) }));
      const instances = count('SELECT COUNT(*) AS n FROM Resources i JOIN AttachedFiles a ON a.id = i.internalId AND a.fileType = 1 WHERE i.resourceType = 4');
      const summary: IndexSummary = {
        described: describeIndex(schema.version, instances, attachmentTypes, copy.walReplayed),
        schemaVersion: schema.version,
        walReplayed: copy.walReplayed,
        attachmentTypes,
        instances,
        studies: count('SELECT COUNT(*) AS n FROM Resources WHERE resourceType = 2'),
        optionalColumns: [...schema.columns],
      };
      return new OrthancIndex(copy.db, copy.dir, options.indexPath, options.storageRoot, schema.columns, summary, options.studiesInFlight ?? 0);
    } catch (err) {
      copy.db.close();
      await rm(copy.dir, { recursive: true, force: true });
      throw unreadableIndex(options.indexPath, err);
    }
  }

  // Why: the import streams instances in index order with flat memory, whatever the storage size;
  // 'unlisted' leaves out the instances the target's listing named (already settled from it).
  *instances(selection: 'all' | 'unlisted' = 'all', inStudyOrder = true): IterableIterator<IndexedInstance> {
    // Every live instance was named: nothing to query (a run over a target that holds it all).
    if (selection === 'unlisted' && this.listedInstances === this.summary.instances) return;
    if (selection === 'unlisted') this.listing(); // no listing yet: every instance is unlisted
    const toInstance = this.toInstance();
    for (const row of this.track<InstanceRow>(instancesSql(this.columns, selection, inStudyOrder ? this.studiesInFlight : 0))) yield toInstance(row);
  }

  // Why: a page of the target's listing names instances in the target's order; this keeps the
  // page beside the index and finds, in one query, the instances of this index it names for the
  // first time (a target that changes while it is listed may name one twice), so they are
  // settled while the next page is on its way.
  addListingPage(page: readonly ListedInstance[]): IndexedInstance[] {
    const fresh = this.listing().add(page);
    this.listedQuery ??= { statement: this.db.prepare<[string], InstanceRow>(instancesSql(this.columns, 'listed')), toInstance: this.toInstance() };
    const { statement, toInstance } = this.listedQuery;
    const found = statement.all(JSON.stringify(fresh.map(({ id }) => id))).map(toInstance);
    this.listedInstances += found.length;
    return found;
  }

  // Why: a study is complete on the target once all its live instances are verified there; each
  // row found by key (the study by publicId, its series and their instances by parentId).
  studySize(studyId: string): number {
    this.studySizeQuery ??= this.db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM Resources st
      CROSS JOIN Resources se ON se.parentId = st.internalId CROSS JOIN Resources i ON i.parentId = se.internalId
      CROSS JOIN AttachedFiles a ON a.id = i.internalId AND a.fileType = 1
      WHERE st.publicId = ? AND +st.resourceType = 2`);
    return this.studySizeQuery.get(studyId)?.n ?? 0;
  }

  // Why: the target's listing is kept on this connection, so the queries above can join it.
  listing(): TargetListing {
    this.targetListing ??= TargetListing.on(this.db);
    return this.targetListing;
  }

  // An index row as an instance, with its series' tags (from a bounded cache per caller).
  private toInstance(): (row: InstanceRow) => IndexedInstance {
    const seriesTags = this.seriesTags();
    return (row) => {
      const location = resolveAttachment(this.storageRoot, row.uuid, row.customData);
      const { studyId, tags } = seriesTags(row.seriesKey);
      return {
        uuid: row.uuid,
        path: location.path,
        compressionType: row.compressionType,
        compressedSize: row.compressedSize,
        uncompressedSize: row.uncompressedSize,
        uncompressedMd5: row.uncompressedMd5 ?? '',
        compressedMd5: row.compressedMd5 ?? '',
        instanceId: row.instanceId,
        studyId,
        tags,
        layoutProblem: location.layoutProblem, // undefined, mostly (a literal: no spread per instance)
      };
    };
  }

  // The tags of a series (and its study and patient), from a bounded cache.
  private seriesTags(): (seriesKey: number | null) => SeriesTags {
    const bySeries = this.db.prepare<[number], SeriesRow>(SERIES_SQL);
    const cache = new Map<number, SeriesTags>();
    return (seriesKey) => {
      if (seriesKey === null) return NO_SERIES;
      const cached = cache.get(seriesKey);
      if (cached !== undefined) return cached;
      const row = bySeries.get(seriesKey);
      const found: SeriesTags =
        row === undefined
          ? NO_SERIES
          : {
              studyId: row.studyId ?? '',
              tags: {
                patientId: row.patientId ?? '',
                studyInstanceUid: row.studyInstanceUid ?? '',
                seriesInstanceUid: row.seriesInstanceUid ?? '',
                accessionNumber: row.accessionNumber ?? '',
                modality: row.modality ?? '',
                studyDate: row.studyDate ?? '',
              },
            };
      if (cache.size >= SERIES_CACHE_SIZE) cache.clear();
      cache.set(seriesKey, found);
      return found;
    };
  }

  // Why: what the index knows of an instance and its parents beyond the file (index-extras.ts),
  // read only for a target that can hold it.
  extrasOf(instanceId: string): ResourceExtras[] {
    this.extrasQuery ??= indexExtras(this.db, this.storageRoot, this.columns);
    try {
      return this.extrasQuery(instanceId);
    } catch (err) {
      throw unreadableIndex(this.indexPath, err);
    }
  }

  // Why: the walk of the storage (with --include-orphans, in this thread) reads the index alongside.
  attachmentsInOrder(): AttachmentCursor {
    return attachmentsInOrder(this.db);
  }

  // Why: a walk of the storage reads the same copy from another thread, through its own connection.
  get copyPath(): string {
    return join(this.dir, 'index');
  }

  // Why: the private copy can be as large as the index; it must not outlive the run.
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const rows of this.live) rows.return?.();
    this.live.clear();
    this.db.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  // Abandoned iterators keep their statement busy, and SQLite then refuses close(): track them.
  private *track<T>(sql: string): Generator<T, void, undefined> {
    const rows = this.db.prepare(sql).iterate() as IterableIterator<T>;
    this.live.add(rows);
    try {
      yield* rows;
    } catch (err) {
      throw unreadableIndex(this.indexPath, err);
    } finally {
      this.live.delete(rows);
    }
  }
}
