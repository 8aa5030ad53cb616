// The worker pool for real: piscina threads run the compiled worker and hand results back.
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Classifier } from '../../src/decode/classifier.js';
import type { FileEntry } from '../../src/core/types.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/dicom/000000.dcm', import.meta.url));
let classifier: Classifier | undefined;
afterEach(async () => {
  await classifier?.close();
  classifier = undefined;
});

const entryFor = (path: string): Promise<FileEntry> => Promise.resolve({ path, relativePath: path });

describe('Classifier', () => {
  it('decodes an Orthanc-compressed file in a worker thread and returns its bytes intact', async () => {
    const original = await readFile(SAMPLE);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(original.length));
    const path = join(await mkdtemp(join(tmpdir(), 'oi-pool-')), 'compressed');
    await writeFile(path, Buffer.concat([prefix, deflateSync(original)]));
    classifier = new Classifier({ workers: 2, inlineLimit: 1 << 20, maxDecodedSize: 1 << 30, keepBytes: true });
    const result = await classifier.classify(await entryFor(path));
    expect(result.kind).toBe('dicom');
    if (result.kind !== 'dicom') return;
    expect(result.encoding).toBe('zlib');
    expect(Buffer.from(result.bytes ?? new Uint8Array()).equals(original)).toBe(true);
    expect(result.bytes?.buffer.byteLength).toBe(original.length); // moved as its own buffer, not a pooled slab
  });

  it('decodes on the main thread with 0 workers: the same verdicts, and no thread started', async () => {
    const original = await readFile(SAMPLE);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(original.length));
    const dir = await mkdtemp(join(tmpdir(), 'oi-inline-'));
    const path = join(dir, 'compressed');
    await writeFile(path, Buffer.concat([prefix, deflateSync(original)]));
    await writeFile(join(dir, 'text'), 'not dicom');
    const threads = (): number => readdirSync('/proc/self/task').length;
    const before = threads();
    classifier = new Classifier({ workers: 0, inlineLimit: 1 << 20, maxDecodedSize: 1 << 30, keepBytes: true });
    const result = await classifier.classify(await entryFor(path));
    expect(result).toMatchObject({ kind: 'dicom', encoding: 'zlib' });
    expect(Buffer.from(result.kind === 'dicom' ? (result.bytes ?? []) : []).equals(original)).toBe(true);
    expect(await classifier.classify(await entryFor(join(dir, 'text')))).toMatchObject({ kind: 'skipped', fileClass: 'not-dicom' });
    expect(threads()).toBe(before);
    // The same files with one worker start a thread (so the count above can tell).
    await classifier.close();
    classifier = new Classifier({ workers: 1, inlineLimit: 1 << 20, maxDecodedSize: 1 << 30, keepBytes: true });
    expect(await classifier.classify(await entryFor(path))).toMatchObject({ kind: 'dicom', encoding: 'zlib' });
    expect(threads()).toBeGreaterThan(before);
  });

  it('runs many files concurrently and answers each one with its own result', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oi-pool-'));
    const original = await readFile(SAMPLE);
    const paths = await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const path = join(dir, `f${index}`);
        await writeFile(path, index % 2 === 0 ? original : `not dicom ${index}`);
        return path;
      }),
    );
    classifier = new Classifier({ workers: 2, inlineLimit: 1 << 20, maxDecodedSize: 1 << 30, keepBytes: false });
    const results = await Promise.all(paths.map(async (path) => classifier?.classify(await entryFor(path))));
    expect(results.filter((result) => result?.kind === 'dicom')).toHaveLength(20);
    expect(results.filter((result) => result?.kind === 'skipped' && result.fileClass === 'not-dicom')).toHaveLength(20);
    expect(results.every((result) => result?.kind !== 'dicom' || result.bytes === undefined)).toBe(true);
  });
});
