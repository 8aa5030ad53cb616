import { lstatSync } from 'node:fs';
import { basename, isAbsolute, relative, sep } from 'node:path';
import { skippedOutcome, type FileOutcome, type IndexedItem, type SkippedFile, type SourceItem } from '../../core/types.js';
import type { WalkItem } from '../walk/walk.js';
import { storageWalk } from './storage-walk.js';
import type { AttachmentCursor, IndexedInstance, IndexReader } from './index-reader.js';
import type { ResourceExtras } from '../../core/extras.js';

const UUID = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/i;
const INDEX_FILES = /^(index|index-wal|index-shm|index-journal)$/;

// Orthanc's own rule for an attachment file: root/uuid[0:2]/uuid[2:4]/uuid.
const isStorageLayout = (relativePath: string): boolean => {
  const parts = relativePath.split('/');
  const name = parts[2] ?? '';
  return parts.length === 3 && UUID.test(name) && parts[0] === name.slice(0, 2) && parts[1] === name.slice(2, 4);
};

const settled = (fileClass: SkippedFile['fileClass'], reason: string, diskSize = 0): SkippedFile => ({ kind: 'skipped', fileClass, reason, diskSize });

// Names another attachment type the way the report shows it; these are never uploaded.
const otherAttachment = (fileType: number, diskSize: number): SkippedFile => {
  if (fileType === 2) return settled('json-summary', "Orthanc's dicom-as-json summary (attachment type 2 in the index)", diskSize);
  if (fileType === 3) {
    return settled('pixel-data-cache', "Orthanc's dicom-until-pixel-data attachment (type 3 in the index); uploading it would create a pixel-less instance", diskSize);
  }
  const kind = fileType >= 1024 ? `a user attachment (type ${fileType})` : `an attachment of type ${fileType}`;
  return settled('not-dicom', `${kind} in the index, not a DICOM instance`, diskSize);
};

const relativeTo = (root: string, path: string): string => {
  if (path.startsWith(`${root}${sep}`)) return sep === '/' ? path.slice(root.length + 1) : path.slice(root.length + 1).split(sep).join('/');
  const rel = relative(root, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split(sep).join('/');
};

/** A file whose outcome is known without reading it. */
export type SettledItem = Extract<SourceItem, { kind: 'settled' }>;

// What the journal knows an instance of the index by: its DICOM attachment, whatever its path.
export const instanceKey = (instance: IndexedInstance): string => `uuid:${instance.uuid}`;

// An instance of the index as the stages take it (or, when its file cannot be found, its outcome).
export const instanceItem = (root: string, instance: IndexedInstance, index: Pick<IndexReader, 'extrasOf'>): IndexedItem | SettledItem => {
  const entry = { path: instance.path, relativePath: relativeTo(root, instance.path) };
  if (instance.layoutProblem !== undefined) {
    return { kind: 'settled', entry, classified: settled('failed', `the storage layout of instance ${instance.instanceId} is not supported: ${instance.layoutProblem}`) };
  }
  const { compressionType, compressedSize, uncompressedSize, uncompressedMd5, instanceId } = instance;
  const expected = { compressionType, compressedSize, uncompressedSize, uncompressedMd5, instanceId };
  const extras = (): Promise<ResourceExtras[]> => Promise.resolve().then(() => index.extrasOf(instanceId));
  return { kind: 'indexed', entry, expected, studyId: instance.studyId, key: instanceKey(instance), tags: instance.tags, extras };
};

const ORPHAN_REASON = 'an attachment file the index does not reference (a deleted instance left behind); not uploaded without --include-orphans';

// What a file met by the storage walk is, from the index: 'live' for a live instance's file
// (the instance stream has it), 'orphan' for a file in Orthanc's layout that the index does not
// know, else its settled outcome.
const storageFile = (item: WalkItem, attachments: AttachmentCursor): SettledItem | 'live' | 'orphan' => {
  const { entry } = item;
  if (item.kind === 'unreadable') return { kind: 'settled', entry, classified: settled(item.fileClass, item.reason) };
  const attachment = attachments.find(basename(entry.path));
  if (attachment?.fileType === 1) return 'live';
  if (attachment !== undefined) return { kind: 'settled', entry, classified: otherAttachment(attachment.fileType, attachment.compressedSize), sized: true };
  if (INDEX_FILES.test(entry.relativePath)) return { kind: 'settled', entry, classified: settled('not-dicom', "Orthanc's SQLite index (read through a private copy, never opened in place)") };
  if (isStorageLayout(entry.relativePath)) return 'orphan';
  return { kind: 'settled', entry, classified: settled('not-dicom', 'not an Orthanc attachment and not referenced by the index') };
};

// Index mode, part one: every live instance the index lists (or only those the target's listing
// did not name, when those were settled from it), to be decoded and checked as the index says.
export function* indexedInstances(index: IndexReader, storageRoot: string, selection: 'all' | 'unlisted'): Generator<SourceItem> {
  for (const instance of index.instances(selection)) yield instanceItem(storageRoot, instance, index);
}

// A settled file's outcome, with its size on disk when the index did not give it.
const outcomeOf = (item: SettledItem): FileOutcome => {
  const { entry, classified } = item;
  if (item.sized === true) return skippedOutcome(entry, classified);
  let size: number;
  try {
    size = lstatSync(entry.rawPath ?? entry.path).size;
  } catch {
    size = 0;
  }
  return skippedOutcome(entry, classified, size);
};

// Index mode, part two: the storage walk for everything else (other attachment types, the index
// itself, orphans: files the index does not reference, deleted instances), all known without
// reading them, as outcomes in batches. Orthanc's layout is read in UUID order and the index
// alongside. Synchronous file-system calls: this runs in its own thread (workers/storage.ts).
export async function* storageOutcomes(storageRoot: string, attachments: AttachmentCursor): AsyncGenerator<FileOutcome[]> {
  for await (const items of storageWalk(storageRoot)) {
    const batch: FileOutcome[] = [];
    for (const item of items) {
      const found = storageFile(item, attachments);
      if (found === 'orphan') batch.push(outcomeOf({ kind: 'settled', entry: item.entry, classified: { ...settled('orphan', ORPHAN_REASON), diskSize: 0 } }));
      else if (found !== 'live') batch.push(outcomeOf(found));
    }
    if (batch.length > 0) yield batch;
  }
}

// Index mode with --include-orphans: the instances, then the rest, orphans to be classified by
// their content and uploaded like any file.
export async function* indexSourceWithOrphans(
  index: IndexReader,
  storageRoot: string,
  selection: 'all' | 'unlisted',
  beforeWalk: Promise<unknown> | undefined,
): AsyncGenerator<SourceItem> {
  yield* indexedInstances(index, storageRoot, selection);
  await beforeWalk?.then(undefined, () => undefined);
  const attachments = index.attachmentsInOrder();
  try {
    for await (const items of storageWalk(storageRoot)) {
      for (const item of items) {
        const found = storageFile(item, attachments);
        if (found === 'orphan') yield { kind: 'file', entry: item.entry };
        else if (found !== 'live') yield found;
      }
    }
  } finally {
    attachments.close();
  }
}
