// Measures the inflate cost behind the choice of node:zlib over fflate for Orthanc's compressed
// attachments (README, "Packages"), and of node:zlib's default 16 KiB output chunks (then copied
// together) against one chunk of the announced size, as src/decode/orthanc-zlib.ts inflates
// (README, "Where the CPU goes"). CPU seconds of this process per GB inflated, median of RUNS.
// Usage: node dist/bench/inflate.js [STORAGE]: image-like data, or the attachments (files over
// 20 KB in the xx/yy folders, at most 400) of a compressed Orthanc storage.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { unzlibSync } from 'fflate';

const SIZE = 300 * 1024;
const SYNTHETIC_FILES = 300;
const STORAGE_FILES = 400;
const SMALLEST_ATTACHMENT = 20_000;
const RUNS = 5;

/** A zlib stream and the size it inflates to. */
interface Sample {
  readonly stream: Uint8Array;
  readonly size: number;
}

// Builds image-like 12-bit pixels (gradient + noise) that deflate about 2.5:1, as DICOM does.
const imageLike = (): Buffer => {
  const buffer = Buffer.alloc(SIZE);
  let seed = 1;
  for (let i = 0; i < SIZE; i += 2) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    buffer.writeUInt16LE((((i / 2) % 256) * 8 + (seed % 40)) & 0xfff, i);
  }
  return buffer;
};

// The compressed attachments of a storage (Orthanc's xx/yy/uuid files: 8-byte size, zlib stream).
const storageSamples = (root: string): Sample[] => {
  const samples: Sample[] = [];
  for (const first of readdirSync(root).filter((name) => /^[0-9a-f]{2}$/.test(name))) {
    for (const second of readdirSync(join(root, first))) {
      for (const name of readdirSync(join(root, first, second))) {
        const path = join(root, first, second, name);
        if (samples.length >= STORAGE_FILES || statSync(path).size < SMALLEST_ATTACHMENT) continue;
        const file = readFileSync(path);
        samples.push({ stream: file.subarray(8), size: Number(file.readBigUInt64LE(0)) });
      }
    }
  }
  return samples;
};

// Median of RUNS passes over every sample, in CPU seconds per GB inflated.
const measure = (samples: readonly Sample[], inflate: (sample: Sample) => unknown): number => {
  const bytes = samples.reduce((sum, sample) => sum + sample.size, 0);
  const costs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.cpuUsage();
    for (const sample of samples) inflate(sample);
    const used = process.cpuUsage(start);
    costs.push((used.user + used.system) / 1e6 / (bytes / 1e9));
  }
  costs.sort((a, b) => a - b);
  return costs[Math.floor(RUNS / 2)] ?? Number.NaN;
};

const storage = process.argv[2];
const original = imageLike();
const samples = storage === undefined ? Array.from({ length: SYNTHETIC_FILES }, () => ({ stream: deflateSync(original, { level: 6 }), size: SIZE })) : storageSamples(storage);
const decoded = samples.reduce((sum, sample) => sum + sample.size, 0);
const stored = samples.reduce((sum, sample) => sum + sample.stream.length, 0);
const chunked = measure(samples, ({ stream, size }) => inflateSync(stream, { maxOutputLength: size + 1 }));
const oneChunk = measure(samples, ({ stream, size }) => inflateSync(stream, { chunkSize: Math.max(64, size), maxOutputLength: size + 1 }));
const fflate = measure(samples, ({ stream, size }) => unzlibSync(stream, { out: new Uint8Array(size) }));
console.log(`${samples.length} zlib streams (${storage ?? 'image-like data'}), ${(decoded / 1e6).toFixed(1)} MB inflated (ratio ${(decoded / stored).toFixed(2)}); CPU-s per GB inflated, median of ${RUNS}:`);
console.log(`  node:zlib inflateSync, one chunk          ${oneChunk.toFixed(2)}`);
console.log(`  node:zlib inflateSync, 16 KiB chunks      ${chunked.toFixed(2)} (${(chunked / oneChunk).toFixed(2)}x one chunk)`);
console.log(`  fflate unzlibSync                         ${fflate.toFixed(2)} (${(fflate / oneChunk).toFixed(2)}x one chunk)`);
