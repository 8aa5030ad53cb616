// End-to-end: storages written by a real Orthanc (and a raw folder) are imported into a fresh real
// Orthanc; the target must then hold exactly the original files, byte for byte.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, runImport } from '../../src/index.js';
import { instanceMd5s, orthancJson, orthancsOfThisFile, uploadToOrthanc, type RunningOrthanc } from '../helpers/orthanc.js';
import { copyNested, makeOriginals, type Originals } from '../helpers/source-data.js';
import { bodyHeaders, startScriptedServer } from '../helpers/scripted-server.js';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import { listFiles, md5File, snapshotTree } from '../helpers/tree.js';

const start = orthancsOfThisFile();

let originals: Originals;
/** Orthanc instance ID -> MD5 of the original file, as the source Orthanc named them. */
let expected: Map<string, string>;

// Builds a stopped Orthanc's storage by uploading the originals to a real Orthanc.
const buildStorage = async (compression: boolean): Promise<string> => {
  const source = await start({ compression });
  expected = new Map();
  for (const file of originals.files) {
    const answer = await uploadToOrthanc(source, file);
    expected.set(answer.ID, await md5File(file));
  }
  await source.stop();
  return source.storageDir;
};

const importInto = async (source: string, extra: { inlineLimit?: number; reportPath?: string } = {}) => {
  const target = await start();
  const summary = await runImport(resolveOptions({ source, target: target.url, workers: 2, concurrency: 4, ...extra }));
  return { target, summary };
};

beforeAll(async () => {
  originals = await makeOriginals();
});

const orthancJsonPost = async (orthanc: RunningOrthanc, body: Uint8Array): Promise<string> =>
  (await orthancJson<{ ID: string }>(orthanc, '/instances', { method: 'POST', body })).ID;

describe('a compressed storage (StorageCompression: true)', () => {
  let storage: string;
  beforeAll(async () => {
    storage = await buildStorage(true);
  });

  it('arrives byte for byte, and no dicom-until-pixel-data copy is ever uploaded', async () => {
    const before = await snapshotTree(storage);
    const { target, summary } = await importInto(storage);
    expect(await instanceMd5s(target)).toEqual(expected);
    expect(summary.exitCode).toBe(0);
    expect(summary.classes.dicom.files).toBe(originals.files.length);
    expect(summary.statuses.stored).toBe(originals.files.length);
    // Every file on disk is either an instance, a type-3 cache, or the index.
    const onDisk = (await listFiles(storage)).length;
    expect(summary.classes['pixel-data-cache'].files).toBe(onDisk - originals.files.length - 1);
    expect(summary.classes['pixel-data-cache'].files).toBeGreaterThanOrEqual(originals.files.length - 3);
    expect(summary.classes['not-dicom'].files).toBe(1);
    expect(await snapshotTree(storage)).toEqual(before);
  });

  it('streams files above the inline limit (inflating on the fly) with the same result', async () => {
    const { target, summary } = await importInto(storage, { inlineLimit: 64 * 1024 });
    expect(await instanceMd5s(target)).toEqual(expected);
    expect(summary.exitCode).toBe(0);
    expect(summary.dicomBytes).toBeGreaterThan(30_000_000);
  });

  it('resumes from the journal, skips what the target holds without one, and re-sends on demand', async () => {
    const target = await start();
    const first = await runImport(resolveOptions({ source: storage, target: target.url }));
    expect(first.statuses.stored).toBe(originals.files.length);
    const resumed = await runImport(resolveOptions({ source: storage, target: target.url }));
    // Every instance replayed (and, when the storage is old enough to be trusted unchanged, every other file too).
    expect(resumed.resumed).toBeGreaterThanOrEqual(originals.files.length);
    expect(resumed.statuses.stored + resumed.statuses.alreadyThere + resumed.alreadyOnTarget).toBe(0);
    expect(resumed.exitCode).toBe(0);
    const listed = await runImport(resolveOptions({ source: storage, target: target.url, restart: true }));
    expect(listed.alreadyOnTarget).toBe(originals.files.length);
    expect(listed.resumed).toBe(0);
    const resent = await runImport(resolveOptions({ source: storage, target: target.url, restart: true, skipExisting: false }));
    expect(resent.statuses.alreadyThere).toBe(originals.files.length);
    expect(resent.verified).toBe(originals.files.length);
    expect(await instanceMd5s(target)).toEqual(expected);
  });
});

describe('an uncompressed storage (StorageCompression: false)', () => {
  it('arrives byte for byte, and holds no pixel-data caches', async () => {
    const storage = await buildStorage(false);
    const before = await snapshotTree(storage);
    const { target, summary } = await importInto(storage);
    expect(await instanceMd5s(target)).toEqual(expected);
    expect(summary.classes['pixel-data-cache'].files).toBe(0);
    expect(summary.classes.dicom.files).toBe(originals.files.length);
    expect(summary.exitCode).toBe(0);
    expect(await snapshotTree(storage)).toEqual(before);
  });
});

describe('a nested raw folder salted with junk', () => {
  const zlibWithSize = (bytes: Uint8Array): Buffer => {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(bytes.length));
    return Buffer.concat([prefix, deflateSync(bytes, { level: 6 })]);
  };

  it('delivers every original and explains every other file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oi-raw-'));
    await copyNested(originals, root);
    await mkdir(join(root, 'junk', 'deeper'), { recursive: true });
    const summaryJson = JSON.stringify({ '0008,0018': { Name: 'SOPInstanceUID', Type: 'String', Value: '1.2.3' } });
    const sample = await readFile(originals.files[0] ?? '');
    const pixelTag = sample.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
    await writeFile(join(root, 'junk', 'empty'), '');
    await writeFile(join(root, 'junk', 'random.bin'), randomBytes(4096));
    await writeFile(join(root, 'junk', 'config.json'), '{"Name": "not a summary"}');
    await writeFile(join(root, 'junk', 'deeper', 'summary'), summaryJson);
    await writeFile(join(root, 'junk', 'deeper', 'summary-compressed'), zlibWithSize(Buffer.from(summaryJson)));
    await writeFile(join(root, 'junk', 'cut-before-pixels.dcm'), sample.subarray(0, pixelTag));
    await writeFile(join(root, 'junk', 'truncated.dcm'), sample.subarray(0, sample.length - 100));
    const reportPath = join(root, '..', `report-${createHash('md5').update(root).digest('hex')}.json`);
    const before = await snapshotTree(root);

    const { target, summary } = await importInto(root, { reportPath });

    expect(await instanceMd5s(target)).toEqual(expected);
    expect(summary.classes.dicom.files).toBe(originals.files.length);
    expect(summary.classes['not-dicom'].files).toBe(3);
    expect(summary.classes['json-summary'].files).toBe(2);
    expect(summary.classes['pixel-data-cache'].files).toBe(1);
    expect(summary.classes.corrupt.files).toBe(1);
    expect(summary.exitCode).toBe(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: unknown; notUploaded: { path: string; class: string; reason: string }[] };
    const byPath = Object.fromEntries(report.notUploaded.map((entry) => [entry.path, entry.class]));
    expect(byPath).toEqual({
      'junk/empty': 'not-dicom',
      'junk/random.bin': 'not-dicom',
      'junk/config.json': 'not-dicom',
      'junk/deeper/summary': 'json-summary',
      'junk/deeper/summary-compressed': 'json-summary',
      'junk/cut-before-pixels.dcm': 'pixel-data-cache',
      'junk/truncated.dcm': 'corrupt',
    });
    expect(report.notUploaded.every((entry) => entry.reason.length > 0)).toBe(true);
    expect(await snapshotTree(root)).toEqual(before);
    expect(existsSync(`${reportPath}.entries.tmp`)).toBe(false);
  });
});

describe('a target that already holds a pixel-less copy of an instance', () => {
  it('reports a conflict with the OverwriteInstances hint instead of counting AlreadyStored as success', async () => {
    const target = await start();
    const first = originals.files[0] ?? '';
    const bytes = await readFile(first);
    const cut = bytes.subarray(0, bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00])));
    const pixelLess = await orthancJsonPost(target, cut);
    const root = await mkdtemp(join(tmpdir(), 'oi-conflict-'));
    await copyNested(originals, root);
    const reportPath = `${root}.json`;
    const summary = await runImport(resolveOptions({ source: root, target: target.url, reportPath }));
    expect(summary.classes.conflict.files).toBe(1);
    expect(summary.classes.dicom.files).toBe(originals.files.length - 1);
    expect(summary.verified).toBe(originals.files.length - 1);
    expect(summary.exitCode).toBe(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: { class: string; reason: string; instanceId: string }[] };
    expect(report.notUploaded).toEqual([expect.objectContaining({ class: 'conflict', instanceId: pixelLess })]);
    expect(report.notUploaded[0]?.reason).toMatch(/another version .*OverwriteInstances/);
  });
});

describe('the checks of what arrived, off the upload slots', () => {
  it('keeps uploading while the read-backs wait (one upload in flight, --concurrency 1)', async () => {
    const target = await start();
    const folder = await mkdtemp(join(tmpdir(), 'oi-offpath-'));
    const files = await generateDicoms({ out: folder, count: 4, rows: 16, cols: 16, seed: 31, prefix: 'OFFPATH' });
    let uploads = 0;
    let heldTooLong = 0;
    // Every read-back is answered only once every upload has arrived (or after 3 s, counted): if a
    // read-back held the one upload slot, the next upload could not come until it timed out.
    const proxy = await startScriptedServer((_index, request, response) => {
      void (async () => {
        if (request.method === 'POST' && request.url === '/instances') uploads++;
        if (request.url.includes('/attachments/dicom/')) {
          const since = Date.now();
          while (uploads < files.length && Date.now() - since < 3000) await new Promise((resolve) => setTimeout(resolve, 10));
          if (uploads < files.length) heldTooLong++;
        }
        const init = request.method === 'GET' ? {} : { body: request.body };
        const answer = await fetch(`${target.url}${request.url}`, { method: request.method, ...init, headers: bodyHeaders(request) });
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      })();
    }, { keepBodies: true });
    try {
      const summary = await runImport(resolveOptions({ source: folder, target: proxy.url, workers: 1, concurrency: 1, journalPath: join(folder, 'j.sqlite') }));
      expect(summary.verified).toBe(files.length);
      expect(heldTooLong).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
