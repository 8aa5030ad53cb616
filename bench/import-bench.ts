// Import benchmark: orthanc-import (compressed storage -> fresh Orthanc) against the
// ImportDicomFiles.py way (original files, sequential, one new connection per file).
// The baseline is bench/import-dicom-files-baseline.py run by /usr/bin/python3 with httplib2, like
// the real script; the same steps re-implemented in Node are run too, as a labelled reference.
//
//   npx tsc -p tsconfig.json && node dist/bench/import-bench.js [--work DIR] [--runs N]
//     [--concurrency N] [--workers N] [--json FILE]
//
// Prints seconds, instances/s and MB/s per run and the median of the runs, and the ratio of the
// medians. MB = 10^6 bytes of DICOM delivered (the sum of the original file sizes).
// Needs Debian's python3-httplib2; without it only the Node reference runs (with a warning).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY, defaultWorkers } from '../src/core/options.js';
import {
  BENCH_DATA,
  BENCH_INSTANCES,
  buildCompressedStorage,
  buildOnce,
  countInstances,
  describeMachine,
  ensureGenerated,
  errorMessage,
  findPythonBaseline,
  machineInfo,
  median,
  orthancVersion,
  positiveInt,
  postDicom,
  procTimes,
  PYTHON,
  readSummary,
  row,
  runCli,
  runMain,
  runUploader,
  totalBytes,
  withTarget,
} from './common.js';

const INSTANCES = BENCH_INSTANCES;
const GENERATE = BENCH_DATA;
/** Timeout of the JSON GETs to Orthanc (/system, /statistics). */
const HTTP_TIMEOUT_MS = 30_000;

/** baseline = the Python script (ImportDicomFiles.py behaviour); node-reference = same steps in Node. */
type Tool = 'orthanc-import' | 'import-walk' | 'baseline' | 'node-reference';
const LABELS: Record<Tool, string> = {
  'orthanc-import': 'orthanc-import CLI, index-driven (the default on a storage with its index)',
  'import-walk': 'orthanc-import CLI with --no-index (directory walk, content sniffing)',
  baseline: 'ImportDicomFiles.py behaviour (Python 3 + httplib2)',
  'node-reference': 'same steps in Node, for comparison',
};

interface RunResult {
  run: number;
  tool: Tool;
  ok: boolean;
  problems: string[];
  seconds: number;
  instances: number;
  bytes: number;
  /** CPU seconds of the uploading side (the CLI or Python process, or this process for the Node reference). */
  clientCpuSeconds: number;
  /** CPU seconds the target Orthanc used during the timed window. */
  orthancCpuSeconds: number;
}

interface BenchOptions {
  work: string;
  runs: number;
  concurrency: number | undefined;
  workers: number | undefined;
  json: string | undefined;
}

// Why: the benchmark is run by hand with a few knobs; reject typos instead of ignoring them.
function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      work: { type: 'string', default: '/tmp/orthanc-import-bench' },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'string' },
    },
    strict: true,
  });
  return {
    work: resolve(values.work),
    runs: positiveInt('runs', values.runs) ?? 3,
    concurrency: positiveInt('concurrency', values.concurrency),
    workers: positiveInt('workers', values.workers),
    json: values.json,
  };
}

// Why: the Node reference walks the folder like os.walk does; sorted so every run sends the same order.
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

// Why: the source must be a real compressed Orthanc storage, built once and reused when complete.
async function ensureStorage(work: string, originals: readonly string[]): Promise<string> {
  const dir = join(work, 'storage');
  await buildOnce(dir, async (partial) => {
    console.log(`building the compressed source storage in ${dir} ...`);
    await buildCompressedStorage(partial, originals, INSTANCES, HTTP_TIMEOUT_MS);
  });
  return dir;
}

// Why: run A times the whole CLI process, start to exit, with all decoding and checking included.
async function runImport(work: string, run: number, storage: string, bytes: number, cliArgs: readonly string[], tool: 'orthanc-import' | 'import-walk'): Promise<RunResult> {
  return withTarget(work, `run-${run}-${tool}`, async (orthanc) => {
    const reportPath = join(work, 'reports', `run-${run}-${tool}.json`);
    await mkdir(join(work, 'reports'), { recursive: true });
    await rm(reportPath, { force: true });
    const cli = await runCli([storage, orthanc.url, '--quiet', '--report', reportPath, ...cliArgs, ...(tool === 'import-walk' ? ['--no-index'] : [])], { orthanc });
    const problems: string[] = [];
    if (cli.code !== 0) problems.push(`exit code ${String(cli.code)}: ${cli.output.trim().slice(-600)}`);
    const summary = await readSummary(reportPath, problems);
    const delivered = summary.instances ?? 0;
    if (delivered !== INSTANCES) problems.push(`report says ${delivered} instances, expected ${INSTANCES}`);
    if (summary.statuses?.['stored'] !== INSTANCES) problems.push(`report statuses ${JSON.stringify(summary.statuses)}`);
    if (summary.exitCode !== 0) problems.push(`report exitCode ${String(summary.exitCode)}`);
    if (summary.dicomBytes !== bytes) problems.push(`report dicomBytes ${String(summary.dicomBytes)}, originals hold ${bytes}`);
    const count = await countInstances(orthanc, HTTP_TIMEOUT_MS);
    if (count !== INSTANCES) problems.push(`target holds ${count} instances`);
    const { seconds, clientCpuSeconds, orthancCpuSeconds } = cli;
    return { run, tool, ok: problems.length === 0, problems, seconds, instances: delivered, bytes, clientCpuSeconds, orthancCpuSeconds };
  });
}

// Why: ImportDicomFiles.py skips files that parse as JSON. A JSON text can only start with one of
// these bytes after whitespace, so the full parse is only tried when it could succeed (same answer).
function parsesAsJson(content: Buffer): boolean {
  let k = 0;
  while (k < content.length && (content[k] === 0x20 || content[k] === 0x09 || content[k] === 0x0a || content[k] === 0x0d)) k++;
  const first = content[k];
  if (first === undefined || !'{["-0123456789tfn'.includes(String.fromCharCode(first))) return false;
  try {
    JSON.parse(content.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

// Why: the reference shows how much of the baseline's time is Python itself: same steps in Node.
async function runNodeReference(work: string, run: number, originalsDir: string, bytes: number): Promise<RunResult> {
  return withTarget(work, `run-${run}-node-reference`, async (orthanc) => {
    const files = await listFiles(originalsDir);
    const orthancBefore = procTimes(orthanc.pid).cpu;
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    let success = 0;
    let sent = 0;
    let sentBytes = 0;
    const failures: string[] = [];
    for (const file of files) {
      const content = await readFile(file);
      if (parsesAsJson(content)) continue;
      sent++;
      try {
        const { status } = await postDicom(orthanc.port, content, false);
        if (status === 200) {
          success++;
          sentBytes += content.length;
        } else failures.push(`${file}: HTTP ${status}`);
      } catch (err) {
        failures.push(`${file}: ${errorMessage(err)}`);
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const orthancCpuSeconds = procTimes(orthanc.pid).cpu - orthancBefore;
    const problems: string[] = [];
    if (success !== INSTANCES) problems.push(`${success}/${sent} files answered 200, expected ${INSTANCES}; ${failures.slice(0, 3).join('; ')}`);
    if (sentBytes !== bytes) problems.push(`sent ${sentBytes} bytes, originals hold ${bytes}`);
    const count = await countInstances(orthanc, HTTP_TIMEOUT_MS);
    if (count !== INSTANCES) problems.push(`target holds ${count} instances`);
    return {
      run,
      tool: 'node-reference',
      ok: problems.length === 0,
      problems,
      seconds,
      instances: success,
      bytes: sentBytes,
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      orthancCpuSeconds,
    };
  });
}

// Why: run B is what users do today: ImportDicomFiles.py's behaviour, in Python with httplib2.
// Its seconds are the script's own (first file to last answer), so interpreter start-up is excluded.
async function runPythonBaseline(work: string, run: number, script: string, originalsDir: string, bytes: number): Promise<RunResult> {
  return withTarget(work, `run-${run}-baseline`, async (orthanc) => {
    const { report, problems, clientCpuSeconds, orthancCpuSeconds } = await runUploader(PYTHON, [script, orthanc.url, originalsDir], orthanc, { files: INSTANCES, bytes });
    const count = await countInstances(orthanc, HTTP_TIMEOUT_MS);
    if (count !== INSTANCES) problems.push(`target holds ${count} instances`);
    return {
      run,
      tool: 'baseline',
      ok: problems.length === 0,
      problems,
      seconds: report.seconds ?? Number.NaN,
      instances: report.ok ?? 0,
      bytes: report.bytes ?? 0,
      clientCpuSeconds,
      orthancCpuSeconds,
    };
  });
}

// Why: a failed run must never disappear from the table; it is shown with its reason.
function failedResult(run: number, tool: Tool, err: unknown): RunResult {
  return { run, tool, ok: false, problems: [errorMessage(err)], seconds: Number.NaN, instances: 0, bytes: 0, clientCpuSeconds: Number.NaN, orthancCpuSeconds: Number.NaN };
}

// Why: entry point: prepare data once, then alternate A/B per run so drift hits both sides alike.
async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  await mkdir(options.work, { recursive: true });
  const originalsDir = join(options.work, 'originals');
  await ensureGenerated(originalsDir, GENERATE);
  const originals = await listFiles(originalsDir);
  const bytes = await totalBytes(originals);
  console.log(`originals: ${originals.length} files, ${bytes} bytes (${(bytes / 1e6).toFixed(1)} MB) in ${originalsDir}`);
  const storage = await ensureStorage(options.work, originals);
  console.log(`source storage (compressed): ${storage}`);

  const cliArgs: string[] = [];
  if (options.concurrency !== undefined) cliArgs.push('--concurrency', String(options.concurrency));
  if (options.workers !== undefined) cliArgs.push('--workers', String(options.workers));
  const effective = `--concurrency ${options.concurrency ?? DEFAULT_CONCURRENCY} --workers ${options.workers ?? defaultWorkers(true)}`;
  const machine = machineInfo(await withTarget(options.work, 'probe', (o) => orthancVersion(o, HTTP_TIMEOUT_MS)));
  console.log(`${describeMachine(machine)} before the runs`);
  console.log(`orthanc-import: node dist/src/cli/main.js ${storage} <target> --quiet --report <file>${cliArgs.length > 0 ? ` ${cliArgs.join(' ')}` : ''}  (effective ${effective})`);
  const python = await findPythonBaseline();
  const tools: Tool[] = 'script' in python ? ['orthanc-import', 'import-walk', 'baseline', 'node-reference'] : ['orthanc-import', 'import-walk', 'node-reference'];
  if ('script' in python) {
    console.log(`baseline: ${LABELS.baseline}: ${PYTHON} ${python.script} <target> ${originalsDir}`);
    console.log('  sequential POST /instances, a new httplib2.Http() (so a new connection) per file; seconds = first file to last answer');
  } else {
    console.warn(`WARNING: Python baseline unavailable: ${python.missing}`);
    console.warn('WARNING: falling back to the Node reference only; the target ratio below is against it.');
  }
  console.log(`node-reference: ${LABELS['node-reference']}: sequential POST /instances, Connection: close per file`);

  const results: RunResult[] = [];
  for (let run = 1; run <= options.runs; run++) {
    // Alternate the order per run so drift hits every tool alike.
    const order = run % 2 === 1 ? tools : [...tools].reverse();
    for (const tool of order) {
      let result: RunResult;
      try {
        if (tool === 'orthanc-import' || tool === 'import-walk') result = await runImport(options.work, run, storage, bytes, cliArgs, tool);
        else if (tool === 'baseline' && 'script' in python) result = await runPythonBaseline(options.work, run, python.script, originalsDir, bytes);
        else result = await runNodeReference(options.work, run, originalsDir, bytes);
      } catch (err) {
        result = failedResult(run, tool, err);
      }
      results.push(result);
      console.log(`  run ${run} ${tool}: ${result.ok ? 'ok' : 'FAILED'} ${result.seconds.toFixed(2)} s${result.ok ? '' : ` (${result.problems.join('; ')})`}`);
    }
  }

  const widths = [7, 15, 8, 8, 7, 11, 12] as const;
  const lines = [row(['run', 'tool', 'seconds', 'inst/s', 'MB/s', 'client CPU', 'Orthanc CPU'], widths)];
  for (const r of results) {
    lines.push(row([String(r.run), r.tool, r.seconds, r.instances / r.seconds, r.bytes / 1e6 / r.seconds, r.clientCpuSeconds, r.orthancCpuSeconds], widths));
  }
  const medians: Partial<Record<Tool, { seconds: number; instancesPerSecond: number; megabytesPerSecond: number }>> = {};
  for (const tool of tools) {
    const mine = results.filter((r) => r.tool === tool);
    const seconds = median(mine.map((r) => r.seconds));
    medians[tool] = { seconds, instancesPerSecond: INSTANCES / seconds, megabytesPerSecond: bytes / 1e6 / seconds };
    lines.push(
      row(['median', tool, seconds, INSTANCES / seconds, bytes / 1e6 / seconds, median(mine.map((r) => r.clientCpuSeconds)), median(mine.map((r) => r.orthancCpuSeconds))], widths),
    );
  }
  const importSeconds = medians['orthanc-import']?.seconds ?? Number.NaN;
  const targetTool: Tool = 'script' in python ? 'baseline' : 'node-reference';
  const ratio = (medians[targetTool]?.seconds ?? Number.NaN) / importSeconds;
  const nodeRatio = (medians['node-reference']?.seconds ?? Number.NaN) / importSeconds;
  console.log('');
  console.log(lines.join('\n'));
  console.log('');
  for (const tool of tools) console.log(`${tool}: ${LABELS[tool]}`);
  console.log(`ratio import-walk / ${targetTool} (instances/s, medians): ${((medians[targetTool]?.seconds ?? Number.NaN) / (medians['import-walk']?.seconds ?? Number.NaN)).toFixed(2)}x`);
  console.log(`ratio orthanc-import / ${targetTool} (instances/s, medians): ${ratio.toFixed(2)}x  (target >= 3x: ${ratio >= 3 ? 'met' : 'NOT met'})`);
  if (targetTool !== 'node-reference') console.log(`ratio orthanc-import / node-reference (instances/s, medians): ${nodeRatio.toFixed(2)}x  (for comparison)`);
  else console.log('(Python baseline unavailable: apt-get install python3-httplib2 for the real target check)');
  console.log('CPU columns are CPU seconds during the timed window (client = CLI or Python process incl. children, or this process for the Node reference).');

  const failed = results.filter((r) => !r.ok);
  if (options.json !== undefined) {
    const baseline = 'script' in python ? { python: PYTHON, script: python.script } : { missing: python.missing };
    const raw = { machine, cli: { args: cliArgs, effective }, instances: INSTANCES, bytes, generate: GENERATE, labels: LABELS, baseline, results, medians, ratioTarget: targetTool, ratio, ratioNodeReference: nodeRatio, failed: failed.length };
    await writeFile(options.json, `${JSON.stringify(raw, null, 2)}\n`);
  }
  if (failed.length > 0) {
    console.error(`${failed.length} run(s) failed their checks`);
    return 1;
  }
  return 0;
}

runMain(main);
