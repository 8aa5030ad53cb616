// A file is Orthanc's dicom-until-pixel-data cache only when its full counterpart is in the same
// source; every other DICOM instance (no PixelData, pixels in a private element, an SR, a PDF...)
// is sent and verified. Storages are written by a real Orthanc; imports go into a real Orthanc.
import { randomUUID } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHAPE_NAMES, writeRealWorldShapes, type ShapeName } from '../../fixtures/real-world-shapes.js';
import { CacheEvidence } from '../../src/run/cache-evidence.js';
import { inflateOrthancFile } from '../../src/decode/orthanc-zlib.js';
import { resolveOptions, runImport } from '../../src/index.js';
import type { Classified, DecodedDicom, FileEntry, FileOutcome } from '../../src/core/types.js';
import { instanceMd5s, orthancsOfThisFile, uploadToOrthanc } from '../helpers/orthanc.js';
import { md5File } from '../helpers/tree.js';

const start = orthancsOfThisFile();

/** Shapes stored in the storage: not the one that kills Orthanc, not the deflated copy of another. */
const STORED = SHAPE_NAMES.filter((name) => name !== 'nested-10000' && name !== 'deflated-copy');

let work = '';
let shapes: Record<ShapeName, string>;
/** The compressed storage a real Orthanc wrote for the stored shapes. */
let storage = '';
/** Its attachment files: path relative to the storage, type (1 DICOM, 3 cache), instance. */
let attachments: { path: string; fileType: number; instanceId: string }[] = [];
/** Orthanc instance ID -> MD5 of the original file. */
const expected = new Map<string, string>();

type Report = { notUploaded: { path: string; class: string; reason: string }[] };

const importInto = async (source: string, extra: { useIndex?: boolean; includeOrphans?: boolean } = {}) => {
  const target = await start();
  const reportPath = join(work, `report-${randomUUID()}.json`);
  const summary = await runImport(resolveOptions({ source, target: target.url, reportPath, journalPath: join(work, `journal-${randomUUID()}`), ...extra }));
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
  const classes = Object.fromEntries(report.notUploaded.map((entry) => [entry.path, entry.class]));
  return { target, summary, classes };
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oi-cache-evidence-'));
  shapes = await writeRealWorldShapes(join(work, 'shapes'));
  const writer = await start({ compression: true });
  for (const name of STORED) {
    const answer = await uploadToOrthanc(writer, shapes[name]);
    expected.set(answer.ID, await md5File(shapes[name]));
  }
  await writer.stop();
  storage = writer.storageDir;
  // A copy: opening the storage's own index would leave index-wal and index-shm files in it.
  await copyFile(join(storage, 'index'), join(work, 'index'));
  const index = new Database(join(work, 'index'), { readonly: true });
  try {
    const rows = index
      .prepare<[], { uuid: string; fileType: number; publicId: string }>('SELECT a.uuid, a.fileType, r.publicId FROM AttachedFiles a JOIN Resources r ON r.internalId = a.id')
      .all();
    attachments = rows.map((row) => ({ path: `${row.uuid.slice(0, 2)}/${row.uuid.slice(2, 4)}/${row.uuid}`, fileType: row.fileType, instanceId: row.publicId }));
  } finally {
    index.close();
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const caches = (): string[] => attachments.filter((file) => file.fileType === 3).map((file) => file.path).sort();

// The storage's attachment files, inflated, in a raw folder: full files and their real caches.
const rawCopy = async (dir: string, wanted: (file: (typeof attachments)[number]) => boolean): Promise<void> => {
  for (const file of attachments.filter(wanted)) {
    const inflated = inflateOrthancFile(await readFile(join(storage, file.path)), 1 << 30);
    if (!inflated.ok) throw new Error(`${file.path}: ${inflated.reason}`);
    await mkdir(join(dir, file.path, '..'), { recursive: true });
    await writeFile(join(dir, file.path), inflated.bytes);
  }
};

describe('a raw folder', () => {
  it('sends and verifies every instance (no PixelData, private pixels, SR, PDF, CR without pixels...), and calls only the real caches pixel-data-cache', async () => {
    // Orthanc wrote a cache for each shape with PixelData and none for the others.
    expect(caches().length).toBeGreaterThanOrEqual(5);
    expect(caches().length).toBeLessThan(STORED.length);
    const dir = join(work, 'raw');
    await rawCopy(dir, () => true);
    await copyFile(shapes['nested-10000'], join(dir, 'nested-10000.dcm'));
    const { target, summary, classes } = await importInto(dir);
    expect(await instanceMd5s(target)).toEqual(expected);
    expect(summary.classes.dicom.files).toBe(STORED.length);
    expect(summary.verified).toBe(STORED.length);
    expect(classes).toEqual({ ...Object.fromEntries(caches().map((path) => [path, 'pixel-data-cache'])), 'nested-10000.dcm': 'too-deep' });
    expect(summary.exitCode).toBe(1); // the too-deep file is not delivered
  });

  it('sends a cache whose full file is not there: nothing proves it one', async () => {
    const dir = join(work, 'lonely-cache');
    const lonely = caches()[0];
    await rawCopy(dir, (file) => file.path === lonely);
    const { target, summary, classes } = await importInto(dir);
    expect(classes).toEqual({});
    expect(summary.classes.dicom.files).toBe(1);
    expect(summary.verified).toBe(1);
    expect((await instanceMd5s(target)).size).toBe(1);
    expect(summary.exitCode).toBe(0);
  });
});

describe('a re-run with a journal', () => {
  it('proves a new cache against a full file the journal replays, by reading that file again', async () => {
    const dir = join(work, 'resumed');
    const cache = attachments.find((file) => file.fileType === 3);
    const full = attachments.find((file) => file.fileType === 1 && file.instanceId === cache?.instanceId);
    await rawCopy(dir, (file) => file === full);
    const target = await start();
    const journalPath = join(work, 'resumed-journal');
    const first = await runImport(resolveOptions({ source: dir, target: target.url, journalPath }));
    expect(first.classes.dicom.files).toBe(1);
    await rawCopy(dir, (file) => file === cache);
    const reportPath = join(work, 'resumed-report.json');
    const second = await runImport(resolveOptions({ source: dir, target: target.url, journalPath, reportPath }));
    expect(second.resumed).toBe(1);
    expect(second.classes['pixel-data-cache'].files).toBe(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.notUploaded).toMatchObject([{ path: cache?.path, class: 'pixel-data-cache' }]);
    expect((await instanceMd5s(target)).size).toBe(1);
  });
});

describe('a compressed storage', () => {
  it('walked with --no-index: every instance sent and verified, only the type-3 files are caches, and check --no-index agrees', async () => {
    const { target, summary, classes } = await importInto(storage, { useIndex: false });
    expect(await instanceMd5s(target)).toEqual(expected);
    expect(summary.classes.dicom.files).toBe(STORED.length);
    expect(summary.verified).toBe(STORED.length);
    expect(classes).toEqual({ ...Object.fromEntries(caches().map((path) => [path, 'pixel-data-cache'])), index: 'not-dicom' });
    expect(summary.exitCode).toBe(0);
    const checked = await runImport(resolveOptions({ source: storage, target: target.url, check: true, useIndex: false, journalPath: join(work, 'check-journal') }));
    expect(checked.classes.dicom.files).toBe(STORED.length);
    expect(checked.verified).toBe(STORED.length);
    expect(checked.classes['pixel-data-cache'].files).toBe(caches().length);
    expect(checked.exitCode).toBe(0);
  });

  it('with --include-orphans: an orphan copy of a cache is proven one by its live instance; an orphan without pixels is sent', async () => {
    const copy = join(work, 'orphans');
    await rm(copy, { recursive: true, force: true });
    await cp(storage, copy, { recursive: true });
    const orphanPath = async (from: string): Promise<string> => {
      const uuid = randomUUID();
      const path = `${uuid.slice(0, 2)}/${uuid.slice(2, 4)}/${uuid}`;
      await mkdir(join(copy, path, '..'), { recursive: true });
      await copyFile(join(storage, from), join(copy, path));
      return path;
    };
    const cacheOrphan = await orphanPath(caches()[0] ?? '');
    const sr = attachments.find((file) => file.fileType === 1 && expected.get(file.instanceId) !== undefined && !attachments.some((other) => other.fileType === 3 && other.instanceId === file.instanceId));
    const srOrphan = await orphanPath(sr?.path ?? '');
    const { summary, classes } = await importInto(copy, { includeOrphans: true });
    expect(classes[cacheOrphan]).toBe('pixel-data-cache');
    expect(classes[srOrphan]).toBeUndefined();
    expect(summary.classes.dicom.files).toBe(STORED.length + 1);
    expect(summary.verified).toBe(STORED.length + 1);
  });
});

describe('CacheEvidence.decide', () => {
  const entry = (name: string): FileEntry => ({ path: `/src/${name}`, relativePath: name });
  const full: DecodedDicom = { kind: 'dicom', diskSize: 900, encoding: 'raw', header: {} as DecodedDicom['header'], decodedSize: 900, md5: 'f'.repeat(32), orthancId: 'id-1', pixelData: { offset: 300, prefixMd5: 'a'.repeat(32) } };
  const candidate: DecodedDicom = { ...full, pixelData: undefined, cacheCandidate: true, decodedSize: 300, diskSize: 300, md5: 'a'.repeat(32), bytes: new Uint8Array([1, 2, 3]) };
  const other: DecodedDicom = { ...candidate, orthancId: 'id-2' };
  const never = (file: FileEntry): Promise<Classified> => Promise.reject(new Error(`not expected to read ${file.relativePath} again`));

  const run = async (stages: { entry: FileEntry; classified?: Classified; outcome?: FileOutcome }[], reclassify = never, signal?: AbortSignal) => {
    const evidence = CacheEvidence.open();
    try {
      const out: { name: string; fileClass: string; bytes?: Uint8Array | undefined }[] = [];
      const source = (async function* () {
        await Promise.resolve();
        yield* stages;
      })();
      for await (const stage of evidence.decide(source, reclassify, signal)) {
        const classified = stage.classified;
        out.push({ name: stage.entry.relativePath, fileClass: classified === undefined ? 'replayed' : classified.kind === 'dicom' ? 'dicom' : classified.fileClass, bytes: classified?.kind === 'dicom' ? classified.bytes : undefined });
      }
      return out;
    } finally {
      evidence.close();
    }
  };

  it('decides a cache whether it comes before or after its counterpart', async () => {
    const after = await run([{ entry: entry('full'), classified: full }, { entry: entry('cache'), classified: candidate }]);
    const before = await run([{ entry: entry('cache'), classified: candidate }, { entry: entry('full'), classified: full }]);
    for (const out of [after, before]) expect(out.find((file) => file.name === 'cache')?.fileClass).toBe('pixel-data-cache');
    // A parked cache is let through as soon as its counterpart proves it one.
    expect(before.map((file) => file.name)).toEqual(['cache', 'full']);
  });

  it('delivers, bytes intact, a candidate whose counterpart never comes or differs', async () => {
    const differs = { ...full, pixelData: { offset: 300, prefixMd5: 'b'.repeat(32) } };
    const out = await run([{ entry: entry('cache'), classified: candidate }, { entry: entry('full'), classified: differs }, { entry: entry('other'), classified: other }]);
    expect(out.map((file) => [file.name, file.fileClass])).toEqual([['full', 'dicom'], ['cache', 'dicom'], ['other', 'dicom']]);
    expect(out.find((file) => file.name === 'cache')?.bytes).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('reads again a counterpart known only from the journal, and holds nothing back past an aborted run', async () => {
    const replayedFull = { entry: entry('full'), outcome: { path: 'full', size: 900, fileClass: 'dicom' as const, instanceId: 'id-1' } };
    const reread: string[] = [];
    const reclassify = (file: FileEntry): Promise<Classified> => {
      reread.push(file.relativePath);
      return Promise.resolve(full);
    };
    const out = await run([replayedFull, { entry: entry('cache'), classified: candidate }], reclassify);
    expect(out.map((file) => [file.name, file.fileClass])).toEqual([['full', 'replayed'], ['cache', 'pixel-data-cache']]);
    expect(reread).toEqual(['full']);
    // A cache journaled by an earlier version, without evidence, is decided again; one proven stays.
    const legacy = { entry: entry('legacy'), outcome: { path: 'legacy', size: 300, fileClass: 'pixel-data-cache' as const, reason: 'an image header cut just before PixelData', resumed: true as const } };
    const proven = { entry: entry('proven'), outcome: { ...legacy.outcome, path: 'proven', instanceId: 'id-1' } };
    const again = await run([legacy, proven], (file) => Promise.resolve(file.relativePath === 'legacy' ? other : full));
    expect(again.map((file) => [file.name, file.fileClass])).toEqual([['proven', 'replayed'], ['legacy', 'dicom']]);
    const aborted = new AbortController();
    aborted.abort();
    expect(await run([{ entry: entry('cache'), classified: candidate }], never, aborted.signal)).toEqual([]);
  });
});
