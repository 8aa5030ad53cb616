// The varied set of original DICOM files the end-to-end tests push through a real Orthanc.
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDicoms } from '../../fixtures/make-dicoms.js';

/** Every original file, and which one is the large (> 30 MB) one. */
export interface Originals {
  readonly dir: string;
  readonly files: readonly string[];
  readonly large: string;
}

// Why: one place builds the set the key tests demand: every transfer syntax the generator
// knows, a multi-frame image, a file over 30 MB and an object without pixel data.
export const makeOriginals = async (): Promise<Originals> => {
  const dir = await mkdtemp(join(tmpdir(), 'oi-originals-'));
  const part = async (name: string, options: Omit<Parameters<typeof generateDicoms>[0], 'out'>): Promise<string[]> => {
    await mkdir(join(dir, name));
    return generateDicoms({ out: join(dir, name), ...options });
  };
  const mixed = await part('mixed', { count: 14, ts: 'mixed', rows: 96, cols: 96, seed: 11, prefix: 'MIX', patients: 2, studies: 1, series: 2 });
  const multiFrame = await part('multi-frame', { count: 1, rows: 256, cols: 256, frames: 16, seed: 12, prefix: 'MF' });
  const large = await part('large', { count: 1, rows: 4096, cols: 4096, seed: 13, prefix: 'BIG' });
  const sr = await part('sr', { count: 1, pixels: false, seed: 14, prefix: 'SR' });
  const largeFile = large[0];
  if (largeFile === undefined) throw new Error('the generator wrote no large file');
  return { dir, files: [...mixed, ...multiFrame, ...large, ...sr], large: largeFile };
};

// Why: the raw-folder test needs the originals under odd, nested names.
export const copyNested = async (originals: Originals, root: string): Promise<void> => {
  let index = 0;
  for (const file of originals.files) {
    const depth = index % 3;
    const dir = join(root, ...Array.from({ length: depth }, (_, level) => `level ${level} ${index}`));
    await mkdir(dir, { recursive: true });
    const name = ['IMG0001', 'image.DCM', 'no extension here', 'x.dcm.bak'][index % 4] ?? 'file';
    await copyFile(file, join(dir, `${index}-${name}`));
    index++;
  }
};
