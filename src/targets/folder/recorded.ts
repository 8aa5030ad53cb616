// What the journal says a recovery wrote is only taken while the folder still shows it: a recorded
// file deleted, or whose size changed, since is written again, never replayed as recovered.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileOutcome } from '../../core/types.js';

// Why: a replayed folder outcome claims a file on disk; this is the look that claim rests on. An
// outcome that claims no file (a file not recovered, and why) stands as it is; a recovered one
// stands only while a regular file of its recorded decoded size is at its recorded path, last
// modified when it was recorded (a file changed since, same size or not, proves nothing) and before
// `writtenBefore` (a run that writes into the folder gives FolderSink.openedAt: a file it wrote
// itself, another instance's put where a deleted one was, proves no older record).
export const confirmRecorded = async (root: string, outcome: Partial<FileOutcome>, writtenBefore = Number.POSITIVE_INFINITY): Promise<boolean> => {
  if (outcome.fileClass !== 'dicom') return true;
  const { output, decodedSize, outputMtimeMs } = outcome;
  if (output === undefined || decodedSize === undefined) return false;
  try {
    const stats = await lstat(join(root, ...output.split('/')));
    const unchanged = outputMtimeMs === undefined || stats.mtimeMs === outputMtimeMs;
    return stats.isFile() && stats.size === decodedSize && unchanged && stats.mtimeMs < writtenBefore;
  } catch {
    return false;
  }
};
