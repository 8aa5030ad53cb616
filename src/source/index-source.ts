import { basename, isAbsolute, relative, sep } from 'node:path';
import type { SkippedFile, SourceItem } from '../types.js';
import { walk } from '../walk.js';
import type { IndexedInstance, OrthancIndex } from './orthanc-index.js';

const UUID = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/i;
const INDEX_FILES = /^(index|index-wal|index-shm|index-journal)$/;

// Orthanc's own rule for an attachment file: root/uuid[0:2]/uuid[2:4]/uuid.
const isStorageLayout = (relativePath: string): boolean => {
  const parts = relativePath.split('/');
  const name = parts[2] ?? '';
  return parts.length === 3 && UUID.test(name) && parts[0] === name.slice(0, 2) && parts[1] === name.slice(2, 4);
};

const settled = (fileClass: SkippedFile['fileClass'], reason: string): SkippedFile => ({ kind: 'skipped', fileClass, reason, diskSize: 0 });

// Names another attachment type the way the report shows it; these are never uploaded.
const otherAttachment = (fileType: number): SkippedFile => {
  if (fileType === 2) return settled('json-summary', "Orthanc's dicom-as-json summary (attachment type 2 in the index)");
  if (fileType === 3) {
    return settled('pixel-data-cache', "Orthanc's dicom-until-pixel-data attachment (type 3 in the index); uploading it would create a pixel-less instance");
  }
  const kind = fileType >= 1024 ? `a user attachment (type ${fileType})` : `an attachment of type ${fileType}`;
  return settled('not-dicom', `${kind} in the index, not a DICOM instance`);
};

const relativeTo = (root: string, path: string): string => {
  const rel = relative(root, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split(sep).join('/');
};

const instanceItem = (root: string, instance: IndexedInstance): SourceItem => {
  const entry = { path: instance.path, relativePath: relativeTo(root, instance.path) };
  if (instance.layoutProblem !== undefined) {
    return { kind: 'settled', entry, classified: settled('failed', `the storage layout of instance ${instance.instanceId} is not supported: ${instance.layoutProblem}`) };
  }
  const { compressionType, compressedSize, uncompressedSize, uncompressedMd5, instanceId } = instance;
  return { kind: 'indexed', entry, expected: { compressionType, compressedSize, uncompressedSize, uncompressedMd5, instanceId }, studyId: instance.studyId, key: `uuid:${instance.uuid}`, tags: instance.tags };
};

// Index mode: first every live instance the index lists (decoded and checked as the index says),
// then a walk of the storage for everything else: other attachment types, the index itself, and
// orphans (files the index does not reference: deleted instances, never uploaded by default).
export async function* indexSource(index: OrthancIndex, storageRoot: string, includeOrphans: boolean): AsyncGenerator<SourceItem> {
  for (const instance of index.instances()) yield instanceItem(storageRoot, instance);
  for await (const item of walk(storageRoot)) {
    const { entry } = item;
    if (item.kind === 'unreadable') {
      yield { kind: 'settled', entry, classified: settled(item.fileClass, item.reason) };
      continue;
    }
    const attachment = index.attachment(basename(entry.path));
    if (attachment?.fileType === 1) continue; // a live instance: handled above
    if (attachment !== undefined) {
      yield { kind: 'settled', entry, classified: { ...otherAttachment(attachment.fileType), diskSize: attachment.compressedSize }, sized: true };
    } else if (INDEX_FILES.test(entry.relativePath)) {
      yield { kind: 'settled', entry, classified: settled('not-dicom', "Orthanc's SQLite index (read through a private copy, never opened in place)") };
    } else if (isStorageLayout(entry.relativePath)) {
      yield includeOrphans
        ? { kind: 'file', entry }
        : { kind: 'settled', entry, classified: settled('orphan', 'an attachment file the index does not reference (a deleted instance left behind); not uploaded without --include-orphans') };
    } else {
      yield { kind: 'settled', entry, classified: settled('not-dicom', 'not an Orthanc attachment and not referenced by the index') };
    }
  }
}
