// Helpers shared by the benchmarks (import-bench.ts, resume-bench.ts): data set up once and reused,
// Orthanc targets, timed CLI runs, CPU and memory figures from /proc, and the result table.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDicoms } from '../fixtures/make-dicoms.js';
import { startOrthanc } from '../fixtures/orthanc-process.js';
import type { RunningOrthanc } from '../fixtures/orthanc-process.js';

/** The instances of the bench data set (import, replicate). */
export const BENCH_INSTANCES = 1000;
/** The bench data set: generated CT instances of 100-500 KB in 10 patients, built once per work folder. */
export const BENCH_DATA = {
  out: '',
  count: BENCH_INSTANCES,
  patients: 10,
  studies: 2,
  series: 5,
  sizeKb: { min: 100, max: 500 },
  seed: 20_240,
  prefix: 'BENCH',
  ts: 'explicit',
} as const;

/** Parallel keep-alive uploads while building the source storage (setup, not timed). */
const SETUP_PARALLEL = 4;
/** Kernel clock ticks per second, for /proc/PID/stat (100 on every Linux we run on). */
const CLK_TCK = 100;
/** How often the peak RSS of a CLI run is sampled, when it is. */
export const RSS_POLL_MS = 50;
export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

// Why: the benchmarks are run by hand with a few knobs; reject typos instead of ignoring them.
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return Number(value);
}

// Why: a folder is reused only when it was completed (it is renamed into place at the end).
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// Why: set-up data is built into `${dir}.partial` and renamed into place only when complete, so a
// complete `dir` can be reused. Returns the seconds the build took, or undefined when reused.
export async function buildOnce(dir: string, build: (partial: string) => Promise<void>): Promise<number | undefined> {
  if (await exists(dir)) return undefined;
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  const started = Date.now();
  await build(partial);
  await rename(partial, dir);
  return (Date.now() - started) / 1000;
}

// Why: the generator names its files NNNNNN.dcm; sorted so every run sends the same order.
export async function listDicomFiles(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.dcm')).sort();
  return files.map((name) => join(dir, name));
}

// Why: generation takes a while; do it once per folder and instance count, reuse it afterwards.
// `seconds` is how long generating took, undefined when the folder was reused.
export async function ensureGenerated(dir: string, options: Parameters<typeof generateDicoms>[0] & { count: number }): Promise<{ files: string[]; seconds: number | undefined }> {
  if (await exists(dir)) {
    const files = await listDicomFiles(dir);
    if (files.length === options.count) return { files, seconds: undefined };
    await rm(dir, { recursive: true, force: true });
  }
  const seconds = await buildOnce(dir, async (partial) => {
    console.log(`generating ${options.count} instances in ${dir} ...`);
    await generateDicoms({ ...options, out: partial });
  });
  return { files: await listDicomFiles(dir), seconds };
}

// Why: MB/s is computed from the bytes actually on disk, not from the generator's size targets.
export async function totalBytes(files: readonly string[]): Promise<number> {
  let sum = 0;
  for (const file of files) sum += (await stat(file)).size;
  return sum;
}

// Why: one small JSON GET helper for /system, /statistics and /instances.
export async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url} -> HTTP ${res.status}: ${body.slice(0, 200)}`);
  return JSON.parse(body) as unknown;
}

// Why: every run ends by asking the target itself how many instances it holds.
export async function countInstances(orthanc: RunningOrthanc, timeoutMs: number): Promise<number> {
  const stats = (await getJson(`${orthanc.url}/statistics`, timeoutMs)) as Record<string, unknown>;
  const count = stats['CountInstances'];
  return typeof count === 'number' ? count : Number.NaN;
}

// Why: the results record which Orthanc they were measured against.
export async function orthancVersion(orthanc: RunningOrthanc, timeoutMs: number): Promise<string> {
  return String(((await getJson(`${orthanc.url}/system`, timeoutMs)) as Record<string, unknown>)['Version']);
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  orthanc: string;
  loadAverage1m: number;
}

// Why: figures mean little without the machine they were measured on.
export function machineInfo(orthanc: string): Machine {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, orthanc, loadAverage1m: loadavg()[0] ?? 0 };
}

export function describeMachine(machine: Machine): string {
  return `machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, node ${machine.node}, Orthanc ${machine.orthanc}, load average ${machine.loadAverage1m.toFixed(2)}`;
}

export interface PostResult {
  status: number;
  body: string;
}

// Why: setup uploads and the Node reference POST a whole file (Content-Length, no
// `Expect: 100-continue`) and read the whole answer; agent false = a new connection, closed after.
export function postDicom(port: number, body: Buffer, agent: Agent | false): Promise<PostResult> {
  return new Promise<PostResult>((resolvePost, reject) => {
    const headers: Record<string, string | number> = { 'Content-Type': 'application/dicom', 'Content-Length': body.length };
    if (agent === false) headers['Connection'] = 'close';
    const req = request({ host: '127.0.0.1', port, path: '/instances', method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolvePost({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Why: the source must be a real compressed Orthanc storage (with its pixel-data caches): a
// compressed Orthanc on `storageDir` is fed `files`, SETUP_PARALLEL at a time, then stopped.
export async function buildCompressedStorage(storageDir: string, files: readonly string[], expected: number, timeoutMs: number): Promise<void> {
  await mkdir(storageDir, { recursive: true });
  const orthanc = await startOrthanc({ storageDir, compression: true });
  const agent = new Agent({ keepAlive: true, maxSockets: SETUP_PARALLEL });
  try {
    let next = 0;
    const uploader = async (): Promise<void> => {
      for (let k = next++; k < files.length; k = next++) {
        const file = files[k];
        if (file === undefined) return;
        const { status, body } = await postDicom(orthanc.port, await readFile(file), agent);
        if (status !== 200) throw new Error(`setup upload of ${file} -> HTTP ${status}: ${body.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: SETUP_PARALLEL }, uploader));
    const count = await countInstances(orthanc, timeoutMs);
    if (count !== expected) throw new Error(`source storage holds ${count} instances, expected ${expected}`);
  } finally {
    agent.destroy();
    await orthanc.stop();
    await rm(orthanc.runDir, { recursive: true, force: true });
  }
}

// Why: each run needs its own empty, default (uncompressed) target.
export async function freshTarget(work: string, name: string): Promise<RunningOrthanc> {
  const storageDir = join(work, 'targets', name);
  await rm(storageDir, { recursive: true, force: true });
  await mkdir(storageDir, { recursive: true });
  return startOrthanc({ storageDir });
}

// Why: a target is removed with its storage so the work dir does not fill up run after run.
export async function dropTarget(orthanc: RunningOrthanc): Promise<void> {
  await orthanc.stop();
  await rm(orthanc.runDir, { recursive: true, force: true });
  await rm(orthanc.storageDir, { recursive: true, force: true });
}

// Why: a target that serves one run only is cleaned up whatever the run does.
export async function withTarget<T>(work: string, name: string, body: (orthanc: RunningOrthanc) => Promise<T>): Promise<T> {
  const orthanc = await freshTarget(work, name);
  try {
    return await body(orthanc);
  } finally {
    await dropTarget(orthanc);
  }
}

/** Debian's interpreter, which has python3-httplib2; a pyenv `python3` on PATH may not. */
export const PYTHON = '/usr/bin/python3';
/** The .py file is not compiled: from dist/bench/ it is two levels up, from bench/ it is next door. */
const PY_BASELINE_CANDIDATES = [
  fileURLToPath(new URL('../../bench/import-dicom-files-baseline.py', import.meta.url)),
  fileURLToPath(new URL('./import-dicom-files-baseline.py', import.meta.url)),
];

// Why: the baseline must be checked before the runs; without httplib2 it cannot run.
export async function findPythonBaseline(): Promise<{ script: string } | { missing: string }> {
  let script: string | undefined;
  for (const candidate of PY_BASELINE_CANDIDATES) {
    if (await exists(candidate)) {
      script = candidate;
      break;
    }
  }
  if (script === undefined) return { missing: `baseline script not found (looked at ${PY_BASELINE_CANDIDATES.join(', ')})` };
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolveExit) => {
    const child = spawn(PYTHON, ['-c', 'import httplib2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', (err) => {
      resolveExit({ code: null, output: err.message });
    });
    child.once('close', (exitCode) => {
      resolveExit({ code: exitCode, output: text });
    });
  });
  if (code !== 0) {
    return { missing: `${PYTHON} -c 'import httplib2' failed (${output.trim().split('\n').pop() ?? ''}): apt-get install python3-httplib2` };
  }
  return { script };
}

/** What an uploading peer (the baseline script, the keep-alive client) says of its run: its last line. */
export interface UploaderReport {
  files?: number;
  ok?: number;
  failed?: number;
  /** From reading the first file to the last answer: the process's start-up is left out. */
  seconds?: number;
  bytes?: number;
}

export interface UploaderRun {
  report: UploaderReport;
  problems: string[];
  /** CPU seconds of the peer's process (a reaped child of this one). */
  clientCpuSeconds: number;
  /** CPU seconds of the target from spawn to exit. */
  orthancCpuSeconds: number;
}

// Why: the peers run as processes of their own, so their CPU is theirs alone; a run counts only
// when the peer says every file was answered 200 with every byte sent.
export async function runUploader(command: string, args: readonly string[], orthanc: RunningOrthanc, expected: { files: number; bytes: number }): Promise<UploaderRun> {
  const orthancBefore = procTimes(orthanc.pid).cpu;
  const childrenBefore = procTimes('self').children;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      resolveExit(exitCode);
    });
  });
  const orthancCpuSeconds = procTimes(orthanc.pid).cpu - orthancBefore;
  const clientCpuSeconds = procTimes('self').children - childrenBefore;
  const problems: string[] = [];
  if (code !== 0) problems.push(`exit code ${String(code)}: ${stderr.trim().slice(-600)}`);
  let report: UploaderReport = {};
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    report = JSON.parse(last) as UploaderReport;
  } catch {
    problems.push(`no JSON summary on stdout: ${last.slice(0, 200)}`);
  }
  const success = report.ok ?? 0;
  if (success !== expected.files) problems.push(`${success}/${String(report.files)} files answered 200 (${String(report.failed)} failed), expected ${expected.files}`);
  if ((report.bytes ?? 0) !== expected.bytes) problems.push(`sent ${String(report.bytes)} bytes, originals hold ${expected.bytes}`);
  return { report, problems, clientCpuSeconds, orthancCpuSeconds };
}

// Why: CPU use of Orthanc (and of reaped children) tells where the wall-clock time goes.
export function procTimes(pid: number | 'self'): { cpu: number; children: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  // fields[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17.
  const at = (field: number): number => fields[field - 3] ?? 0;
  return { cpu: (at(14) + at(15)) / CLK_TCK, children: (at(16) + at(17)) / CLK_TCK };
}

// Why: VmHWM is the kernel's own peak of the whole process (worker threads share it); it vanishes
// once the process exits, so it is sampled while it runs.
function readPeakKiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return Math.max(Number(hwm ?? 0), Number(rss ?? 0));
  } catch {
    return 0;
  }
}

export interface CliRunOptions {
  /** The child's environment; this process's when absent. */
  env?: NodeJS.ProcessEnv;
  /** Stop the CLI with SIGINT after this many seconds. */
  capSeconds?: number;
  /** Sample the peak RSS every RSS_POLL_MS (off: peakKiB is NaN and nothing polls /proc). */
  samplePeak?: boolean;
  /** The target, whose CPU seconds during the run are measured. */
  orthanc?: RunningOrthanc;
  /** Another build of the CLI (a locally patched dist, say); CLI when absent. */
  cli?: string;
}

export interface CliRun {
  code: number | null;
  signal: string | null;
  seconds: number;
  output: string;
  /** Peak resident set (VmHWM, KiB) of the CLI process, all its threads; NaN when never sampled. */
  peakKiB: number;
  /** CPU seconds of the CLI process, its worker threads included. */
  clientCpuSeconds: number;
  /** CPU seconds of options.orthanc from spawn to exit; NaN without it. */
  orthancCpuSeconds: number;
  /** Stopped with SIGINT at the time cap. */
  capped: boolean;
}

// Why: every figure is the whole CLI process from spawn to exit, with all decoding and checking included.
export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const { orthanc } = options;
  const orthancBefore = orthanc === undefined ? Number.NaN : procTimes(orthanc.pid).cpu;
  const childrenBefore = procTimes('self').children;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [options.cli ?? CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  const pid = child.pid;
  let peakKiB = 0;
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const sample = (): void => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) peakKiB = Math.max(peakKiB, readPeakKiB(pid));
  };
  if (options.samplePeak === true) sample();
  const poller = options.samplePeak === true ? setInterval(sample, RSS_POLL_MS) : undefined;
  let capped = false;
  const cap =
    options.capSeconds === undefined
      ? undefined
      : setTimeout(() => {
          capped = true;
          if (pid !== undefined) process.kill(pid, 'SIGINT');
        }, options.capSeconds * 1000);
  const { code, signal, ended } = await new Promise<{ code: number | null; signal: string | null; ended: bigint }>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, exitSignal) => {
      resolveExit({ code: exitCode, signal: exitSignal, ended: process.hrtime.bigint() });
    });
  });
  if (poller !== undefined) clearInterval(poller);
  if (cap !== undefined) clearTimeout(cap);
  const seconds = Number(ended - started) / 1e9;
  const orthancCpuSeconds = orthanc === undefined ? Number.NaN : procTimes(orthanc.pid).cpu - orthancBefore;
  const clientCpuSeconds = procTimes('self').children - childrenBefore;
  await new Promise<void>((resolveClose) => {
    if (child.stdout.readableEnded && child.stderr.readableEnded) resolveClose();
    else child.once('close', () => { resolveClose(); });
  });
  return { code, signal, seconds, output, peakKiB: peakKiB === 0 ? Number.NaN : peakKiB, clientCpuSeconds, orthancCpuSeconds, capped };
}

/** The `summary` of the CLI's JSON report, the fields the benchmarks check. */
export interface CliSummary {
  instances?: number;
  dicomBytes?: number;
  resumed?: number;
  alreadyOnTarget?: number;
  exitCode?: number;
  interrupted?: boolean;
  statuses?: Record<string, number>;
  classes?: Record<string, { files: number; bytes: number }>;
}

// Why: the JSON report is the CLI's own account of what it did; checks read it, not stdout.
export async function readSummary(path: string, problems: string[]): Promise<CliSummary> {
  try {
    const report = JSON.parse(await readFile(path, 'utf8')) as { summary?: CliSummary };
    return report.summary ?? {};
  } catch (err) {
    problems.push(`report unreadable: ${errorMessage(err)}`);
    return {};
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Why: the medians of the runs, robust to one noisy run. NaN (a failed run) is sorted in as is.
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  if (sorted.length % 2 === 1) return hi;
  return ((sorted[mid - 1] ?? Number.NaN) + hi) / 2;
}

// Why: the median of the figures that were measured, leaving out NaN (failed or unsampled runs).
export function medianOfKnown(values: readonly number[]): number {
  return median(values.filter((v) => !Number.isNaN(v)));
}

// Why: one place decides how a row of the table looks.
export function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells
    .map((cell, k) => {
      const text = typeof cell === 'number' ? cell.toFixed(cell >= 100 ? 0 : 2) : cell;
      return k < 2 ? text.padEnd(widths[k] ?? 0) : text.padStart(widths[k] ?? 0);
    })
    .join('  ');
}

// Why: the exit code is main's answer; an exception is printed with its stack and exits 1.
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // A bad option is the user's mistake: its message is enough. Anything else keeps its stack.
      const usage = (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
      console.error(err instanceof Error ? (usage ? err.message : (err.stack ?? err.message)) : String(err));
      process.exitCode = usage ? 2 : 1;
    },
  );
}
