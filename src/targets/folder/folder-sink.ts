// Writes decoded DICOM instances into a target folder: each file goes to a temporary name beside
// its destination and is renamed only once complete and checked against the expected size and MD5,
// so a crash never leaves a partial `.dcm`. An existing file is never replaced silently, and a
// file of another instance never at all: one instance, one path (see write()).
//
// Temporary files are named `.<name>.partial-<pid>-<random>`. No layout produces a component that
// starts with '.', so they are never taken for results. open() does not walk the tree for those a
// crash left behind (it may be huge); write() removes them from a folder the first time it writes
// there, the stale one of the file being written included.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, opendir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ImporterError } from '../../core/errors.js';
import { diskFullError, type SpaceGuard } from './disk-space.js';
import { disambiguatedPath, type Layout } from './folder-layout.js';
import { headerInstanceId } from './identify-file.js';
import { errnoCode } from '../../core/errno.js';

/** The decoded bytes, held, or a factory of a stream of them (called once per write). */
export type WriteBody = Uint8Array | (() => NodeJS.ReadableStream);

/** `path` is the relative path given to write(). */
export type WriteResult =
  | { readonly kind: 'written' | 'identical' | 'replaced'; readonly path: string }
  | { readonly kind: 'conflict'; readonly path: string; readonly reason: string }
  | { readonly kind: 'failed'; readonly path: string; readonly reason: string };

export interface FolderSinkOptions {
  readonly layout: Layout;
  /** Replace an existing file whose content differs (otherwise: a 'conflict', the file kept). */
  readonly overwrite: boolean;
  /** Checked before each write; a full disk throws and stops the run. */
  readonly space?: SpaceGuard;
  /**
   * fsync each file before its rename and its folder after (default true), so that even a power
   * cut leaves no partial `.dcm` and a file reported written is on disk.
   */
  readonly durable?: boolean;
}

/** The expected decoded size and MD5 (lower-case hex) of the instance. */
export interface Expected {
  readonly size: number;
  readonly md5: string;
}

/** Which instance is written: what tells its file from another instance's at the same path. */
export interface InstanceIdentity {
  /** The Orthanc instance ID (from the index, else computed): tags a disambiguated name. */
  readonly orthancId: string;
  /**
   * orthancInstanceId of the instance's own parsed header, undefined when it did not parse: the
   * same function is applied to a file already in the folder, so the two are always comparable
   * (in index mode the Orthanc ID comes from the index, and may differ from any header's reading).
   */
  readonly headerId: string | undefined;
}

/** What stands at a path, for the instance being written. */
type Occupant =
  | { readonly kind: 'absent' }
  | { readonly kind: 'identical' }
  | { readonly kind: 'other' }
  /** This instance in another version, or a file that names no instance (not DICOM, unreadable). */
  | { readonly kind: 'same'; readonly detail: string }
  | { readonly kind: 'failed'; readonly reason: string };

const PARTIAL = '.partial-';
// Folders already rid of stale partial files; forgotten past this many (cleaning again is harmless).
const MAX_CLEANED_FOLDERS = 4096;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const isDiskFull = (error: unknown): boolean => errnoCode(error) === 'ENOSPC' || errnoCode(error) === 'EDQUOT';

const unusable = (root: string, why: string, cause?: unknown): ImporterError =>
  new ImporterError('E_TARGET_FOLDER', `The target folder ${root} cannot be used: ${why}`, cause === undefined ? undefined : { cause });

const removeQuietly = async (path: string): Promise<void> => {
  try {
    await unlink(path);
  } catch {
    // already gone, or not ours to report: the write's own outcome matters
  }
};

export const md5OfFile = async (path: string): Promise<string> => {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

const syncFolder = async (path: string): Promise<void> => {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // some filesystems (and Windows) cannot fsync a folder; the file itself was synced
  }
};

const mismatch = (size: number, md5: string, expectedSize: number, expectedMd5: string): string => {
  const got = size > expectedSize ? `more than ${expectedSize} bytes` : `${size} bytes with MD5 ${md5}`;
  return `the decoded bytes are not the expected ones (${got}, expected ${expectedSize} bytes with MD5 ${expectedMd5}); nothing written`;
};

export class FolderSink {
  /** Absolute path of the target folder. */
  readonly root: string;
  readonly layout: Layout;
  readonly overwrite: boolean;
  /**
   * When the folder was opened, by the folder's own clock (the mtime of a file created then): a
   * file modified since may have been written by this run, so it cannot confirm an older record.
   */
  readonly openedAt: number;
  private readonly space: SpaceGuard | undefined;
  private readonly durable: boolean;
  // Writes to the same path run one after the other (the same instance twice in a source).
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly cleaned = new Map<string, Promise<void>>();
  private readonly ownPartials = new Set<string>();
  private pendingBytes = 0;

  private constructor(root: string, openedAt: number, options: FolderSinkOptions) {
    this.root = root;
    this.openedAt = openedAt;
    this.layout = options.layout;
    this.overwrite = options.overwrite;
    this.space = options.space;
    this.durable = options.durable ?? true;
  }

  /** Creates the folder when needed; refuses (ImporterError) a path that is a file or a folder that cannot be written. */
  static async open(root: string, options: FolderSinkOptions): Promise<FolderSink> {
    const absolute = resolve(root);
    try {
      const stats = await stat(absolute);
      if (!stats.isDirectory()) throw unusable(absolute, 'it exists and is not a folder');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error instanceof ImporterError ? error : unusable(absolute, messageOf(error), error);
      try {
        await mkdir(absolute, { recursive: true });
      } catch (mkdirError) {
        throw unusable(absolute, `it cannot be created (${messageOf(mkdirError)})`, mkdirError);
      }
    }
    // A real file, not access(): access() lets root through whatever the permissions say.
    const probe = join(absolute, `.write-test${PARTIAL}${process.pid}-${randomBytes(4).toString('hex')}`);
    let openedAt: number;
    try {
      const handle = await open(probe, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
      try {
        openedAt = (await handle.stat()).mtimeMs;
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (isDiskFull(error)) throw diskFullError(absolute, 'not even an empty file can be created', error);
      throw unusable(absolute, `it is not writable (${messageOf(error)})`, error);
    } finally {
      await removeQuietly(probe);
    }
    return new FolderSink(absolute, openedAt, options);
  }

  /**
   * Writes one instance at its natural `relativePath` ('/'-separated, inside the folder, as
   * outputPath gives), or, when a file of ANOTHER instance (its header names another instance)
   * is there, beside it at disambiguatedPath (`<name>~<8 hex of the Orthanc ID>.dcm`); an
   * instance already at that second path stays there. The result names the path used.
   * - the destination holds the same size and MD5: 'identical', nothing written;
   * - it holds another version of this instance, or a file that names no instance: 'conflict'
   *   (kept byte for byte), or 'replaced' with `overwrite`; another instance's file is never
   *   replaced (both paths taken by other instances: 'failed');
   * - the bytes are not `expected`: 'failed', nothing left behind (neither the file nor a partial);
   * - not enough free space (SpaceGuard, or ENOSPC/EDQUOT while writing): throws the run-stopping
   *   ImporterError, after removing the partial file.
   */
  async write(relativePath: string, body: WriteBody, expected: Expected, instance: InstanceIdentity): Promise<WriteResult> {
    // Writes for one natural path (instances that may take either of its two names) run one after the other.
    const target = this.resolveInside(relativePath);
    const previous = this.busy.get(target);
    const writeNow = (): Promise<WriteResult> => this.writeNow(relativePath, body, expected, instance);
    const run = (previous ?? Promise.resolve()).then(writeNow, writeNow);
    this.busy.set(target, run);
    try {
      return await run;
    } finally {
      if (this.busy.get(target) === run) this.busy.delete(target);
    }
  }

  private resolveInside(relativePath: string): string {
    const parts = relativePath.split('/');
    if (isAbsolute(relativePath) || relativePath.includes('\\') || parts.some((part) => part === '' || part === '.' || part === '..')) {
      throw new TypeError(`Not a relative path inside the target folder: ${JSON.stringify(relativePath)}`);
    }
    return join(this.root, ...parts);
  }

  // What stands at `target`: nothing, this very file, another version of this instance, another instance.
  private async occupant(path: string, target: string, expected: Expected, instance: InstanceIdentity): Promise<Occupant> {
    const existing = await lstat(target).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
      throw error;
    });
    if (existing === undefined) return { kind: 'absent' };
    if (existing.isDirectory()) return { kind: 'failed', reason: `${path} is a folder in the target folder; nothing written` };
    if (!existing.isFile()) return { kind: 'same', detail: `${path} already exists and is not a regular file` };
    const md5 = await md5OfFile(target).catch((error: unknown) => error);
    if (typeof md5 !== 'string') return { kind: 'failed', reason: `the existing ${path} cannot be read: ${messageOf(md5)}` };
    const wanted = expected.md5.toLowerCase();
    if (existing.size === expected.size && md5 === wanted) return { kind: 'identical' };
    const held = await headerInstanceId(target, existing.size);
    if (held !== undefined && held !== instance.headerId) return { kind: 'other' };
    const what = held === undefined ? 'a file that is not a readable DICOM instance' : 'another version of this instance';
    return { kind: 'same', detail: `${path} already holds ${what} (MD5 ${md5}, ${existing.size} bytes; this instance: MD5 ${wanted}, ${expected.size} bytes)` };
  }

  // Chooses the path (natural, else disambiguated) and what to do there.
  private async writeNow(natural: string, body: WriteBody, expected: Expected, instance: InstanceIdentity): Promise<WriteResult> {
    const first = await this.occupant(natural, this.resolveInside(natural), expected, instance);
    if (first.kind !== 'absent' && first.kind !== 'other') return this.settleAt(natural, first, body, expected);
    // The instance may be beside its natural path already (written while another instance held it).
    const beside = disambiguatedPath(natural, instance.orthancId);
    const second = await this.occupant(beside, this.resolveInside(beside), expected, instance);
    if (second.kind === 'identical' || second.kind === 'same') return this.settleAt(beside, second, body, expected);
    if (first.kind === 'absent') return this.replaceOrWrite(natural, body, expected, false);
    if (second.kind === 'absent') return this.replaceOrWrite(beside, body, expected, false);
    if (second.kind === 'failed') return this.settleAt(beside, second, body, expected);
    return { kind: 'failed', path: natural, reason: `${natural} and ${beside} both hold other instances; nothing written` };
  }

  // The instance's path holds something already: this very file, another version of it, or a failure.
  private async settleAt(path: string, found: Exclude<Occupant, { kind: 'absent' | 'other' }>, body: WriteBody, expected: Expected): Promise<WriteResult> {
    if (found.kind === 'identical') return { kind: 'identical', path };
    if (found.kind === 'failed') return { kind: 'failed', path, reason: found.reason };
    if (!this.overwrite) return { kind: 'conflict', path, reason: `${found.detail}; it was kept as it is, --overwrite replaces it` };
    return this.replaceOrWrite(path, body, expected, true);
  }

  private async replaceOrWrite(path: string, body: WriteBody, expected: Expected, replacing: boolean): Promise<WriteResult> {
    const target = this.resolveInside(path);
    const wanted = expected.md5.toLowerCase();
    const bytes = body instanceof Uint8Array ? body : undefined;
    if (bytes !== undefined) {
      // Checked before anything touches the disk.
      const md5 = createHash('md5').update(bytes).digest('hex');
      if (bytes.byteLength !== expected.size || md5 !== wanted) return { kind: 'failed', path, reason: mismatch(bytes.byteLength, md5, expected.size, wanted) };
    }

    this.pendingBytes += expected.size;
    try {
      // Writes in flight count too: each is checked against what all of them need.
      await this.space?.ensure(this.pendingBytes, 'the files being written');
      return await this.writeFile(path, target, body, expected.size, wanted, replacing);
    } finally {
      this.pendingBytes -= expected.size;
    }
  }

  private async writeFile(path: string, target: string, body: WriteBody, size: number, md5: string, replacing: boolean): Promise<WriteResult> {
    const folder = dirname(target);
    const name = target.slice(folder.length + 1);
    try {
      await mkdir(folder, { recursive: true });
    } catch (error) {
      if (isDiskFull(error)) throw diskFullError(this.root, `no room to create the folder of ${path}`, error);
      return { kind: 'failed', path, reason: `the folder of ${path} cannot be created: ${messageOf(error)}` };
    }
    await this.removeStalePartials(folder);
    const partial = join(folder, `.${name}${PARTIAL}${process.pid}-${randomBytes(4).toString('hex')}`);
    this.ownPartials.add(partial);
    try {
      const written = body instanceof Uint8Array ? await this.writeBytes(partial, body) : await this.writeStream(partial, body, size);
      if (written.size !== size || written.md5 !== md5) {
        await removeQuietly(partial);
        return { kind: 'failed', path, reason: mismatch(written.size, written.md5, size, md5) };
      }
      await rename(partial, target);
      if (this.durable) await syncFolder(folder);
      return { kind: replacing ? 'replaced' : 'written', path };
    } catch (error) {
      await removeQuietly(partial);
      if (isDiskFull(error)) throw diskFullError(this.root, `the disk filled up while writing ${path} (${errnoCode(error) ?? ''}); nothing half-written was kept`, error);
      if (errnoCode(error) === 'EROFS') throw unusable(this.root, `it became read-only while writing ${path}`, error);
      return { kind: 'failed', path, reason: `${path} could not be written: ${messageOf(error)}` };
    } finally {
      this.ownPartials.delete(partial);
    }
  }

  private async writeBytes(partial: string, bytes: Uint8Array): Promise<{ size: number; md5: string }> {
    const handle = await open(partial, 'wx');
    try {
      await handle.writeFile(bytes);
      if (this.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    return { size: bytes.byteLength, md5: createHash('md5').update(bytes).digest('hex') };
  }

  private async writeStream(partial: string, factory: () => NodeJS.ReadableStream, expectedSize: number): Promise<{ size: number; md5: string }> {
    const hash = createHash('md5');
    let size = 0;
    const handle = await open(partial, 'wx');
    try {
      // Awaiting each write is the back-pressure; leaving the loop early destroys the source.
      for await (const chunk of factory()) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buffer.byteLength;
        if (size > expectedSize) break; // no point writing more: it will be refused
        hash.update(buffer);
        await handle.write(buffer);
      }
      if (this.durable && size <= expectedSize) await handle.sync();
    } finally {
      await handle.close();
    }
    return { size, md5: hash.digest('hex') };
  }

  // Removes, once per folder, the partial files a crash left there (never this process's own).
  private removeStalePartials(folder: string): Promise<void> {
    let done = this.cleaned.get(folder);
    if (done === undefined) {
      if (this.cleaned.size >= MAX_CLEANED_FOLDERS) this.cleaned.clear();
      done = this.sweep(folder);
      this.cleaned.set(folder, done);
    }
    return done;
  }

  private async sweep(folder: string): Promise<void> {
    try {
      for await (const entry of await opendir(folder)) {
        if (!entry.name.startsWith('.') || !entry.name.includes(PARTIAL) || !entry.isFile()) continue;
        const path = join(folder, entry.name);
        if (!this.ownPartials.has(path)) await removeQuietly(path);
      }
    } catch {
      // a folder that cannot be listed: the write itself will say what is wrong
    }
  }
}
