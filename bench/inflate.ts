// Measures the inflate speed behind the choice of node:zlib over fflate for Orthanc's
// compressed attachments (README, "Packages"). Usage: node dist/bench/inflate.js
import { inflateSync, deflateSync } from 'node:zlib';
import { unzlibSync } from 'fflate';

const SIZE = 300 * 1024;
const ROUNDS = 300;
const RUNS = 5;

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

// Median of RUNS timings of ROUNDS inflations, in MB/s of output.
const measure = (inflate: () => unknown): number => {
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let round = 0; round < ROUNDS; round++) inflate();
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  seconds.sort((a, b) => a - b);
  return (SIZE * ROUNDS) / 1e6 / (seconds[Math.floor(RUNS / 2)] ?? 1);
};

const original = imageLike();
const compressed = deflateSync(original, { level: 6 });
const zlibRate = measure(() => inflateSync(compressed));
const fflateRate = measure(() => unzlibSync(compressed, { out: new Uint8Array(SIZE) }));
console.log(`inflate of ${SIZE} B image-like data (ratio ${(SIZE / compressed.length).toFixed(2)}), median of ${RUNS} x ${ROUNDS}:`);
console.log(`  node:zlib inflateSync  ${zlibRate.toFixed(0)} MB/s`);
console.log(`  fflate unzlibSync      ${fflateRate.toFixed(0)} MB/s`);
console.log(`  node:zlib / fflate     ${(zlibRate / fflateRate).toFixed(2)}x`);
