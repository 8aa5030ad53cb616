// A local folder as a Target: a recovery writes each instance as a plain DICOM file (its MD5
// checked as it is written), a check looks for it there, and a replay takes a recorded file while
// it stands at its path with its size and modification time.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { orthancInstanceId } from '../../decode/orthanc-id.js';
import type { Held, HoldsHints, InstanceBody, InstanceRef, PutResult, Target, TargetAssessment, TargetFeatures } from '../target.js';
import { SpaceGuard } from './disk-space.js';
import { disambiguatedPath, outputPath, type Layout } from './folder-layout.js';
import { FolderSink, md5OfFile } from './folder-sink.js';
import { headerInstanceId } from './identify-file.js';
import { confirmRecorded } from './recorded.js';

/** Free space kept on the recovery folder's filesystem, for the journal, the report and the system. */
const RESERVE_BYTES = 64 * 1024 * 1024;

/** What a recovery folder is opened with. */
export interface FolderTargetOptions {
  readonly dir: string;
  readonly layout: Layout;
  readonly overwrite: boolean;
}

// The modification time of a file just written or found identical (undefined if it cannot be read).
const mtimeOf = async (path: string): Promise<number | undefined> => {
  try {
    return (await lstat(path)).mtimeMs;
  } catch {
    return undefined;
  }
};

/** A file of the folder as a check finds it. */
type Found = { readonly kind: 'file'; readonly path: string; readonly size: number } | { readonly kind: 'none' };

const fileAt = async (root: string, relative: string): Promise<Found> => {
  const path = join(root, ...relative.split('/'));
  try {
    const stats = await lstat(path);
    return stats.isFile() ? { kind: 'file', path, size: stats.size } : { kind: 'none' };
  } catch {
    return { kind: 'none' };
  }
};

/** A recovery folder, as every operation sees a target. */
export class FolderTarget implements Target {
  readonly features: TargetFeatures;
  readonly #options: FolderTargetOptions;
  readonly #space: SpaceGuard;
  #sink: FolderSink | undefined;

  constructor(options: FolderTargetOptions, concurrency: number) {
    this.#options = options;
    this.features = { findsByInstanceId: false, bulkListing: false, cheapLookup: false, comparesMd5: true, putsInFlight: concurrency };
    this.#space = new SpaceGuard(options.dir, { reserveBytes: RESERVE_BYTES });
  }

  // Creates the folder when needed, and refuses one that is a file or cannot be written.
  async assess(): Promise<TargetAssessment> {
    this.#sink = await FolderSink.open(this.#options.dir, { layout: this.#options.layout, overwrite: this.#options.overwrite, space: this.#space });
    return { transcoding: false, warnings: [] };
  }

  #opened(): FolderSink {
    if (this.#sink === undefined) throw new Error('the folder target is used before assess()');
    return this.#sink;
  }

  async reserve(bytes: number, what: string): Promise<void> {
    await this.#space.ensure(bytes, what);
  }

  // Writes one decoded instance as a plain DICOM file, checked against its MD5 while written.
  async put(instance: InstanceRef, body: InstanceBody): Promise<PutResult> {
    const sink = this.#opened();
    const natural = outputPath(this.#options.layout, instance, instance.instanceId);
    // Another instance's file there sends this one beside it: `output` is where it really is.
    const identity = { orthancId: instance.instanceId, headerId: orthancInstanceId(instance) };
    const result = await sink.write(natural, body, { size: instance.size, md5: instance.md5 ?? '' }, identity);
    const output = result.path;
    switch (result.kind) {
      case 'written':
      case 'replaced':
      case 'identical': {
        const fields = { output, outputMtimeMs: await mtimeOf(join(sink.root, ...output.split('/'))) };
        const status = result.kind === 'identical' ? 'already-there' : 'stored';
        return { kind: 'stored', status, answer: result.kind, proof: { kind: 'same', by: 'md5' }, fields };
      }
      case 'conflict':
        return { kind: 'conflict', reason: result.reason, fields: { output } };
      case 'failed':
        return { kind: 'failed', reason: result.reason, cause: result.reason, fields: { output } };
    }
  }

  // A recorded file stands while it is at its path with its size and mtime, older than this run
  // (what this run saw of it is its size); otherwise the instance's file is looked for at its
  // name (or the name beside it) and its MD5 compared.
  async holds(instance: InstanceRef, hints: HoldsHints = {}): Promise<Held> {
    const sink = this.#opened();
    if (hints.recorded !== undefined) {
      return (await confirmRecorded(sink.root, hints.recorded, sink.openedAt)) ? { kind: 'same', by: 'size' } : { kind: 'absent' };
    }
    const natural = outputPath(this.#options.layout, instance, instance.instanceId);
    const headerId = orthancInstanceId(instance);
    for (const relative of [natural, disambiguatedPath(natural, instance.instanceId)]) {
      const found = await fileAt(sink.root, relative);
      if (found.kind === 'none') continue;
      const id = await headerInstanceId(found.path, found.size);
      // A damaged file under this instance's name is this instance damaged, as a recovery calls it.
      if (id === undefined) return { kind: 'other', reason: `the folder holds a file at ${relative} that is not a readable DICOM instance` };
      if (id !== headerId) continue;
      if (instance.md5 === undefined) return { kind: 'unknown', reason: 'the source\'s MD5 is not known' };
      const md5 = await md5OfFile(found.path).catch(() => undefined);
      if (md5 === undefined) return { kind: 'unknown', reason: `${relative} cannot be read` };
      if (md5 === instance.md5 && found.size === instance.size) return { kind: 'same', by: 'md5' };
      return { kind: 'other', reason: `the folder holds another version of this instance at ${relative} (MD5 ${md5}, source ${instance.md5})` };
    }
    return { kind: 'absent' };
  }

  async close(): Promise<void> {
    // Every write is complete (and synced) when its put() settles: nothing is left open.
  }
}
