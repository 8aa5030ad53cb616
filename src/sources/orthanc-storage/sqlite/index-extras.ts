// What a stopped Orthanc's SQLite index knows of an instance and of its parents beyond the file:
// its Metadata rows (by number: the index knows no names), its user attachments (types >= 1024,
// each a file of the storage, raw or zlib-with-size) and its labels (the Labels table of Orthanc
// >= 1.12.0; absent before).
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { metadataByType, type ResourceExtras, type ResourceLevel, type UserAttachment } from '../../../core/extras.js';
import { encodingOf } from '../../../core/types.js';
import { decodedStream } from '../../../decode/file-body.js';
import { resolveAttachment } from '../custom-data.js';
import type { OptionalColumn } from './index-schema.js';

const LEVELS: Readonly<Record<number, ResourceLevel>> = { 1: 'patient', 2: 'study', 3: 'series', 4: 'instance' };

/**
 * The instance (found by its public ID) and its parents, by internal ID. Orthanc's index has no
 * statistics, and SQLite guessed wrong twice, reading every instance (by resourceType) or every
 * Metadata row per query, four queries per instance: quadratic in the storage's size. The unary +
 * keeps it on the publicId index, and each query joins with CROSS JOIN, which SQLite never reorders
 * (the chain's few rows first, each looked up by its key).
 */
const CHAIN = `WITH RECURSIVE chain(id) AS (
    SELECT internalId FROM Resources WHERE publicId = ? AND +resourceType = 4
    UNION ALL SELECT r.parentId FROM Resources r JOIN chain c ON r.internalId = c.id WHERE r.parentId IS NOT NULL)`;

interface ResourceRow {
  id: number;
  resourceType: number;
  publicId: string;
}

interface MetadataRow {
  id: number;
  type: number;
  value: string | null;
}

interface AttachmentRow {
  id: number;
  fileType: number;
  uuid: string;
  uncompressedSize: number;
  compressionType: number;
  uncompressedMd5: string | null;
  customData: unknown;
}

interface LabelRow {
  id: number;
  label: string;
}

// A stream that fails at once, for a file the storage layout does not let this tool find.
const unreadable = (reason: string): Readable =>
  new Readable({
    read() {
      this.destroy(new Error(reason));
    },
  });

// Groups rows by their resource's internal ID.
const byResource = <T extends { id: number }>(rows: readonly T[]): Map<number, T[]> => {
  const grouped = new Map<number, T[]>();
  for (const row of rows) grouped.set(row.id, [...(grouped.get(row.id) ?? []), row]);
  return grouped;
};

// Why: the index source gives each instance a reader of its extras, run only when the target can
// hold them; four small queries per instance (resources, metadata, attachments, labels).
export const indexExtras = (db: Database.Database, storageRoot: string, columns: ReadonlySet<OptionalColumn>): ((instanceId: string) => ResourceExtras[]) => {
  const hasLabels = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Labels'").get() !== undefined;
  const opt = (name: OptionalColumn, alias: string): string => (columns.has(name) ? `a.${name} AS ${alias}` : `NULL AS ${alias}`);
  const resources = db.prepare<[string], ResourceRow>(`${CHAIN} SELECT r.internalId AS id, r.resourceType, r.publicId FROM chain CROSS JOIN Resources r ON r.internalId = chain.id`);
  const metadata = db.prepare<[string], MetadataRow>(`${CHAIN} SELECT m.id, m.type, m.value FROM chain CROSS JOIN Metadata m ON m.id = chain.id ORDER BY m.id, m.type`);
  const attachments = db.prepare<[string], AttachmentRow>(
    `${CHAIN} SELECT a.id, a.fileType, a.uuid, a.uncompressedSize, a.compressionType, ${opt('uncompressedMD5', 'uncompressedMd5')}, ${opt('customData', 'customData')}
      FROM chain CROSS JOIN AttachedFiles a ON a.id = chain.id WHERE a.fileType >= 1024 ORDER BY a.id, a.fileType`,
  );
  const labels = hasLabels ? db.prepare<[string], LabelRow>(`${CHAIN} SELECT l.id, l.label FROM chain CROSS JOIN Labels l ON l.id = chain.id ORDER BY l.id, l.label`) : undefined;

  const attachment = (row: AttachmentRow): UserAttachment => {
    const location = resolveAttachment(storageRoot, row.uuid, row.customData);
    const encoding = encodingOf({ compressionType: row.compressionType === 2 ? 2 : 1 });
    const { layoutProblem } = location;
    return {
      name: String(row.fileType),
      size: row.uncompressedSize,
      md5: row.uncompressedMd5 ?? '',
      body: () => (layoutProblem === undefined ? decodedStream(location.path, encoding) : unreadable(`the storage layout of attachment ${row.uuid} is not supported: ${layoutProblem}`)),
    };
  };

  return (instanceId) => {
    const metadataOf = byResource(metadata.all(instanceId));
    const attachmentsOf = byResource(attachments.all(instanceId));
    const labelsOf = byResource(labels?.all(instanceId) ?? []);
    return resources.all(instanceId).flatMap((resource) => {
      const level = LEVELS[resource.resourceType];
      if (level === undefined) return [];
      const user: { name: string; value: string }[] = [];
      const lost: string[] = [];
      for (const row of metadataOf.get(resource.id) ?? []) {
        const { kind, name } = metadataByType(row.type);
        if (kind === 'user') user.push({ name, value: row.value ?? '' });
        else if (kind === 'lost') lost.push(name);
      }
      return [
        {
          level,
          orthancId: resource.publicId,
          metadata: user,
          attachments: (attachmentsOf.get(resource.id) ?? []).map(attachment),
          labels: (labelsOf.get(resource.id) ?? []).map((row) => row.label),
          lost,
        },
      ];
    });
  };
};
