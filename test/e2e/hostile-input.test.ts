// Hostile input: every case ends in a clear per-file class and reason, never a crash, a hang or
// unbounded memory. Most cases run through the real pipeline (inventory, JSON report); the
// library builds its worker from dist/, so `npm run build` must have run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readFile, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createDeflate } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodedStream } from '../../src/decode/file-body.js';
import { resolveOptions, runImport, type Summary } from '../../src/index.js';
import { inspectFile, type InspectTask } from '../../src/decode/inspect-file.js';
import { walk } from '../../src/sources/walk/walk.js';
import type { Classified } from '../../src/core/types.js';
import { buildPart10, concat, encodeExplicit, noise, orthancCompress, u64, UID } from '../helpers/dicom-bytes.js';
import { startScriptedServer, stored } from '../helpers/scripted-server.js';

const isRoot = process.getuid?.() === 0;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

interface Entry {
  readonly path: string;
  readonly class: string;
  readonly reason: string;
  readonly size: number;
}

let root = '';
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hostile-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const freshDir = async (): Promise<string> => {
  const dir = join(root, `case-${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
};

/** Samples this process's RSS (the worker threads are in it) until stopped; returns the peak. */
const sampleRss = (): (() => number) => {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss);
  };
};

/** Runs an inventory of `source` and returns the summary and the report's entries by path. */
const inventory = async (source: string, extra: { followSymlinks?: boolean; inlineLimit?: number } = {}): Promise<{ summary: Summary; entries: Map<string, Entry> }> => {
  const reportPath = join(root, `report-${counter++}.json`);
  const summary = await runImport(resolveOptions({ source, reportPath, workers: 1, ...extra }));
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: Entry[] };
  return { summary, entries: new Map(report.notUploaded.map((entry) => [entry.path, entry])) };
};

const entryOf = (entries: Map<string, Entry>, path: string): Entry => {
  const entry = entries.get(path);
  if (entry === undefined) throw new Error(`no report entry for ${path}; entries: ${[...entries.keys()].join(', ')}`);
  return entry;
};

const task = (path: string, overrides: Partial<InspectTask> = {}): InspectTask => ({ path, inlineLimit: 64 * MiB, maxDecodedSize: 32 * GiB, keepBytes: false, ...overrides });

const skippedOf = (result: Classified): { fileClass: string; reason: string } => {
  if (result.kind !== 'skipped') throw new Error('expected a skipped file, got dicom');
  return result;
};

/** A Part 10 header whose (7FE0,0010) OB declares `pixelLength` bytes, none of which follow. */
const headerWithPixelData = (pixelLength: number): Uint8Array =>
  concat(buildPart10({ pixelData: 'none' }).bytes, encodeExplicit({ group: 0x7fe0, element: 0x0010, vr: 'OB', value: new Uint8Array(0), length: pixelLength }));

/** The zlib stream of `head` followed by `zeros` zero bytes, built in a stream (a few MB for GBs). */
const deflateWithZeros = async (head: Uint8Array, zeros: number): Promise<Buffer> => {
  const deflate = createDeflate({ level: 9, memLevel: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise((resolve) => deflate.once('end', resolve));
  const write = async (chunk: Uint8Array): Promise<void> => {
    if (!deflate.write(chunk)) await new Promise((resolve) => deflate.once('drain', resolve));
  };
  await write(head);
  const zero = Buffer.alloc(4 * MiB);
  for (let left = zeros; left > 0; left -= zero.length) await write(left >= zero.length ? zero : zero.subarray(0, left));
  deflate.end();
  await ended;
  return Buffer.concat(out);
};

describe('hostile input', () => {
  it('an empty file: not-dicom, "empty file"', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'empty'), new Uint8Array(0));
    const { entries } = await inventory(dir);
    expect(entryOf(entries, 'empty')).toMatchObject({ class: 'not-dicom', reason: 'empty file', size: 0 });
  });

  it('random bytes: not-dicom without a preamble, corrupt with one; 600 random files never crash', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'random'), noise(64 * 1024, 7));
    await writeFile(join(dir, 'random-after-preamble'), concat(new Uint8Array(128), new TextEncoder().encode('DICM'), noise(4096, 9)));
    const { entries } = await inventory(dir);
    expect(entryOf(entries, 'random')).toMatchObject({ class: 'not-dicom', reason: 'no DICM preamble and not a DICOM dataset' });
    const preamble = entryOf(entries, 'random-after-preamble');
    expect(preamble.class).toBe('corrupt');
    expect(preamble.reason).toMatch(/DICOM header does not parse/);

    // Fuzz: random bytes, random bytes after a preamble, and a real file with random bytes overwritten.
    const base = buildPart10().bytes;
    const fuzz = join(dir, 'fuzz');
    const classes = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const mangled = Uint8Array.from(base);
      const junk = noise(8, seed);
      mangled.set(junk, 132 + ((seed * 37) % (base.length - 140)));
      for (const bytes of [noise((seed * 7919) % 3000, seed), concat(base.subarray(0, 132), noise(seed * 13, seed)), mangled]) {
        await writeFile(fuzz, bytes);
        const result = await inspectFile(task(fuzz, { keepBytes: true }));
        if (result.kind === 'skipped') expect(result.reason.length).toBeGreaterThan(5);
        classes.add(result.kind === 'dicom' ? 'dicom' : result.fileClass);
      }
    }
    expect([...classes].every((name) => ['dicom', 'not-dicom', 'corrupt', 'pixel-data-cache', 'json-summary'].includes(name))).toBe(true);
  });

  it('a truncated zlib stream: corrupt, "does not inflate (unexpected end of file)", held or streamed', async () => {
    const dir = await freshDir();
    const whole = orthancCompress(buildPart10({ pixelBytes: 200_000 }).bytes);
    await writeFile(join(dir, 'truncated'), whole.subarray(0, Math.floor(whole.length / 2)));
    const { entries } = await inventory(dir);
    expect(entryOf(entries, 'truncated')).toMatchObject({ class: 'corrupt', reason: 'the zlib stream does not inflate (unexpected end of file)' });
    const streamed = skippedOf(await inspectFile(task(join(dir, 'truncated'), { inlineLimit: 1024 })));
    expect(streamed).toMatchObject({ fileClass: 'corrupt', reason: 'the zlib stream does not inflate (unexpected end of file)' });
  });

  it('a size prefix that lies (2^40 bytes): corrupt before anything is allocated, naming the cap or the stream size', async () => {
    const dir = await freshDir();
    const bytes = buildPart10().bytes;
    await writeFile(join(dir, 'liar'), orthancCompress(bytes, 2n ** 40n));
    const { entries } = await inventory(dir);
    expect(entryOf(entries, 'liar')).toMatchObject({
      class: 'corrupt',
      reason: `its size prefix announces ${2 ** 40} bytes, above the ${32 * GiB}-byte cap (--max-decoded-size)`,
    });
    const uncapped = skippedOf(await inspectFile(task(join(dir, 'liar'), { maxDecodedSize: 2 ** 50 })));
    expect(uncapped.fileClass).toBe('corrupt');
    expect(uncapped.reason).toMatch(new RegExp(`announces ${2 ** 40} bytes, more than a \\d+-byte zlib stream can hold`));
  });

  describe('a small file that inflates to gigabytes', () => {
    const announcedHonestly = 3 * GiB;
    let dir = '';
    let stream: Buffer = Buffer.alloc(0);

    beforeAll(async () => {
      dir = await freshDir();
      // The header's length does not depend on the length it declares (a uint32).
      const pixelLength = announcedHonestly - headerWithPixelData(0).length;
      stream = await deflateWithZeros(headerWithPixelData(pixelLength), pixelLength);
      await writeFile(join(dir, 'bomb-honest'), concat(u64(BigInt(announcedHonestly)), stream));
      await writeFile(join(dir, 'bomb-1mib'), concat(u64(BigInt(MiB)), stream));
    }, 60_000);

    it('announced honestly (3 GiB, from a ~3 MB file): streamed, classified as DICOM, memory flat', async () => {
      expect(stream.length).toBeLessThan(4 * MiB);
      const started = Date.now();
      const peak = sampleRss();
      const { summary } = await inventory(join(dir, 'bomb-honest'));
      const peakRss = peak();
      expect(summary.classes.dicom.files).toBe(1);
      expect(summary.dicomBytes).toBe(announcedHonestly);
      expect(peakRss).toBeLessThan(1 * GiB);
      console.info(`3 GiB bomb inventory: ${Date.now() - started} ms, peak RSS ${(peakRss / MiB).toFixed(0)} MiB`);
    }, 60_000);

    it('announced as 1 MiB: stops at the announced size, corrupt "more than the 1048576 bytes announced" (held or streamed)', async () => {
      const started = Date.now();
      const { entries } = await inventory(join(dir, 'bomb-1mib'));
      expect(entryOf(entries, 'bomb-1mib')).toMatchObject({ class: 'corrupt', reason: 'the zlib stream inflates to more than the 1048576 bytes announced' });
      const streamed = skippedOf(await inspectFile(task(join(dir, 'bomb-1mib'), { inlineLimit: 0 })));
      expect(streamed).toMatchObject({ fileClass: 'corrupt', reason: 'the zlib stream inflates to more than the 1048576 bytes announced' });
      // Stopping at the announced size means not inflating the 3 GiB.
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  it('DICOM cut mid-element: corrupt, naming the element and the end of the file', async () => {
    const dir = await freshDir();
    const bytes = buildPart10().bytes;
    // (0010,0010) PatientName's value starts at 372 and is 12 bytes long: cut inside it.
    await writeFile(join(dir, 'cut'), bytes.subarray(0, 378));
    await writeFile(join(dir, 'cut-in-tag'), bytes.subarray(0, 366));
    const { entries } = await inventory(dir);
    expect(entryOf(entries, 'cut')).toMatchObject({
      class: 'corrupt',
      reason: 'element (0010,0010) declares 12 bytes at offset 372, past the end of the file (378 bytes): the file is cut short or the length is wrong',
    });
    const inTag = entryOf(entries, 'cut-in-tag');
    expect(inTag.class).toBe('corrupt');
    expect(inTag.reason).toMatch(/^the file ends in the middle of a DICOM element \(cut short\?\)/);
  });

  it('an element length that points past the end of the file: corrupt, naming the element and its length', async () => {
    const dir = await freshDir();
    const bytes = buildPart10({ extra: [{ group: 0x0009, element: 0x1010, vr: 'OB', value: new Uint8Array(4), length: 0x7ffffff0 }] }).bytes;
    await writeFile(join(dir, 'long-element'), bytes);
    const { entries } = await inventory(dir);
    const entry = entryOf(entries, 'long-element');
    expect(entry.class).toBe('corrupt');
    expect(entry.reason).toMatch(/^element \(0009,1010\) declares 2147483632 bytes at offset \d+, past the end of the file/);
  });

  it.skipIf(isRoot)('an unreadable file (mode 000): failed, "cannot read the file (EACCES)"', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'locked'), buildPart10().bytes);
    await chmod(join(dir, 'locked'), 0o000);
    const { entries } = await inventory(dir);
    expect(entryOf(entries, 'locked')).toMatchObject({ class: 'failed', reason: 'cannot read the file (EACCES)' });
  });

  it.skipIf(!isRoot || !existsSync('/usr/bin/setpriv'))('an unreadable file (mode 000), as an unprivileged user (setpriv, uid 65534): failed, EACCES', async () => {
    // Under /tmp itself: the test root is private to root, so nobody could not even reach it.
    const dir = await mkdtemp('/tmp/hostile-nobody-');
    try {
      await chmod(dir, 0o777);
      await writeFile(join(dir, 'locked'), buildPart10().bytes);
      await chmod(join(dir, 'locked'), 0o000);
      await writeFile(join(dir, 'readable'), buildPart10().bytes);
      await chmod(join(dir, 'readable'), 0o644);
      const index = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
      const reportPath = join(dir, 'report.json');
      const script = `import { runImport, resolveOptions } from ${JSON.stringify(index)};
        await runImport(resolveOptions({ source: ${JSON.stringify(dir)}, reportPath: ${JSON.stringify(reportPath)}, workers: 1 }));`;
      const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: Summary; notUploaded: Entry[] };
      expect(report.notUploaded.find((entry) => entry.path === 'locked')).toMatchObject({ class: 'failed', reason: 'cannot read the file (EACCES)' });
      // The readable file next to it was read by the same unprivileged user: the refusal is the file's mode.
      expect(report.summary.classes.dicom.files).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a file that disappears between walk and read: failed, "cannot read the file (ENOENT)"; its upload stream fails, never hangs', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'gone.dcm'), buildPart10().bytes);
    await writeFile(join(dir, 'gone-z'), orthancCompress(buildPart10().bytes));
    const found = [];
    for await (const item of walk(dir)) found.push(item);
    await unlink(join(dir, 'gone.dcm'));
    await unlink(join(dir, 'gone-z'));
    for (const item of found) {
      const result = skippedOf(await inspectFile(task(item.entry.path)));
      expect(result).toMatchObject({ fileClass: 'failed', reason: 'cannot read the file (ENOENT)' });
    }
    // Removed after it was classified, before its (streamed) upload: the body stream errors.
    for (const encoding of ['raw', 'zlib'] as const) {
      const body = decodedStream(join(dir, 'gone-z'), encoding);
      body.resume();
      await expect(finished(body)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  describe('symbolic links', () => {
    let dir = '';
    let outside = '';

    beforeAll(async () => {
      dir = await freshDir();
      outside = await freshDir();
      await mkdir(join(dir, 'sub'), { recursive: true });
      await writeFile(join(dir, 'sub', 'in.dcm'), buildPart10().bytes);
      await symlink(dir, join(dir, 'sub', 'loop'));
      await writeFile(join(outside, 'out.dcm'), buildPart10({ sopInstanceUid: '1.2.3.4.5' }).bytes);
      await symlink(outside, join(dir, 'dir-link'));
      await symlink(join(root, 'nowhere'), join(dir, 'dangling'));
    });

    it('a symlink loop: reported once (not-dicom, "symbolic link loop") with --follow-symlinks; not followed without', async () => {
      const followed = await inventory(dir, { followSymlinks: true });
      expect(entryOf(followed.entries, 'sub/loop')).toMatchObject({
        class: 'not-dicom',
        reason: 'a symbolic link loop: it leads back to the source folder; not entered',
      });
      expect(entryOf(followed.entries, 'dangling')).toMatchObject({ class: 'failed', reason: 'a dangling symbolic link: its target does not exist (ENOENT)' });
      const plain = await inventory(dir);
      expect(entryOf(plain.entries, 'sub/loop')).toMatchObject({ class: 'not-dicom', reason: 'a symbolic link (not followed)' });
      expect(entryOf(plain.entries, 'dangling')).toMatchObject({ class: 'not-dicom', reason: 'a symbolic link (not followed)' });
    });

    it('directory symlinks: not followed by default, walked with --follow-symlinks', async () => {
      const plain = await inventory(dir);
      expect(entryOf(plain.entries, 'dir-link')).toMatchObject({ class: 'not-dicom', reason: 'a symbolic link (not followed)' });
      expect(plain.summary.classes.dicom.files).toBe(1);
      const followed = await inventory(dir, { followSymlinks: true });
      expect(followed.entries.has('dir-link')).toBe(false);
      expect(followed.summary.classes.dicom.files).toBe(2);
    });
  });

  it('file names that are not valid UTF-8: read by their bytes, reported with \\xNN', async () => {
    const dir = await freshDir();
    const dirBytes = Buffer.from(dir);
    const slash = Buffer.from('/');
    // "f\xff.d" is a DICOM file; "g\xfe.txt" is junk; "d\xfe/in.dcm" is DICOM below such a directory.
    writeFileSync(Buffer.concat([dirBytes, slash, Buffer.from([0x66, 0xff, 0x2e, 0x64])]), buildPart10().bytes);
    writeFileSync(Buffer.concat([dirBytes, slash, Buffer.from([0x67, 0xfe]), Buffer.from('.txt')]), 'just text');
    mkdirSync(Buffer.concat([dirBytes, slash, Buffer.from([0x64, 0xfe])]));
    writeFileSync(Buffer.concat([dirBytes, slash, Buffer.from([0x64, 0xfe]), slash, Buffer.from('in.dcm')]), buildPart10({ sopInstanceUid: '1.2.3.9' }).bytes);
    const { summary, entries } = await inventory(dir);
    expect(summary.classes.dicom.files).toBe(2);
    expect(summary.classes.failed.files).toBe(0);
    expect([...entries.values()]).toEqual([expect.objectContaining({ path: 'g\\xfe.txt', class: 'not-dicom', reason: 'no DICM preamble and not a DICOM dataset' })]);
  });

  it('a DICOMDIR: not-dicom, "a DICOMDIR", never uploaded', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'DICOMDIR'), buildPart10({ sopClassUid: UID.dicomdir, image: false, pixelData: 'none' }).bytes);
    const server = await startScriptedServer((_index, _request, response) => {
      stored(response);
    });
    try {
      const reportPath = join(dir, '..', `dicomdir-report-${counter++}.json`);
      const summary = await runImport(resolveOptions({ source: dir, target: server.url, reportPath, verify: false, workers: 1 }));
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: Entry[] };
      expect(report.notUploaded).toEqual([expect.objectContaining({ path: 'DICOMDIR', class: 'not-dicom', reason: 'a DICOMDIR (a media directory, not an instance)' })]);
      expect(summary.instances).toBe(0);
      expect(server.requests.filter((request) => request.method === 'POST')).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('a FIFO in the tree or as the source: not-dicom, no hang', async () => {
    const dir = await freshDir();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const { entries } = await inventory(dir);
    expect(entryOf(entries, 'pipe')).toMatchObject({ class: 'not-dicom', reason: 'not a regular file (device, socket or pipe)' });
    const alone = await inventory(join(dir, 'pipe'));
    expect(entryOf(alone.entries, 'pipe')).toMatchObject({ class: 'not-dicom', reason: 'not a regular file (device, socket or pipe)' });
    // Opened directly (replaced by a FIFO after the walk): O_NONBLOCK, so no hang either.
    expect(skippedOf(await inspectFile(task(join(dir, 'pipe'))))).toMatchObject({ fileClass: 'not-dicom', reason: 'not a regular file' });
  });

  it('a DICOM file over 2 GiB (sparse): classified from its head, streamed to the target whole, memory flat', async () => {
    const dir = await freshDir();
    const path = join(dir, 'huge.dcm');
    const pixelLength = 2 * GiB + 16 * MiB;
    const header = headerWithPixelData(pixelLength);
    const size = header.length + pixelLength;
    const handle = await open(path, 'w');
    try {
      await handle.write(header);
      await handle.truncate(size);
    } finally {
      await handle.close();
    }
    const server = await startScriptedServer((_index, _request, response) => {
      stored(response);
    });
    const started = Date.now();
    const peak = sampleRss();
    try {
      const summary = await runImport(resolveOptions({ source: path, target: server.url, verify: false, workers: 1 }));
      const peakRss = peak();
      const uploads = server.requests.filter((request) => request.method === 'POST' && request.url.endsWith('/instances'));
      expect(uploads).toHaveLength(1);
      expect(uploads[0]?.headers['content-length']).toBe(String(size));
      expect(uploads[0]?.bodyLength).toBe(size);
      expect(summary.instances).toBe(1);
      expect(summary.dicomBytes).toBe(size);
      expect(peakRss).toBeLessThan(1 * GiB);
      console.info(`${size}-byte sparse DICOM: ${Date.now() - started} ms, peak RSS ${(peakRss / MiB).toFixed(0)} MiB`);
    } finally {
      peak();
      await server.close();
      await truncate(path, 0);
    }
  }, 90_000);
});
