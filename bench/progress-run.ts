// A long run, as an admin watches it in a log (issue 15): the import bench's compressed storage
// (1,000 CT-like instances) into a fresh local Orthanc, capped by --bwlimit so that it lasts a
// minute or more, with the CLI's plain progress lines (--stats) printed as they come. What it
// shows: the total from the index, the share done, the ETA against the time the run really took,
// and the current rate against the average.
//
//   npm run build && node dist/bench/progress-run.js [--bwlimit 4M] [--stats 5s] [--work /tmp/orthanc-import-bench]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DATA, BENCH_INSTANCES, buildCompressedStorage, buildOnce, CLI, ensureGenerated, runMain, withTarget } from './common.js';

const HTTP_TIMEOUT_MS = 30_000;

// Runs the CLI, echoing its stderr (the progress lines) as it comes; resolves with its exit code.
const watched = (args: readonly string[]): Promise<number | null> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
    const started = Date.now();
    child.stderr.on('data', (chunk: Buffer) => {
      const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
      for (const line of chunk.toString().split('\n').filter((text) => text !== '')) console.log(`[+${elapsed} s] ${line}`);
    });
    child.on('error', reject);
    child.on('close', resolve);
  });

// Why: the progress of a real run, over a minute or more, for the README.
const main = async (): Promise<number> => {
  const { values } = parseArgs({ options: { bwlimit: { type: 'string' }, stats: { type: 'string' }, work: { type: 'string' } } });
  const work = values.work ?? '/tmp/orthanc-import-bench';
  const storage = join(work, 'storage');
  const { files } = await ensureGenerated(join(work, 'originals'), { ...BENCH_DATA, count: BENCH_INSTANCES });
  await buildOnce(storage, (partial) => buildCompressedStorage(partial, files, BENCH_INSTANCES, HTTP_TIMEOUT_MS));
  return withTarget(work, 'progress-run', async (target) => {
    const journal = join(target.storageDir, '..', 'progress-run-journal.sqlite');
    const args = [storage, target.url, '--bwlimit', values.bwlimit ?? '4M', '--stats', values.stats ?? '5s', '--journal', journal, '--restart'];
    console.log(`orthanc-import ${args.join(' ')}`);
    return (await watched(args)) ?? 1;
  });
};

runMain(main);
