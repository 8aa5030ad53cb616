import type { StoredAttachment } from './upload.js';
import type { UploadStatus } from './types.js';

/** How a stored instance compares with the bytes that were sent. */
export type Verification =
  /** `file`: the UUID of the target's attachment whose MD5 was read back, when told. */
  | { readonly kind: 'verified'; readonly by: 'md5' | 'size' | 'presence'; readonly file?: string }
  | { readonly kind: 'conflict'; readonly reason: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unverified'; readonly reason: string };

const OVERWRITE_HINT = 'to replace it, set "OverwriteInstances": true on the target and run again with --no-skip-existing';

// Compares what the target reports with the source's MD5 and size. AlreadyStored with other bytes
// means the target kept an older version of this instance: a conflict, never a success.
export const compareStored = (
  status: UploadStatus,
  expected: { readonly md5: string; readonly size: number },
  stored: StoredAttachment,
  transcoding: boolean,
): Verification => {
  if (stored.kind === 'unavailable') return { kind: 'unverified', reason: stored.reason };
  if (stored.kind === 'absent') return { kind: 'absent' };
  if (transcoding) return { kind: 'verified', by: 'presence' };
  const same = stored.kind === 'md5' ? stored.md5 === expected.md5 : stored.size === expected.size;
  if (same) return stored.kind === 'md5' && stored.file !== undefined ? { kind: 'verified', by: 'md5', file: stored.file } : { kind: 'verified', by: stored.kind };
  const what = stored.kind === 'md5' ? `MD5 ${stored.md5}, source ${expected.md5}` : `${stored.size} bytes, source ${expected.size}`;
  if (status === 'AlreadyStored') {
    return { kind: 'conflict', reason: `the target holds another version of this instance (${what}); ${OVERWRITE_HINT}` };
  }
  return { kind: 'conflict', reason: `the target stored different bytes than were sent (${what}): does it transcode or modify incoming files?` };
};
