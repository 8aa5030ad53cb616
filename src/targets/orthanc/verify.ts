import type { StoredAttachment } from './upload.js';
import type { UploadStatus } from './upload.js';

/** How a stored instance compares with the bytes that were sent. */
export type Verification =
  /** `file`: the UUID of the target's attachment whose MD5 was read back, when told. */
  | { readonly kind: 'verified'; readonly by: 'md5' | 'size' | 'presence'; readonly file?: string }
  /** `what`: the two MD5s (or sizes) that differ, for otherVersion. */
  | { readonly kind: 'conflict'; readonly reason: string; readonly what: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unverified'; readonly reason: string };

const OVERWRITE_HINT = 'to replace it, set "OverwriteInstances": true on the target and run again with --no-skip-existing';

/** What the target says of the copy it holds (its top-level elements and TransferSyntax metadata). */
export interface StoredCopy {
  readonly transferSyntax: string | undefined;
  /** The stored file has a top-level PixelData element (7FE0,0010). */
  readonly pixelData: boolean;
}

// Why: "another version" must say what is true of it: the copy there in another transfer syntax
// (a deflated or transcoded copy), or without pixel data (a cache uploaded by a naive import), when
// the target tells; never a guess.
export const otherVersion = (what: string, copy?: StoredCopy, sourceTransferSyntax?: string): string => {
  const facts: string[] = [];
  if (copy?.transferSyntax !== undefined) {
    const source = sourceTransferSyntax === undefined || sourceTransferSyntax === '' ? '' : sourceTransferSyntax === copy.transferSyntax ? ' as in the source' : `, the source's ${sourceTransferSyntax}`;
    facts.push(`transfer syntax ${copy.transferSyntax}${source}`);
  }
  if (copy !== undefined) facts.push(copy.pixelData ? 'with pixel data' : 'without pixel data');
  const there = facts.length === 0 ? '' : `; the copy there: ${facts.join(', ')}`;
  return `the target holds another version of this instance (${what}${there}); ${OVERWRITE_HINT}`;
};

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
    return { kind: 'conflict', reason: otherVersion(what), what };
  }
  return { kind: 'conflict', reason: `the target stored bytes other than the source's (${what}): does it transcode or modify incoming files, or does the source's MD5 record disagree with its file?`, what };
};
