import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodedStream } from '../../decode/file-body.js';
import { orthancInstanceId } from '../../decode/orthanc-id.js';
import { outputPath, type Layout } from './folder-layout.js';
import type { FolderSink } from './folder-sink.js';
import { dicomOutcome, skippedOutcome, type Classified, type FileEntry, type FileOutcome } from '../../core/types.js';

/** Recovery: the folder the decoded files go to, and how they are named there. */
export interface FolderDelivery {
  readonly sink: FolderSink;
  readonly layout: Layout;
}

// The modification time of a file just written or found identical (undefined if it cannot be read).
const mtimeOf = async (root: string, output: string): Promise<number | undefined> => {
  try {
    return (await lstat(join(root, ...output.split('/')))).mtimeMs;
  } catch {
    return undefined;
  }
};

// Writes one decoded instance as a plain DICOM file (checked against its MD5 while written), or
// explains why not: the recovery counterpart of deliver().
export const writeToFolder = async (entry: FileEntry, classified: Classified, delivery: FolderDelivery): Promise<FileOutcome> => {
  if (classified.kind === 'skipped') return skippedOutcome(entry, classified);
  const natural = outputPath(delivery.layout, classified.header, classified.orthancId);
  const body = classified.bytes ?? (() => decodedStream(entry.rawPath ?? entry.path, classified.encoding));
  // Another instance's file there sends this one beside it: `output` is where it really is.
  const instance = { orthancId: classified.orthancId, headerId: orthancInstanceId(classified.header) };
  const result = await delivery.sink.write(natural, body, { size: classified.decodedSize, md5: classified.md5 }, instance);
  const output = result.path;
  const base = { ...dicomOutcome(entry, classified), instanceId: classified.orthancId, output };
  switch (result.kind) {
    case 'written':
    case 'replaced':
      return { ...base, fileClass: 'dicom', status: 'Success', verified: 'md5', outputMtimeMs: await mtimeOf(delivery.sink.root, output) };
    case 'identical':
      return { ...base, fileClass: 'dicom', status: 'AlreadyStored', verified: 'md5', outputMtimeMs: await mtimeOf(delivery.sink.root, output) };
    case 'conflict':
      return { ...base, fileClass: 'conflict', reason: result.reason };
    case 'failed':
      return { ...base, fileClass: 'failed', reason: result.reason };
  }
};
