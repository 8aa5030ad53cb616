// Writing instances into a target folder: atomic, checked, never overwriting silently.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../src/core/errors.js';
import { SpaceGuard } from '../../../src/targets/folder/disk-space.js';
import { FolderSink, type FolderSinkOptions } from '../../../src/targets/folder/folder-sink.js';
import { refusal } from '../../helpers/refusal.js';
import { buildPart10 } from '../../helpers/dicom-bytes.js';
import { parseDicomHeader } from '../../../src/decode/dicom-header.js';
import { orthancInstanceId } from '../../../src/decode/orthanc-id.js';

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const expectedOf = (bytes: Uint8Array): { size: number; md5: string } => ({ size: bytes.byteLength, md5: md5(bytes) });
const bytesOf = (text: string): Buffer => Buffer.from(text.repeat(1000));
const newRoot = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-sink-')), 'out');
const options: FolderSinkOptions = { layout: 'hierarchy', overwrite: false };
const PATH = 'PAT/1.2/1.2.3/1.2.3.4.dcm';
// The instance these tests write: their bytes are not DICOM, so no file names another instance.
const INSTANCE = { orthancId: '0123abcd-00000000-00000000-00000000-00000000', headerId: undefined };

// Every file under root, relative, '/'-separated (hidden ones included).
const filesUnder = (root: string): string[] => {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(root);
  return found.sort();
};


// A stream of the bytes in small chunks, as the decoder gives them.
const chunked = (bytes: Buffer): (() => Readable) => () => Readable.from((function* () {
  for (let offset = 0; offset < bytes.length; offset += 1000) yield bytes.subarray(offset, offset + 1000);
})());

describe('FolderSink.open', () => {
  it('creates the folder, parents included', async () => {
    const root = join(await newRoot(), 'a', 'b');
    const sink = await FolderSink.open(root, options);
    expect(statSync(root).isDirectory()).toBe(true);
    expect(sink.root).toBe(root);
    expect(filesUnder(root)).toEqual([]); // the write test leaves nothing
  });

  it('refuses a path that is a file', async () => {
    const root = await newRoot();
    mkdirSync(dirname(root), { recursive: true });
    writeFileSync(root, 'not a folder');
    const error = await refusal(FolderSink.open(root, options));
    expect(isImporterError(error)).toBe(true);
    expect(error.message).toMatch(/cannot be used: it exists and is not a folder/);
    expect(readFileSync(root, 'utf8')).toBe('not a folder');
  });

  it('refuses a path under a file', async () => {
    const root = await newRoot();
    mkdirSync(dirname(root), { recursive: true });
    writeFileSync(root, 'not a folder');
    const error = await refusal(FolderSink.open(join(root, 'below'), options));
    expect(isImporterError(error)).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder that is not writable', async () => {
    const root = await newRoot();
    mkdirSync(root, { recursive: true });
    chmodSync(root, 0o555);
    try {
      const error = await refusal(FolderSink.open(root, options));
      expect(isImporterError(error)).toBe(true);
      expect(error.message).toMatch(/not writable/);
    } finally {
      chmodSync(root, 0o755);
    }
  });
});

describe('FolderSink.open on Linux', () => {
  it.runIf(process.platform === 'linux')('refuses a folder where no file can be created, even as root', async () => {
    const error = await refusal(FolderSink.open('/proc', options));
    expect(isImporterError(error)).toBe(true);
    expect(error.message).toMatch(/^The target folder \/proc cannot be used: it is not writable/);
  });
});

describe('FolderSink.write', () => {
  it('writes held bytes, creating the folders', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    const bytes = bytesOf('dicom');
    expect(await sink.write(PATH, bytes, expectedOf(bytes), INSTANCE)).toEqual({ kind: 'written', path: PATH });
    expect(readFileSync(join(root, PATH)).equals(bytes)).toBe(true);
    expect(filesUnder(root)).toEqual([PATH]);
  });

  it('writes a stream, from the factory', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, { ...options, layout: 'flat', durable: false });
    const bytes = bytesOf('streamed');
    let calls = 0;
    const factory = (): Readable => {
      calls++;
      return chunked(bytes)();
    };
    expect(await sink.write('1.2.3.dcm', factory, expectedOf(bytes), INSTANCE)).toEqual({ kind: 'written', path: '1.2.3.dcm' });
    expect(calls).toBe(1);
    expect(readFileSync(join(root, '1.2.3.dcm')).equals(bytes)).toBe(true);
    expect(filesUnder(root)).toEqual(['1.2.3.dcm']);
  });

  it('skips an identical file without touching it', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    const bytes = bytesOf('same');
    await sink.write(PATH, bytes, expectedOf(bytes), INSTANCE);
    const past = new Date('2001-02-03T04:05:06Z');
    utimesSync(join(root, PATH), past, past);
    expect(await sink.write(PATH, chunked(bytes), expectedOf(bytes), INSTANCE)).toEqual({ kind: 'identical', path: PATH });
    expect(statSync(join(root, PATH)).mtime.getTime()).toBe(past.getTime());
    expect(filesUnder(root)).toEqual([PATH]);
  });

  it('keeps a different file byte for byte and reports a conflict', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    const original = bytesOf('original');
    await sink.write(PATH, original, expectedOf(original), INSTANCE);
    const other = bytesOf('other version');
    const result = await sink.write(PATH, other, expectedOf(other), INSTANCE);
    expect(result.kind).toBe('conflict');
    const reason = result.kind === 'conflict' ? result.reason : '';
    expect(reason).toContain(md5(original));
    expect(reason).toContain(md5(other));
    expect(reason).toContain('--overwrite');
    expect(readFileSync(join(root, PATH)).equals(original)).toBe(true);
    expect(filesUnder(root)).toEqual([PATH]);
    // Same size, other bytes: still a conflict.
    const sameSize = Buffer.from(original);
    sameSize[10] = 0;
    expect((await sink.write(PATH, sameSize, expectedOf(sameSize), INSTANCE)).kind).toBe('conflict');
    expect(readFileSync(join(root, PATH)).equals(original)).toBe(true);
  });

  it('replaces a different file with --overwrite', async () => {
    const root = await newRoot();
    const original = bytesOf('original');
    await (await FolderSink.open(root, options)).write(PATH, original, expectedOf(original), INSTANCE);
    const sink = await FolderSink.open(root, { ...options, overwrite: true });
    const other = bytesOf('other version');
    expect(await sink.write(PATH, chunked(other), expectedOf(other), INSTANCE)).toEqual({ kind: 'replaced', path: PATH });
    expect(readFileSync(join(root, PATH)).equals(other)).toBe(true);
    expect(await sink.write(PATH, other, expectedOf(other), INSTANCE)).toEqual({ kind: 'identical', path: PATH });
    expect(filesUnder(root)).toEqual([PATH]);
  });

  it('leaves nothing when the bytes are not the expected ones', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    const bytes = bytesOf('payload');
    const wrongMd5 = { size: bytes.length, md5: md5(bytesOf('another')) };
    const tooShort = { size: bytes.length + 1, md5: md5(bytes) };
    const tooLong = { size: bytes.length - 1, md5: md5(bytes) };
    for (const expected of [wrongMd5, tooShort, tooLong]) {
      for (const body of [bytes, chunked(bytes)]) {
        const result = await sink.write(PATH, body, expected, INSTANCE);
        expect(result.kind).toBe('failed');
        expect(result.kind === 'failed' ? result.reason : '').toMatch(/not the expected ones.*nothing written/);
        expect(existsSync(join(root, PATH))).toBe(false);
        expect(filesUnder(root)).toEqual([]);
      }
    }
  });

  it('leaves nothing when the stream fails half-way', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    const bytes = bytesOf('half');
    const failing = (): Readable =>
      Readable.from((async function* () {
        await Promise.resolve();
        yield bytes.subarray(0, 1000);
        throw new Error('source file removed');
      })());
    const result = await sink.write(PATH, failing, expectedOf(bytes), INSTANCE);
    expect(result.kind).toBe('failed');
    expect(result.kind === 'failed' ? result.reason : '').toMatch(/source file removed/);
    expect(filesUnder(root)).toEqual([]);
  });

  it('stops cleanly on a full disk, before writing anything', async () => {
    const root = await newRoot();
    const space = new SpaceGuard(root, { reserveBytes: 0, freeBytes: () => Promise.resolve(1000) });
    const sink = await FolderSink.open(root, { ...options, space });
    const bytes = bytesOf('too big');
    const error = await refusal(sink.write(PATH, bytes, expectedOf(bytes), INSTANCE));
    expect(isImporterError(error)).toBe(true);
    expect(error.message).toMatch(/^Not enough free disk space in .*: \d+ MiB needed .*, 0 MiB free; free space and run the same command again to resume$/);
    expect(filesUnder(root)).toEqual([]);
    // An identical file needs no room: a resumed run goes past what is already there.
    const small = Buffer.from('tiny');
    const roomy = await FolderSink.open(root, options);
    await roomy.write(PATH, bytes, expectedOf(bytes), INSTANCE);
    expect((await sink.write(PATH, bytes, expectedOf(bytes), INSTANCE)).kind).toBe('identical');
    await sink.write('PAT/other.dcm', small, expectedOf(small), INSTANCE);
    expect(filesUnder(root)).toEqual([PATH, 'PAT/other.dcm'].sort());
  });

  it('turns ENOSPC while writing into the run-stopping error, leaving nothing', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    const bytes = bytesOf('filling');
    const full = (): Readable =>
      Readable.from((async function* () {
        await Promise.resolve();
        yield bytes.subarray(0, 1000);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      })());
    const error = await refusal(sink.write(PATH, full, expectedOf(bytes), INSTANCE));
    expect(isImporterError(error)).toBe(true);
    expect(error.message).toMatch(/^Not enough free disk space in .*the disk filled up while writing PAT\/1\.2\/1\.2\.3\/1\.2\.3\.4\.dcm.*run the same command again to resume$/);
    expect(filesUnder(root)).toEqual([]);
  });

  it('counts the writes in flight against the free space', async () => {
    const root = await newRoot();
    const bytes = bytesOf('parallel'); // 8000 bytes
    const space = new SpaceGuard(root, { reserveBytes: 0, freeBytes: () => Promise.resolve(bytes.length * 2.5) });
    const sink = await FolderSink.open(root, { ...options, layout: 'flat', space, durable: false });
    const results = await Promise.allSettled([1, 2, 3].map((n) => sink.write(`${n}.dcm`, chunked(bytes), expectedOf(bytes), INSTANCE)));
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
    expect(filesUnder(root)).toHaveLength(2);
  });

  it('after a crash, removes the stale partial file and writes the same name', async () => {
    const root = await newRoot();
    const folder = join(root, dirname(PATH));
    mkdirSync(folder, { recursive: true });
    const stale = join(folder, '.1.2.3.4.dcm.partial-12345-deadbeef');
    writeFileSync(stale, 'half of an instance');
    const sink = await FolderSink.open(root, options);
    const bytes = bytesOf('complete');
    expect((await sink.write(PATH, bytes, expectedOf(bytes), INSTANCE)).kind).toBe('written');
    expect(existsSync(stale)).toBe(false);
    expect(filesUnder(root)).toEqual([PATH]);
  });

  it('writes the same path twice at once one after the other, never silently replacing', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    const first = bytesOf('first');
    const second = bytesOf('second');
    const results = await Promise.all([sink.write(PATH, chunked(first), expectedOf(first), INSTANCE), sink.write(PATH, chunked(second), expectedOf(second), INSTANCE)]);
    expect(results.map((result) => result.kind)).toEqual(['written', 'conflict']);
    expect(readFileSync(join(root, PATH)).equals(first)).toBe(true);
    expect(filesUnder(root)).toEqual([PATH]);
  });

  it('fails a path where a folder stands, and refuses a path leaving the folder', async () => {
    const root = await newRoot();
    const sink = await FolderSink.open(root, options);
    mkdirSync(join(root, PATH), { recursive: true });
    const bytes = bytesOf('x');
    expect((await sink.write(PATH, bytes, expectedOf(bytes), INSTANCE)).kind).toBe('failed');
    for (const path of ['../escape.dcm', '/abs.dcm', 'a//b.dcm', 'a\\b.dcm', '']) {
      await expect(sink.write(path, bytes, expectedOf(bytes), INSTANCE)).rejects.toThrow(TypeError);
    }
    expect(existsSync(join(dirname(root), 'escape.dcm'))).toBe(false);
  });
});

describe('FolderSink.write: one instance, one path', () => {
  // Two instances sharing a SOP Instance UID in two patients: one natural name in the flat layout.
  const dicomOf = (patientId: string, pixelBytes = 64): { bytes: Buffer; instance: { orthancId: string; headerId: string } } => {
    const bytes = Buffer.from(buildPart10({ patientId, sopInstanceUid: '1.2.3.4', pixelBytes }).bytes);
    const parsed = parseDicomHeader(bytes, bytes.length);
    if (!parsed.ok) throw new Error(parsed.reason);
    const id = orthancInstanceId(parsed.facts.header);
    return { bytes, instance: { orthancId: id, headerId: id } };
  };
  const NAME = '1.2.3.4.dcm';
  const flat: FolderSinkOptions = { layout: 'flat', overwrite: false };

  it('puts a second instance beside the first as <name>~<8 hex of its Orthanc ID>.dcm, whatever the order, and finds both there again', async () => {
    const a = dicomOf('PAT-A');
    const b = dicomOf('PAT-B');
    const besideB = `1.2.3.4~${b.instance.orthancId.slice(0, 8)}.dcm`;
    const root = await newRoot();
    const sink = await FolderSink.open(root, flat);
    expect(await sink.write(NAME, a.bytes, expectedOf(a.bytes), a.instance)).toEqual({ kind: 'written', path: NAME });
    expect(await sink.write(NAME, b.bytes, expectedOf(b.bytes), b.instance)).toEqual({ kind: 'written', path: besideB });
    // Again, in the other order: each finds its own file.
    expect(await sink.write(NAME, b.bytes, expectedOf(b.bytes), b.instance)).toEqual({ kind: 'identical', path: besideB });
    expect(await sink.write(NAME, a.bytes, expectedOf(a.bytes), a.instance)).toEqual({ kind: 'identical', path: NAME });
    // The first file deleted: the second stays where it is, the first comes back to its name.
    unlinkSync(join(root, NAME));
    expect(await sink.write(NAME, b.bytes, expectedOf(b.bytes), b.instance)).toEqual({ kind: 'identical', path: besideB });
    expect(await sink.write(NAME, a.bytes, expectedOf(a.bytes), a.instance)).toEqual({ kind: 'written', path: NAME });
    expect(filesUnder(root)).toEqual([NAME, besideB].sort());
    expect(readFileSync(join(root, NAME)).equals(a.bytes)).toBe(true);
    expect(readFileSync(join(root, besideB)).equals(b.bytes)).toBe(true);
  });

  it('two instances written at once never share a path', async () => {
    const a = dicomOf('PAT-A');
    const b = dicomOf('PAT-B');
    const root = await newRoot();
    const sink = await FolderSink.open(root, flat);
    const results = await Promise.all([sink.write(NAME, chunked(a.bytes), expectedOf(a.bytes), a.instance), sink.write(NAME, chunked(b.bytes), expectedOf(b.bytes), b.instance)]);
    expect(results.map((result) => result.kind)).toEqual(['written', 'written']);
    expect(new Set(results.map((result) => result.path)).size).toBe(2);
    expect(filesUnder(root)).toHaveLength(2);
  });

  it('--overwrite replaces another version of the same instance, never another instance', async () => {
    const a = dicomOf('PAT-A');
    const aOther = dicomOf('PAT-A', 128); // the same instance, other pixels
    const b = dicomOf('PAT-B', 128);
    const root = await newRoot();
    await (await FolderSink.open(root, flat)).write(NAME, a.bytes, expectedOf(a.bytes), a.instance);
    const plain = await FolderSink.open(root, flat);
    const conflict = await plain.write(NAME, aOther.bytes, expectedOf(aOther.bytes), aOther.instance);
    expect(conflict.kind).toBe('conflict');
    expect(conflict.kind === 'conflict' ? conflict.reason : '').toMatch(/already holds another version of this instance .*--overwrite replaces it/);
    const sink = await FolderSink.open(root, { ...flat, overwrite: true });
    const other = await sink.write(NAME, b.bytes, expectedOf(b.bytes), b.instance);
    expect(other).toEqual({ kind: 'written', path: `1.2.3.4~${b.instance.orthancId.slice(0, 8)}.dcm` });
    expect(readFileSync(join(root, NAME)).equals(a.bytes)).toBe(true);
    expect(await sink.write(NAME, aOther.bytes, expectedOf(aOther.bytes), aOther.instance)).toEqual({ kind: 'replaced', path: NAME });
    expect(readFileSync(join(root, NAME)).equals(aOther.bytes)).toBe(true);
    expect(filesUnder(root)).toHaveLength(2);
  });

  it('writes nothing when both names are held by other instances', async () => {
    const a = dicomOf('PAT-A');
    const b = dicomOf('PAT-B');
    const c = dicomOf('PAT-C');
    const root = await newRoot();
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, NAME), a.bytes);
    writeFileSync(join(root, `1.2.3.4~${c.instance.orthancId.slice(0, 8)}.dcm`), b.bytes);
    const sink = await FolderSink.open(root, { ...flat, overwrite: true });
    const result = await sink.write(NAME, c.bytes, expectedOf(c.bytes), c.instance);
    expect(result.kind).toBe('failed');
    expect(result.kind === 'failed' ? result.reason : '').toMatch(/both hold other instances; nothing written/);
    expect(filesUnder(root)).toHaveLength(2);
  });
});
