// Free space of the filesystem holding a target folder, and the guard that stops a run cleanly
// (before anything is half-written) when what remains to be written does not fit.
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ImporterError } from '../../core/errors.js';
import { formatCount } from '../../core/units.js';

/** Bytes an unprivileged writer may still use on the filesystem holding `path`. */
export type FreeSpace = (path: string) => Promise<number>;

const isCode = (error: unknown, code: string): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;

/** bavail * bsize of the filesystem holding `path` (or its nearest existing parent, for a folder not yet created). */
export const freeBytes: FreeSpace = async (path) => {
  let current = path;
  for (;;) {
    try {
      const stats = await statfs(current);
      return stats.bavail * stats.bsize;
    } catch (error) {
      const parent = dirname(current);
      if (!isCode(error, 'ENOENT') || parent === current) throw error;
      current = parent;
    }
  }
};

const MB = 1024 * 1024;
const mebibytes = (bytes: number, round: (value: number) => number): string => `${formatCount(round(Math.max(0, bytes) / MB))} MiB`;

const RESUME = 'free space and run the same command again to resume';

/** The run-stopping error for a full disk; also used when a write fails with ENOSPC or EDQUOT. */
export const diskFullError = (root: string, detail: string, cause?: unknown): ImporterError =>
  new ImporterError('E_DISK_FULL', `Not enough free disk space in ${root}: ${detail}; ${RESUME}`, cause === undefined ? undefined : { cause });

export interface SpaceGuardOptions {
  /** Bytes to leave free on that filesystem (for the journal, the report, the system). */
  readonly reserveBytes: number;
  /** How free space is measured; tests inject a full disk here. */
  readonly freeBytes?: FreeSpace;
}

/** Checks, before writing, that the filesystem holding `root` has room for what is about to be written. */
export class SpaceGuard {
  readonly root: string;
  readonly reserveBytes: number;
  private readonly free: FreeSpace;

  constructor(root: string, options: SpaceGuardOptions) {
    if (!Number.isFinite(options.reserveBytes) || options.reserveBytes < 0) throw new RangeError('reserveBytes must be a finite number ≥ 0');
    this.root = root;
    this.reserveBytes = options.reserveBytes;
    this.free = options.freeBytes ?? freeBytes;
  }

  /**
   * Resolves when `bytes` more fit while keeping `reserveBytes` free; otherwise throws the
   * run-stopping ImporterError ("Not enough free disk space in <root>: …; free space and run the
   * same command again to resume"). `what` names those bytes in the message.
   */
  async ensure(bytes: number, what = 'what remains'): Promise<void> {
    const free = await this.free(this.root);
    if (free - this.reserveBytes >= bytes) return;
    const reserve = this.reserveBytes > 0 ? ` (+ ${mebibytes(this.reserveBytes, Math.ceil)} kept free)` : '';
    throw diskFullError(this.root, `${mebibytes(bytes, Math.ceil)} needed for ${what}${reserve}, ${mebibytes(free, Math.floor)} free`);
  }
}
