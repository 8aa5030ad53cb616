// A recorded recovery outcome is believed only while its file is in the folder with its size.
import { mkdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { confirmRecorded } from '../../../src/targets/folder/recorded.js';
import type { FileOutcome } from '../../../src/core/types.js';

const recovered = (output: string, decodedSize: number): FileOutcome => ({ path: `src/${output}`, size: 10, fileClass: 'dicom', status: 'stored', verified: 'md5', output, decodedSize });

const folderWith = async (files: Record<string, string>): Promise<string> => {
  const root = await mkdtemp(join(tmpdir(), 'oi-recorded-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
};

describe('confirmRecorded', () => {
  it('confirms a recovered file present with its recorded size, and only then', async () => {
    const root = await folderWith({ 'P/S/1.dcm': '12345' });
    expect(await confirmRecorded(root, recovered('P/S/1.dcm', 5))).toBe(true);
    expect(await confirmRecorded(root, recovered('P/S/1.dcm', 6))).toBe(false);
    expect(await confirmRecorded(root, recovered('P/S/2.dcm', 5))).toBe(false);
    expect(await confirmRecorded(root, recovered('P/S', 5))).toBe(false); // a folder is not the file
    unlinkSync(join(root, 'P/S/1.dcm'));
    expect(await confirmRecorded(root, recovered('P/S/1.dcm', 5))).toBe(false);
  });

  it('does not confirm a file modified since the given moment (one this run may have written over a deleted one)', async () => {
    const root = await folderWith({ 'a.dcm': '12345' });
    const { mtimeMs } = statSync(join(root, 'a.dcm'));
    expect(await confirmRecorded(root, recovered('a.dcm', 5), mtimeMs + 1)).toBe(true);
    expect(await confirmRecorded(root, recovered('a.dcm', 5), mtimeMs)).toBe(false);
  });

  it('does not confirm a file changed since it was recorded, even at the same size (one byte flipped)', async () => {
    const root = await folderWith({ 'a.dcm': '12345' });
    const path = join(root, 'a.dcm');
    const written = { ...recovered('a.dcm', 5), outputMtimeMs: statSync(path).mtimeMs };
    expect(await confirmRecorded(root, written)).toBe(true);
    writeFileSync(path, '12355');
    utimesSync(path, new Date(), new Date(Date.now() + 5000)); // a later modification time, whatever the clock's resolution
    expect(statSync(path).size).toBe(5);
    expect(await confirmRecorded(root, written)).toBe(false);
  });

  it('cannot confirm a recovered outcome that does not say where or how big, and lets an outcome that claims no file stand', async () => {
    const root = await folderWith({});
    expect(await confirmRecorded(root, { path: 'a', size: 1, fileClass: 'dicom', status: 'stored', decodedSize: 1 })).toBe(false);
    expect(await confirmRecorded(root, { path: 'a', size: 1, fileClass: 'dicom', status: 'stored', output: 'a.dcm' })).toBe(false);
    expect(await confirmRecorded(root, { path: 'notes.txt', size: 1, fileClass: 'not-dicom', reason: 'text' })).toBe(true);
  });
});
