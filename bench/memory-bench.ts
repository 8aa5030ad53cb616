// Memory bench (issue 13): the peak RSS of the CLI process (VmHWM, worker threads included)
// importing large files with many uploads in flight. Goal: under 300 MB with 16+ uploads in
// flight of 20 MB files.
// 40 generated multi-frame instances of about 20 MB (a folder source) go into a fresh local
// Orthanc per run, once per --concurrency; the same run over 40 small files (20 KB) gives what
// the process costs with nothing large to hold.
//
//   npx tsc -p tsconfig.json && node dist/bench/memory-bench.js [--work DIR] [--concurrency 16,24]
//     [--workers N] [--runs N] [--cli PATH] [--json FILE]
//
// --cli runs another build of the CLI (a copy of dist/ with a constant patched, say) to measure a
// proposed change against the same data.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, countInstances, describeMachine, ensureGenerated, machineInfo, median, orthancVersion, positiveInt, readSummary, row, RSS_POLL_MS, runCli, runMain, totalBytes, withTarget } from './common.js';

const HTTP_TIMEOUT_MS = 30_000;
const COUNT = 40;
/** 20 frames of about 707 x 707 16-bit pixels: 19.5-20.5 MB per file. */
const LARGE = { count: COUNT, frames: 20, sizeKb: { min: 19_500, max: 20_500 }, patients: 2, studies: 2, series: 2, seed: 14, prefix: 'MEMLARGE' } as const;
const SMALL = { count: COUNT, sizeKb: { min: 18, max: 22 }, patients: 2, studies: 2, series: 2, seed: 14, prefix: 'MEMSMALL' } as const;
/** The issue's goal for the whole client process. */
const GOAL_MB = 300;

interface Run {
  data: string;
  concurrency: number;
  run: number;
  ok: boolean;
  problems: string[];
  seconds: number;
  peakMiB: number;
}

function parseOptions(argv: string[]): { work: string; concurrency: number[]; workers: number | undefined; runs: number; cli: string; json: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      work: { type: 'string', default: '/tmp/i13-zip' },
      concurrency: { type: 'string', default: '16,24' },
      workers: { type: 'string' },
      runs: { type: 'string', default: '1' },
      cli: { type: 'string', default: CLI },
      json: { type: 'string' },
    },
    strict: true,
  });
  return {
    work: resolve(values.work),
    concurrency: values.concurrency.split(',').map((c) => positiveInt('concurrency', c) ?? 0),
    workers: positiveInt('workers', values.workers),
    runs: positiveInt('runs', values.runs) ?? 1,
    cli: resolve(values.cli),
    json: values.json,
  };
}

// Why: one CLI run, start to exit, its peak RSS sampled; its own report and the target checked.
async function runOnce(work: string, cli: string, data: { name: string; dir: string; bytes: number }, concurrency: number, workers: number | undefined, run: number): Promise<Run> {
  return withTarget(work, 'memory-bench', async (orthanc) => {
    const reportPath = join(work, 'reports', `memory-${data.name}-c${concurrency}.json`);
    await mkdir(join(work, 'reports'), { recursive: true });
    await rm(reportPath, { force: true });
    const args = [data.dir, orthanc.url, '--quiet', '--report', reportPath, '-c', String(concurrency), ...(workers === undefined ? [] : ['-w', String(workers)])];
    const result = await runCli(args, { samplePeak: true, orthanc, cli });
    const problems: string[] = [];
    if (result.code !== 0) problems.push(`exit code ${String(result.code)}: ${result.output.trim().slice(-400)}`);
    const summary = await readSummary(reportPath, problems);
    if (summary.instances !== COUNT) problems.push(`report says ${String(summary.instances)} instances`);
    if (summary.dicomBytes !== data.bytes) problems.push(`report dicomBytes ${String(summary.dicomBytes)}, the files hold ${data.bytes}`);
    const count = await countInstances(orthanc, HTTP_TIMEOUT_MS);
    if (count !== COUNT) problems.push(`target holds ${count} instances`);
    return { data: data.name, concurrency, run, ok: problems.length === 0, problems, seconds: result.seconds, peakMiB: result.peakKiB / 1024 };
  });
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const sets = [];
  for (const [name, shape] of [['20MB', LARGE], ['20KB', SMALL]] as const) {
    const dir = join(options.work, `memory-${name}`);
    const { files } = await ensureGenerated(dir, { out: '', ...shape });
    sets.push({ name, dir, bytes: await totalBytes(files) });
  }
  console.log(describeMachine(machineInfo(await withTarget(options.work, 'memory-version', (o) => orthancVersion(o, HTTP_TIMEOUT_MS)))));
  console.log(`CLI: ${options.cli}; RSS sampled every ${RSS_POLL_MS} ms (VmHWM)`);
  const runs: Run[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const data of sets) {
      for (const concurrency of options.concurrency) {
        const result = await runOnce(options.work, options.cli, data, concurrency, options.workers, run);
        runs.push(result);
        console.log(`run ${run} ${data.name} -c ${concurrency}: ${result.seconds.toFixed(1)} s, peak RSS ${result.peakMiB.toFixed(0)} MiB${result.ok ? '' : `  FAILED: ${result.problems.join('; ')}`}`);
      }
    }
  }
  const widths = [6, 4, 8, 14, 8];
  console.log(row(['files', '-c', 'seconds', 'peak RSS MiB', `< ${GOAL_MB} MB`], widths));
  for (const data of sets) {
    for (const concurrency of options.concurrency) {
      const mine = runs.filter((r) => r.data === data.name && r.concurrency === concurrency && r.ok);
      const peak = median(mine.map((r) => r.peakMiB));
      console.log(row([data.name, String(concurrency), median(mine.map((r) => r.seconds)), peak.toFixed(0), peak * 2 ** 20 < GOAL_MB * 1e6 ? 'yes' : 'no'], widths));
    }
  }
  if (options.json !== undefined) await writeFile(options.json, JSON.stringify({ options, runs }, null, 2));
  return runs.every((r) => r.ok) ? 0 : 1;
}

runMain(main);
