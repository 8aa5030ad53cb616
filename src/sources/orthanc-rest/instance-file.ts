// One instance of a running Orthanc, when its turn comes: what the source says of its file now
// (sizes, MD5, compression), then its bytes, downloaded in memory or, when too large to hold,
// spooled to a file of the run's own; the classifier's workers prove them against the source's MD5.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Classifier } from '../../decode/classifier.js';
import type { ExpectedFile, RemoteItem, SkippedFile } from '../../core/types.js';
import type { RemoteRead, RemoteReader } from '../source.js';
import type { SourceClient } from './source-client.js';

/** GET /instances/{id}/attachments/dicom/info, Orthanc >= 1.10.0. */
interface AttachmentInfo {
  readonly Uuid: string;
  readonly CompressedSize: number;
  readonly UncompressedSize: number;
  readonly UncompressedMD5?: string;
}

type Gone = SkippedFile & { readonly fileClass: 'missing' | 'failed' };

// An instance the source no longer has (deleted since it was listed), or could not describe.
const unreadable = (item: RemoteItem, status: number, reason: string): Gone =>
  status === 404
    ? { kind: 'skipped', fileClass: 'missing', diskSize: 0, reason: `instance ${item.instanceId} was deleted from the source after it was listed` }
    : { kind: 'skipped', fileClass: 'failed', diskSize: 0, reason: `the source did not describe instance ${item.instanceId} (${reason})` };

// True for an Orthanc that answers /attachments/{name}/info (1.10.0 and later; 'mainline' builds too).
export const hasAttachmentInfo = (version: string): boolean => {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return !/^\d/.test(version) || major > 1 || (major === 1 && minor >= 10);
};

/**
 * Largest download held in memory: up to 4 x --workers downloads may wait for a decode thread at
 * once, so a larger one is spooled to disk (the bytes the puts in flight hold are bounded apart).
 */
const HELD_DOWNLOAD = 16 * 1024 * 1024;

/** How instances are downloaded. */
export type DownloadMode = 'compressed-data' | 'file';

// Reads a download into memory, stopping just past the size expected (a longer answer is
// reported by the worker's size check, not held).
const collect =
  (limit: number) =>
  async (_status: number, _headers: unknown, body: Readable): Promise<Uint8Array> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) break;
    }
    // Its own ArrayBuffer (not a pooled one), so that it is moved to the worker, not copied.
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  };

// Writes a download to a file (again from the start when a connection failed mid-way).
const spool =
  (path: string) =>
  async (_status: number, _headers: unknown, body: Readable): Promise<void> => {
    await pipeline(body, createWriteStream(path));
  };

/** Reads a running Orthanc's instances for the stages (see RemoteReader). */
export class InstanceFiles implements RemoteReader {
  readonly #client: SourceClient;
  readonly #mode: DownloadMode;
  readonly #spoolDir: string;
  readonly #inlineLimit: number;

  constructor(client: SourceClient, options: { readonly mode: DownloadMode; readonly spoolDir: string; readonly inlineLimit: number }) {
    this.#client = client;
    this.#mode = options.mode;
    this.#spoolDir = options.spoolDir;
    this.#inlineLimit = options.inlineLimit;
  }

  // What the source says of the file now, as it will be downloaded: the stored bytes (compressed
  // or not) with compressed-data, the DICOM file with /file; both with the uncompressed MD5.
  async describe(item: RemoteItem): Promise<ExpectedFile | SkippedFile> {
    const base = `/instances/${item.instanceId}/attachments/dicom`;
    const info = hasAttachmentInfo(this.#client.system.version) ? await this.#client.json<AttachmentInfo>(`${base}/info`) : await this.#olderInfo(base);
    if (!info.ok) return unreadable(item, info.status, info.reason);
    const { CompressedSize, UncompressedSize, UncompressedMD5 } = info.value;
    const uncompressed = { uncompressedSize: UncompressedSize, uncompressedMd5: UncompressedMD5 ?? '', instanceId: item.instanceId };
    if (this.#mode === 'file') return { compressionType: 1, compressedSize: UncompressedSize, ...uncompressed };
    // Equal sizes do not tell whether it is compressed: the source is asked.
    const compressed = await this.#isCompressed(base, CompressedSize, UncompressedSize);
    if (!compressed.ok) return unreadable(item, compressed.status, compressed.reason);
    return { compressionType: compressed.value ? 2 : 1, compressedSize: CompressedSize, ...uncompressed };
  }

  // Downloads the instance (in memory, or spooled when too large to hold) and has it proven and parsed.
  async read(item: RemoteItem, expected: ExpectedFile, classifier: Classifier): Promise<RemoteRead> {
    const path = `/instances/${item.instanceId}/${this.#mode === 'file' ? 'file' : 'attachments/dicom/compressed-data'}`;
    const held = Math.min(this.#inlineLimit, HELD_DOWNLOAD);
    const large = expected.compressedSize > held || expected.uncompressedSize > held;
    const gone = (status: number, reason: string): RemoteRead => ({ classified: { ...unreadable(item, status, reason), encoding: undefined }, entry: item.entry, release: () => Promise.resolve() });
    if (!large) {
      const answer = await this.#client.stream(path, collect(expected.compressedSize));
      if (answer.kind !== 'streamed') return gone(answer.kind === 'answer' ? answer.statusCode : 0, answer.kind === 'answer' ? `HTTP ${answer.statusCode}` : answer.reason);
      return { classified: await classifier.classifyDownloaded(answer.value, expected), entry: item.entry, release: () => Promise.resolve() };
    }
    const file = join(this.#spoolDir, item.instanceId);
    const release = (): Promise<void> => rm(file, { force: true });
    try {
      const answer = await this.#client.stream(path, spool(file));
      if (answer.kind !== 'streamed') {
        await release();
        return gone(answer.kind === 'answer' ? answer.statusCode : 0, answer.kind === 'answer' ? `HTTP ${answer.statusCode}` : answer.reason);
      }
      return { classified: await classifier.classifySpooled(file, expected), entry: { path: file, relativePath: item.entry.relativePath }, release };
    } catch (error) {
      await release();
      throw error;
    }
  }

  // Orthanc before 1.10.0: the same facts, one request each.
  async #olderInfo(base: string): Promise<{ ok: true; value: AttachmentInfo } | { ok: false; status: number; reason: string }> {
    const [md5, size, compressedSize] = await Promise.all([
      this.#client.text(`${base}/md5`),
      this.#client.json<number>(`${base}/size`),
      this.#client.json<number>(`${base}/compressed-size`),
    ]);
    for (const answer of [md5, size, compressedSize]) if (!answer.ok) return answer;
    if (!md5.ok || !size.ok || !compressedSize.ok) return { ok: false, status: 0, reason: 'no answer' };
    return { ok: true, value: { Uuid: '', CompressedSize: compressedSize.value, UncompressedSize: size.value, UncompressedMD5: md5.value.trim() } };
  }

  // A failed answer is said as such (never taken for "stored as is", which the MD5 would then contradict).
  async #isCompressed(base: string, compressedSize: number, uncompressedSize: number): Promise<{ ok: true; value: boolean } | { ok: false; status: number; reason: string }> {
    if (compressedSize !== uncompressedSize) return { ok: true, value: true };
    const answer = await this.#client.json<number | boolean>(`${base}/is-compressed`);
    return answer.ok ? { ok: true, value: answer.value === true || answer.value === 1 } : answer;
  }
}
