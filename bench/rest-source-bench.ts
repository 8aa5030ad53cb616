// A running Orthanc as the source: compressed-data (the stored zlib bytes, inflated by our
// workers) against /file (inflated by the source), on loopback, from a compressed source.
//
//   npm run build && node dist/bench/rest-source-bench.js [--work DIR] [--instances 1000] [--rounds 2]
//
// Each round copies every instance into a fresh, empty target, once per mode (alternating), in
// this process (runImport: the CPU of this process and its worker threads is the client's), and
// measures the source Orthanc's CPU seconds over the same run from /proc.
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startOrthanc } from '../fixtures/orthanc-process.js';
import { resolveOptions } from '../src/core/options.js';
import { runImport } from '../src/run/run.js';
import { buildCompressedStorage, buildOnce, ensureGenerated, positiveInt, procTimes, row, runMain, totalBytes, withTarget } from './common.js';

const MODES = ['compressed-data', 'file'] as const;

const main = async (): Promise<number> => {
  const { values } = parseArgs({ options: { work: { type: 'string' }, instances: { type: 'string' }, rounds: { type: 'string' } } });
  const work = resolve(values.work ?? '/tmp/orthanc-import-rest-bench');
  const count = positiveInt('instances', values.instances) ?? 1000;
  const rounds = positiveInt('rounds', values.rounds) ?? 2;
  const { files } = await ensureGenerated(join(work, `dicoms-${count}`), { out: '', count, patients: 10, studies: 2, series: 2, sizeKb: { min: 100, max: 400 }, seed: 12 });
  const bytes = await totalBytes(files);
  const storageDir = join(work, `source-${count}`);
  await buildOnce(storageDir, (partial) => buildCompressedStorage(partial, files, count, 60_000));
  const source = await startOrthanc({ storageDir, compression: true });
  console.log(`${count} instances, ${(bytes / 1e6).toFixed(1)} MB decoded, compressed source Orthanc pid ${source.pid}`);
  const widths = [16, 6, 9, 10, 12, 12];
  console.log(row(['mode', 'round', 'seconds', 'MB/s', 'client CPU s', 'source CPU s'], widths));
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        await withTarget(work, `target-${mode}`, async (target) => {
          const options = resolveOptions({ source: source.url, target: target.url, sourceDownload: mode, journalPath: join(work, `journal-${mode}.sqlite`), restart: true });
          const sourceBefore = procTimes(source.pid).cpu;
          const selfBefore = process.cpuUsage();
          const started = process.hrtime.bigint();
          const summary = await runImport(options);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const self = process.cpuUsage(selfBefore);
          if (summary.exitCode !== 0) throw new Error(`${mode}: exit code ${summary.exitCode}`);
          const client = (self.user + self.system) / 1e6;
          console.log(row([mode, String(round), seconds.toFixed(2), (bytes / 1e6 / seconds).toFixed(1), client.toFixed(2), (procTimes(source.pid).cpu - sourceBefore).toFixed(2)], widths));
        });
      }
    }
  } finally {
    await source.stop();
    await rm(source.runDir, { recursive: true, force: true });
  }
  return 0;
};

runMain(main);
