// One study of many instances through the CLI, into an Orthanc over REST and into the same Orthanc's
// DICOMweb plugin: the first run (send and verify), a second run (everything already there) and a
// check, each timed. What it measures: that verifying and skipping stay linear in a large study.
// Usage: npm run build && node dist/bench/one-study.js [--instances 1500] [--work DIR]
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startOrthanc } from '../fixtures/orthanc-process.js';
import { CLI, ensureGenerated, positiveInt, runMain } from './common.js';

const run = promisify(execFile);
const PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

// Seconds one CLI run takes, and its exit code.
const timed = async (args: readonly string[]): Promise<string> => {
  const started = Date.now();
  const code = await run('node', [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 }).then(() => 0, (error: unknown) => (error as { code?: number }).code ?? -1);
  return `${((Date.now() - started) / 1000).toFixed(1)} s${code === 0 ? '' : ` (exit ${code})`}`;
};

const main = async (): Promise<number> => {
  const { values } = parseArgs({ options: { instances: { type: 'string' }, work: { type: 'string', default: join(tmpdir(), 'oi-bench-one-study') } } });
  const count = positiveInt('instances', values.instances) ?? 1500;
  const source = join(values.work, `one-study-${count}`);
  await ensureGenerated(source, { out: '', count, sizeKb: { min: 8, max: 12 }, patients: 1, studies: 1, series: 1 });
  console.log(`${count} instances of one study, loopback, default options:`);
  for (const mode of ['orthanc', 'dicomweb'] as const) {
    const orthanc = await startOrthanc({ config: { Plugins: [PLUGIN], DicomWeb: { Enable: true, Root: '/dicom-web/' } } });
    const journal = join(values.work, `${mode}.journal.sqlite`);
    try {
      const url = mode === 'dicomweb' ? `dicomweb+${orthanc.url}/dicom-web` : orthanc.url;
      const first = await timed([source, url, '--quiet', '--restart', '--journal', journal]);
      const second = await timed([source, url, '--quiet', '--restart', '--journal', journal]);
      const check = await timed(['check', source, url, '--quiet']);
      console.log(`  ${mode.padEnd(9)} first run ${first}, second run (all there) ${second}, check ${check}`);
    } finally {
      await orthanc.stop();
      await rm(journal, { force: true });
    }
  }
  return 0;
};

runMain(main);
