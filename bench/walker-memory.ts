// Measures the memory a tree walk needs when its consumer is slow (an upload is always slower
// than a directory listing): fast-glob's stream against the project's opendir walker.
// Usage: node dist/bench/walker-memory.js [--files 100000] [--dir /tmp/oi-walk-tree]
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fastGlob from 'fast-glob';
import { walk } from '../src/sources/walk/walk.js';

const { values } = parseArgs({ options: { files: { type: 'string', default: '100000' }, dir: { type: 'string', default: '/tmp/oi-walk-tree' }, child: { type: 'string' } } });
const FILES = Number(values.files);
const DIR = `${values.dir}-${FILES}`;

// Lays out FILES empty files as Orthanc does (xx/yy/uuid), once.
const buildTree = async (): Promise<void> => {
  if (existsSync(join(DIR, 'done'))) return;
  for (let i = 0; i < FILES; i++) {
    const uuid = randomUUID();
    const dir = join(DIR, uuid.slice(0, 2), uuid.slice(2, 4));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, uuid), '');
  }
  await writeFile(join(DIR, 'done'), '');
};

// In a child process: consume the walk slowly and report the peak RSS and heap.
const consume = async (walker: string): Promise<void> => {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = (): void => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const timer = setInterval(sample, 20);
  const entries: AsyncIterable<unknown> = walker === 'fast-glob' ? fastGlob.stream('**/*', { cwd: DIR, dot: true, onlyFiles: true, stats: true }) : walk(DIR);
  let count = 0;
  const start = Date.now();
  for await (const entry of entries) {
    if (entry === undefined) continue;
    if (++count % 200 === 0) await sleep(1); // the slow consumer: about 200 files per ms at most
    sample();
  }
  clearInterval(timer);
  console.log(JSON.stringify({ walker, count, seconds: (Date.now() - start) / 1000, peakRssMB: peakRss / 2 ** 20, peakHeapMB: peakHeap / 2 ** 20 }));
};

// Runs each walker in its own process so neither inherits the other's heap.
const main = async (): Promise<void> => {
  if (values.child !== undefined) return consume(values.child);
  await buildTree();
  console.log(`tree: ${FILES} files in ${DIR} (xx/yy/uuid layout), consumer sleeps 1 ms every 200 entries`);
  for (const walker of ['fast-glob', 'src/walk.ts']) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', walker, '--files', String(FILES), '--dir', values.dir], { encoding: 'utf8' });
    const result = JSON.parse(child.stdout) as { count: number; seconds: number; peakRssMB: number; peakHeapMB: number };
    console.log(`  ${walker.padEnd(12)} ${result.count} files in ${result.seconds.toFixed(1)} s, peak RSS ${result.peakRssMB.toFixed(0)} MiB, peak heap ${result.peakHeapMB.toFixed(0)} MiB`);
  }
};

await main();
