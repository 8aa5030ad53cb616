// Resume benchmark: how much faster is a second run over a storage that was fully imported?
//
//   npm run build && node dist/bench/resume-bench.js [--work DIR] [--instances 10000]
//     [--tree-files 100000] [--rounds 3] [--tree-import-cap 180] [--json FILE]
//
// A = first import of a compressed Orthanc storage into an empty Orthanc (--restart).
// B = the same command again, with the journal: every file is replayed without being read.
// C = again with --restart (journal emptied): only the target's listing lets it skip instances.
// Targets (from the issue): A/B >= 50x, A/C >= 20x, on the medians.
// Then the peak RSS of the CLI process (VmHWM, worker threads included) on a tree of 100,000 small
// files (inventory and import), and of the same inventory over 10,000 files.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateDicoms } from '../fixtures/make-dicoms.js';
import { startOrthanc } from '../fixtures/orthanc-process.js';
import type { RunningOrthanc } from '../fixtures/orthanc-process.js';
import { DEFAULT_CONCURRENCY, defaultWorkers } from '../src/options.js';

/** 50 patients x 4 studies x 5 series, 64..128 pixels square (about 9-33 KB per file). */
const GENERATE = {
  patients: 50,
  studies: 4,
  series: 5,
  sizeKb: { min: 9, max: 33 },
  seed: 20_250,
  prefix: 'RESUME',
  ts: 'explicit',
} as const;
/** The distinct DICOM files hard-linked many times to make the big tree. */
const TREE_SEEDS = 1000;
const TREE_GENERATE = { count: TREE_SEEDS, patients: 10, studies: 2, series: 5, rows: 16, cols: 16, seed: 20_251, prefix: 'TREE', ts: 'explicit' } as const;
/** One file in JUNK_EVERY is not DICOM (empty, text, JSON, random bytes). */
const JUNK_EVERY = 10;
/** Files per leaf folder of the tree. */
const FILES_PER_DIR = 100;
/** Parallel keep-alive uploads while building the source storage (setup, not timed). */
const SETUP_PARALLEL = 4;
/** Rounds 2.. run A again only if the whole run is projected to stay under this. */
const A_BUDGET_SECONDS = 600;
const RSS_POLL_MS = 50;
/** Directory listings in flight for the parallel-walk diagnostic. */
const WALK_PARALLEL = 32;
const TARGET_B = 50;
const TARGET_C = 20;
/** Kernel clock ticks per second, for /proc/PID/stat (100 on every Linux we run on). */
const CLK_TCK = 100;
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

type Kind = 'A' | 'B' | 'C';
const LABELS: Record<Kind, string> = {
  A: 'first import into an empty target (--restart)',
  B: 'second run, with the journal',
  C: 'second run without a journal (--restart: the target listing only)',
};

interface BenchOptions {
  work: string;
  instances: number;
  treeFiles: number;
  rounds: number;
  treeImportCap: number;
  json: string | undefined;
}

interface CliRun {
  code: number | null;
  signal: string | null;
  seconds: number;
  output: string;
  /** Peak resident set (VmHWM, KiB) of the CLI process, all its threads; NaN when never sampled. */
  peakKiB: number;
  clientCpuSeconds: number;
  /** Stopped with SIGINT at the time cap. */
  capped: boolean;
}

interface Summary {
  instances?: number;
  resumed?: number;
  alreadyOnTarget?: number;
  exitCode?: number;
  interrupted?: boolean;
  statuses?: Record<string, number>;
  classes?: Record<string, { files: number; bytes: number }>;
}

interface RunResult {
  round: number;
  kind: Kind;
  ok: boolean;
  problems: string[];
  seconds: number;
  peakMiB: number;
  clientCpuSeconds: number;
  orthancCpuSeconds: number;
  resumed: number;
  alreadyOnTarget: number;
}

interface TreeResult {
  label: string;
  files: number;
  filesDone: number;
  ok: boolean;
  problems: string[];
  seconds: number;
  peakMiB: number;
  capped: boolean;
}

// Why: the benchmark is run by hand with a few knobs; reject typos instead of ignoring them.
function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      work: { type: 'string', default: '/tmp/orthanc-import-resume-bench' },
      instances: { type: 'string', default: '10000' },
      'tree-files': { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '3' },
      'tree-import-cap': { type: 'string', default: '180' },
      json: { type: 'string' },
    },
    strict: true,
  });
  const positive = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!/^[1-9]\d*$/.test(value)) throw new Error(`--${name} must be a positive integer, got "${value}"`);
    return Number(value);
  };
  return {
    work: resolve(values.work),
    instances: positive('instances', values.instances, 10_000),
    treeFiles: positive('tree-files', values['tree-files'], 100_000),
    rounds: positive('rounds', values.rounds, 3),
    treeImportCap: positive('tree-import-cap', values['tree-import-cap'], 180),
    json: values.json,
  };
}

// Why: a folder is reused only when it was completed (it is renamed into place at the end).
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// Why: generation takes a while; do it once per work dir and instance count, reuse it afterwards.
async function ensureGenerated(dir: string, options: Parameters<typeof generateDicoms>[0] & { count: number }): Promise<string[]> {
  if (await exists(dir)) {
    const files = (await readdir(dir)).filter((name) => name.endsWith('.dcm')).sort();
    if (files.length === options.count) return files.map((name) => join(dir, name));
    await rm(dir, { recursive: true, force: true });
  }
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  const started = Date.now();
  console.log(`generating ${options.count} instances in ${dir} ...`);
  await generateDicoms({ ...options, out: partial });
  await rename(partial, dir);
  console.log(`  generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const files = (await readdir(dir)).filter((name) => name.endsWith('.dcm')).sort();
  return files.map((name) => join(dir, name));
}

// Why: one small JSON GET helper for /system and /statistics.
async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url} -> HTTP ${res.status}: ${body.slice(0, 200)}`);
  return JSON.parse(body) as unknown;
}

// Why: every run ends by asking the target itself how many instances it holds.
async function countInstances(orthanc: RunningOrthanc): Promise<number> {
  const stats = (await getJson(`${orthanc.url}/statistics`)) as Record<string, unknown>;
  const count = stats['CountInstances'];
  return typeof count === 'number' ? count : Number.NaN;
}

// Why: setup uploads need a raw POST with Content-Length and no `Expect: 100-continue`.
function postDicom(port: number, body: Buffer, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolvePost, reject) => {
    const headers = { 'Content-Type': 'application/dicom', 'Content-Length': body.length };
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

// Why: the source must be a real compressed Orthanc storage (with its pixel-data caches), built once.
async function ensureStorage(work: string, originals: readonly string[]): Promise<string> {
  const dir = join(work, `storage-${originals.length}`);
  if (await exists(dir)) return dir;
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const started = Date.now();
  console.log(`building the compressed source storage in ${dir} (setup, not timed) ...`);
  const orthanc = await startOrthanc({ storageDir: partial, compression: true });
  const agent = new Agent({ keepAlive: true, maxSockets: SETUP_PARALLEL });
  try {
    let next = 0;
    const uploader = async (): Promise<void> => {
      for (let k = next++; k < originals.length; k = next++) {
        const file = originals[k];
        if (file === undefined) return;
        const { status, body } = await postDicom(orthanc.port, await readFile(file), agent);
        if (status !== 200) throw new Error(`setup upload of ${file} -> HTTP ${status}: ${body.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: SETUP_PARALLEL }, uploader));
    const count = await countInstances(orthanc);
    if (count !== originals.length) throw new Error(`source storage holds ${count} instances, expected ${originals.length}`);
  } finally {
    agent.destroy();
    await orthanc.stop();
    await rm(orthanc.runDir, { recursive: true, force: true });
  }
  await rename(partial, dir);
  console.log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

// Why: CPU use of Orthanc (and of reaped children) tells where the wall-clock time goes.
function procTimes(pid: number | 'self'): { cpu: number; children: number } {
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

// Why: every figure is the CLI process from spawn to exit, with its peak RSS sampled every 50 ms.
async function runCli(args: readonly string[], env: NodeJS.ProcessEnv, capSeconds?: number): Promise<CliRun> {
  const childrenBefore = procTimes('self').children;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const pid = child.pid;
  let peakKiB = 0;
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const sample = (): void => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) peakKiB = Math.max(peakKiB, readPeakKiB(pid));
  };
  sample();
  const poller = setInterval(sample, RSS_POLL_MS);
  let capped = false;
  const cap =
    capSeconds === undefined
      ? undefined
      : setTimeout(() => {
          capped = true;
          if (pid !== undefined) process.kill(pid, 'SIGINT');
        }, capSeconds * 1000);
  const { code, signal, ended } = await new Promise<{ code: number | null; signal: string | null; ended: bigint }>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, exitSignal) => {
      resolveExit({ code: exitCode, signal: exitSignal, ended: process.hrtime.bigint() });
    });
  });
  clearInterval(poller);
  if (cap !== undefined) clearTimeout(cap);
  const seconds = Number(ended - started) / 1e9;
  const clientCpuSeconds = procTimes('self').children - childrenBefore;
  await new Promise<void>((resolveClose) => {
    if (child.stdout.readableEnded && child.stderr.readableEnded) resolveClose();
    else child.once('close', () => { resolveClose(); });
  });
  return { code, signal, seconds, output, peakKiB: peakKiB === 0 ? Number.NaN : peakKiB, clientCpuSeconds, capped };
}

// Why: the JSON report is the CLI's own account of what it did; checks read it, not stdout.
async function readSummary(path: string, problems: string[]): Promise<Summary> {
  try {
    const report = JSON.parse(await readFile(path, 'utf8')) as { summary?: Summary };
    return report.summary ?? {};
  } catch (err) {
    problems.push(`report unreadable: ${err instanceof Error ? err.message : String(err)}`);
    return {};
  }
}

// Why: each round's A needs its own empty, default (uncompressed) target; B and C reuse it.
async function freshTarget(work: string, name: string): Promise<RunningOrthanc> {
  const storageDir = join(work, 'targets', name);
  await rm(storageDir, { recursive: true, force: true });
  await mkdir(storageDir, { recursive: true });
  return startOrthanc({ storageDir });
}

// Why: a target is removed with its storage so the work dir does not fill up round after round.
async function dropTarget(orthanc: RunningOrthanc): Promise<void> {
  await orthanc.stop();
  await rm(orthanc.runDir, { recursive: true, force: true });
  await rm(orthanc.storageDir, { recursive: true, force: true });
}

interface Context {
  work: string;
  storage: string;
  instances: number;
  journal: string;
  env: NodeJS.ProcessEnv;
}

// Why: A, B and C differ only in their flags and in what the report must say afterwards.
async function runKind(ctx: Context, round: number, kind: Kind, target: RunningOrthanc, extra: readonly string[] = []): Promise<RunResult> {
  const reportPath = join(ctx.work, 'reports', `round-${round}-${kind}${extra.length > 0 ? '-variant' : ''}.json`);
  await rm(reportPath, { force: true });
  const args = [ctx.storage, target.url, '--quiet', '--journal', ctx.journal, '--report', reportPath, ...(kind === 'B' ? [] : ['--restart']), ...extra];
  const orthancBefore = procTimes(target.pid).cpu;
  const run = await runCli(args, ctx.env);
  const orthancCpuSeconds = procTimes(target.pid).cpu - orthancBefore;
  const problems: string[] = [];
  if (run.code !== 0) problems.push(`exit code ${String(run.code)} ${String(run.signal)}: ${run.output.trim().slice(-600)}`);
  const summary = await readSummary(reportPath, problems);
  const n = ctx.instances;
  if (summary.exitCode !== 0) problems.push(`report exitCode ${String(summary.exitCode)}`);
  if (summary.instances !== n) problems.push(`report says ${String(summary.instances)} instances, expected ${n}`);
  if (kind === 'A' && summary.statuses?.['Success'] !== n) problems.push(`statuses ${JSON.stringify(summary.statuses)}, expected ${n} Success`);
  if (kind === 'B' && !((summary.resumed ?? 0) >= n)) problems.push(`resumed ${String(summary.resumed)}, expected >= ${n}`);
  if (kind === 'C' && summary.alreadyOnTarget !== n) problems.push(`alreadyOnTarget ${String(summary.alreadyOnTarget)}, expected ${n}`);
  const count = await countInstances(target);
  if (count !== n) problems.push(`target holds ${count} instances`);
  return {
    round,
    kind,
    ok: problems.length === 0,
    problems,
    seconds: run.seconds,
    peakMiB: run.peakKiB / 1024,
    clientCpuSeconds: run.clientCpuSeconds,
    orthancCpuSeconds,
    resumed: summary.resumed ?? 0,
    alreadyOnTarget: summary.alreadyOnTarget ?? 0,
  };
}

// Why: a failed run must never disappear from the table; it is shown with its reason.
function failedResult(round: number, kind: Kind, err: unknown): RunResult {
  const problem = err instanceof Error ? err.message : String(err);
  return { round, kind, ok: false, problems: [problem], seconds: Number.NaN, peakMiB: Number.NaN, clientCpuSeconds: Number.NaN, orthancCpuSeconds: Number.NaN, resumed: 0, alreadyOnTarget: 0 };
}

// Why: one line per run as it finishes, so a long benchmark shows it is alive.
function logRun(r: RunResult): void {
  const extra = r.kind === 'B' ? ` resumed ${r.resumed}` : r.kind === 'C' ? ` alreadyOnTarget ${r.alreadyOnTarget}` : '';
  console.log(`  round ${r.round} ${r.kind}: ${r.ok ? 'ok' : 'FAILED'} ${r.seconds.toFixed(2)} s, peak RSS ${r.peakMiB.toFixed(0)} MiB${extra}${r.ok ? '' : ` (${r.problems.join('; ')})`}`);
}

// Why: the issue asks for medians, robust to one noisy run.
function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  if (sorted.length % 2 === 1) return hi;
  return ((sorted[mid - 1] ?? Number.NaN) + hi) / 2;
}

// Why: one place decides how a row of the table looks.
function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells
    .map((cell, k) => {
      const text = typeof cell === 'number' ? cell.toFixed(cell >= 100 ? 0 : 2) : cell;
      return k < 2 ? text.padEnd(widths[k] ?? 0) : text.padStart(widths[k] ?? 0);
    })
    .join('  ');
}

// Why: junk must be varied and deterministic (same tree every time), and cheap to write.
function junkContent(i: number): string | Buffer {
  switch (i % 4) {
    case 0:
      return '';
    case 1:
      return `note ${i}\n`;
    case 2:
      return JSON.stringify({ index: i, kind: 'junk' });
    default: {
      const bytes = Buffer.alloc(64 + (i % 512));
      for (let k = 0; k < bytes.length; k++) bytes[k] = (i * 31 + k * 17) & 0xff;
      return bytes;
    }
  }
}

// Why: 100,000 distinct DICOM files are slow to generate; hard links of 1,000 small ones, nested
// 100 to a folder, with one junk file in ten, make a large realistic tree in seconds.
async function ensureTree(work: string, files: number, seeds: readonly string[]): Promise<{ dir: string; dicom: number }> {
  const dir = join(work, `tree-${files}`);
  const dicom = files - Math.floor(files / JUNK_EVERY);
  if (await exists(dir)) return { dir, dicom };
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  const started = Date.now();
  console.log(`building a tree of ${files} small files in ${dir} ...`);
  for (let i = 0; i < files; i++) {
    const leaf = join(partial, `p${String(Math.floor(i / 10_000)).padStart(2, '0')}`, `s${String(Math.floor(i / FILES_PER_DIR) % 100).padStart(2, '0')}`);
    if (i % FILES_PER_DIR === 0) await mkdir(leaf, { recursive: true });
    if (i % JUNK_EVERY === JUNK_EVERY - 1) {
      await writeFile(join(leaf, `junk-${i}${i % 3 === 0 ? '.txt' : ''}`), junkContent(i));
    } else {
      const seed = seeds[(i - Math.floor(i / JUNK_EVERY)) % seeds.length];
      if (seed === undefined) throw new Error('no seed files');
      await link(seed, join(leaf, i % 2 === 0 ? `IM${i}.dcm` : `IM${i}`));
    }
  }
  await rename(partial, dir);
  console.log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s (${dicom} DICOM hard links, ${files - dicom} junk)`);
  return { dir, dicom };
}

// Why: the memory figure must be the CLI's real peak on a big tree, inventory and import alike.
async function runTree(ctx: Context, label: string, tree: { dir: string; dicom: number }, files: number, target: RunningOrthanc | undefined, capSeconds?: number): Promise<TreeResult> {
  const reportPath = join(ctx.work, 'reports', `tree-${label.replace(/\W+/g, '-')}.json`);
  await rm(reportPath, { force: true });
  const args = [tree.dir, ...(target === undefined ? [] : [target.url, '--journal', join(ctx.work, 'tree-journal.sqlite'), '--restart']), '--quiet', '--report', reportPath];
  const run = await runCli(args, ctx.env, capSeconds);
  const problems: string[] = [];
  const summary = await readSummary(reportPath, problems);
  const filesDone = Object.values(summary.classes ?? {}).reduce((sum, c) => sum + c.files, 0);
  if (!run.capped) {
    if (run.code !== 0) problems.push(`exit code ${String(run.code)} ${String(run.signal)}: ${run.output.trim().slice(-600)}`);
    if (filesDone !== files) problems.push(`report counts ${filesDone} files, expected ${files}`);
    if (summary.classes?.['dicom']?.files !== tree.dicom) problems.push(`report counts ${String(summary.classes?.['dicom']?.files)} DICOM files, expected ${tree.dicom}`);
  }
  if (target !== undefined && !run.capped) {
    const count = await countInstances(target);
    const expected = Math.min(TREE_SEEDS, tree.dicom);
    if (count !== expected) problems.push(`target holds ${count} instances, expected ${expected}`);
  }
  return { label, files, filesDone, ok: problems.length === 0, problems, seconds: run.seconds, peakMiB: run.peakKiB / 1024, capped: run.capped };
}

interface Diagnostics {
  nodeStart: number;
  cliVersion: number;
  listing: number;
  walkSerial: number;
  walkParallel: number;
  directories: number;
}

// Why: a resumed run still lists the whole storage (Orthanc spreads 20,000 files over up to 65,536
// xx/yy folders); one directory at a time against many in flight shows what the walk must cost.
async function timeWalks(root: string): Promise<{ serial: number; parallel: number; directories: number }> {
  let directories = 0;
  const serialWalk = async (dir: string): Promise<void> => {
    directories++;
    for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory()) await serialWalk(join(dir, entry.name));
  };
  let started = process.hrtime.bigint();
  await serialWalk(root);
  const serial = Number(process.hrtime.bigint() - started) / 1e9;
  started = process.hrtime.bigint();
  await new Promise<void>((resolveWalk, reject) => {
    const pending = [root];
    let active = 0;
    const pump = (): void => {
      while (active < WALK_PARALLEL) {
        const parent = pending.pop();
        if (parent === undefined) return;
        active++;
        readdir(parent, { withFileTypes: true }).then((entries) => {
          for (const entry of entries) if (entry.isDirectory()) pending.push(join(parent, entry.name));
          active--;
          if (active === 0 && pending.length === 0) resolveWalk();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  const parallel = Number(process.hrtime.bigint() - started) / 1e9;
  return { serial, parallel, directories };
}

// Why: when a ratio is missed, the fixed costs (Node start, CLI start) and the target listing
// alone say where a second run's time goes.
async function diagnostics(ctx: Context, target: RunningOrthanc): Promise<Diagnostics> {
  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  const bare = async (args: readonly string[]): Promise<void> => {
    await new Promise<void>((resolveExit, reject) => {
      const child = spawn(process.execPath, args, { stdio: 'ignore', env: ctx.env });
      child.once('error', reject);
      child.once('exit', () => { resolveExit(); });
    });
  };
  const listing = async (): Promise<number> => {
    let total = 0;
    for (let since = 0; ; since += 1000) {
      const page = await getJson(`${target.url}/instances?expand&since=${since}&limit=1000`);
      const items = Array.isArray(page) ? page.length : 0;
      total += items;
      if (items < 1000) return total;
    }
  };
  const nodeStart: number[] = [];
  const cliVersion: number[] = [];
  const listings: number[] = [];
  let listed = 0;
  for (let k = 0; k < 3; k++) {
    nodeStart.push(await time(() => bare(['-e', '0'])));
    cliVersion.push(await time(() => bare([CLI, '--version'])));
    listings.push(await time(async () => (listed = await listing())));
  }
  if (listed !== ctx.instances) console.warn(`WARNING: the listing returned ${listed} instances, expected ${ctx.instances}`);
  const walks = [await timeWalks(ctx.storage), await timeWalks(ctx.storage), await timeWalks(ctx.storage)];
  return {
    nodeStart: median(nodeStart),
    cliVersion: median(cliVersion),
    listing: median(listings),
    walkSerial: median(walks.map((w) => w.serial)),
    walkParallel: median(walks.map((w) => w.parallel)),
    directories: walks[0]?.directories ?? 0,
  };
}

// Why: entry point: prepare data once, then rounds of A, B, C; then the memory runs on big trees.
async function main(): Promise<number> {
  const t0 = Date.now();
  const options = parseOptions(process.argv.slice(2));
  const n = options.instances;
  await mkdir(join(options.work, 'reports'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: join(options.work, 'state') };
  const originals = await ensureGenerated(join(options.work, `originals-${n}`), { out: '', count: n, ...GENERATE });
  let bytes = 0;
  for (const file of originals) bytes += (await stat(file)).size;
  console.log(`originals: ${originals.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
  const storage = await ensureStorage(options.work, originals);
  const ctx: Context = { work: options.work, storage, instances: n, journal: join(options.work, 'journal.sqlite'), env };

  const probe = await freshTarget(options.work, 'probe');
  const version = String(((await getJson(`${probe.url}/system`)) as Record<string, unknown>)['Version']);
  await dropTarget(probe);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, orthanc: version, loadAverage1m: loadavg()[0] ?? 0 };
  console.log(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, node ${machine.node}, Orthanc ${machine.orthanc}, load average ${machine.loadAverage1m.toFixed(2)}`);
  console.log(`source: ${storage} (compressed Orthanc storage with its index, ${n} instances)`);
  console.log(`command: node dist/src/cli.js ${storage} <target> --quiet --journal ${ctx.journal} --report <file> [--restart]  (defaults: --concurrency ${DEFAULT_CONCURRENCY} --workers ${defaultWorkers()})`);
  for (const kind of ['A', 'B', 'C'] as const) console.log(`  ${kind}: ${LABELS[kind]}`);

  const results: RunResult[] = [];
  let target: RunningOrthanc | undefined;
  let withA = true;
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const roundStarted = Date.now();
      const order: Kind[] = [...(withA ? (['A'] as const) : []), ...(round % 2 === 1 ? (['B', 'C'] as const) : (['C', 'B'] as const))];
      for (const kind of order) {
        let result: RunResult;
        try {
          if (kind === 'A') {
            if (target !== undefined) await dropTarget(target);
            target = undefined;
            target = await freshTarget(options.work, `round-${round}`);
          }
          if (target === undefined) throw new Error('no target: run A failed to start one');
          result = await runKind(ctx, round, kind, target);
        } catch (err) {
          result = failedResult(round, kind, err);
        }
        results.push(result);
        logRun(result);
      }
      if (round === 1 && options.rounds > 1) {
        const projected = (Date.now() - t0) / 1000 + ((options.rounds - 1) * (Date.now() - roundStarted)) / 1000;
        withA = projected <= A_BUDGET_SECONDS;
        console.log(`  (rounds 2..${options.rounds} ${withA ? 'run A again' : `run B and C only: with A the whole run would take about ${projected.toFixed(0)} s`})`);
      }
    }

    let diag: Diagnostics | undefined;
    const variant: RunResult[] = [];
    if (target !== undefined) {
      diag = await diagnostics(ctx, target);
      // B without the listing (--no-skip-existing): what the journal alone costs.
      for (let k = 1; k <= 3; k++) {
        try {
          variant.push(await runKind(ctx, k, 'B', target, ['--no-skip-existing']));
        } catch (err) {
          variant.push(failedResult(k, 'B', err));
        }
      }
      await dropTarget(target);
      target = undefined;
    }

    // Table of the resume runs.
    const widths = [7, 4, 8, 9, 11, 12] as const;
    const lines = [row(['round', 'run', 'seconds', 'peak MiB', 'client CPU', 'Orthanc CPU'], widths)];
    for (const r of results) lines.push(row([String(r.round), r.kind, r.seconds, r.peakMiB, r.clientCpuSeconds, r.orthancCpuSeconds], widths));
    const medians: Record<Kind, number> = { A: Number.NaN, B: Number.NaN, C: Number.NaN };
    for (const kind of ['A', 'B', 'C'] as const) {
      const mine = results.filter((r) => r.kind === kind && r.ok);
      medians[kind] = median(mine.map((r) => r.seconds));
      lines.push(row([`median`, kind, medians[kind], median(mine.map((r) => r.peakMiB)), median(mine.map((r) => r.clientCpuSeconds)), median(mine.map((r) => r.orthancCpuSeconds))], widths));
    }
    const ratioB = medians.A / medians.B;
    const ratioC = medians.A / medians.C;
    console.log('');
    console.log(`resume: ${n} instances (${(bytes / 1e6).toFixed(1)} MB of DICOM), runs: A ${results.filter((r) => r.kind === 'A').length}, B ${results.filter((r) => r.kind === 'B').length}, C ${results.filter((r) => r.kind === 'C').length}`);
    console.log(lines.join('\n'));
    console.log('');
    console.log(`A/B (with the journal):    ${ratioB.toFixed(1)}x  (target >= ${TARGET_B}x: ${ratioB >= TARGET_B ? 'PASS' : 'NOT met'})`);
    console.log(`A/C (without the journal): ${ratioC.toFixed(1)}x  (target >= ${TARGET_C}x: ${ratioC >= TARGET_C ? 'PASS' : 'NOT met'})`);
    const variantSeconds = median(variant.filter((r) => r.ok).map((r) => r.seconds));
    if (diag !== undefined) {
      console.log('where a second run goes (medians of 3):');
      console.log(`  node -e 0: ${diag.nodeStart.toFixed(2)} s; cli --version: ${diag.cliVersion.toFixed(2)} s; GET /instances?expand of ${n} instances (pages of 1000): ${diag.listing.toFixed(2)} s`);
      console.log(`  listing the storage's ${diag.directories} directories in this process: one at a time ${diag.walkSerial.toFixed(2)} s, ${WALK_PARALLEL} in flight ${diag.walkParallel.toFixed(2)} s`);
      console.log(`  B with --no-skip-existing (journal only, no listing): ${variantSeconds.toFixed(2)} s -> A/B ${(medians.A / variantSeconds).toFixed(1)}x${variant.some((r) => !r.ok) ? ` (FAILED: ${variant.flatMap((r) => r.problems).join('; ')})` : ''}`);
    }

    // Peak RSS on big trees.
    console.log('');
    const seeds = await ensureGenerated(join(options.work, 'tree-seeds'), { out: '', ...TREE_GENERATE });
    const small = Math.min(10_000, options.treeFiles);
    const bigTree = await ensureTree(options.work, options.treeFiles, seeds);
    const smallTree = small === options.treeFiles ? bigTree : await ensureTree(options.work, small, seeds);
    const trees: TreeResult[] = [];
    trees.push(await runTree(ctx, `inventory ${small}`, smallTree, small, undefined));
    if (small !== options.treeFiles) trees.push(await runTree(ctx, `inventory ${options.treeFiles}`, bigTree, options.treeFiles, undefined));
    const treeTarget = await freshTarget(options.work, 'tree');
    try {
      trees.push(await runTree(ctx, `import ${options.treeFiles}`, bigTree, options.treeFiles, treeTarget, options.treeImportCap));
    } finally {
      await dropTarget(treeTarget);
    }
    console.log(`peak RSS of the CLI process (VmHWM incl. worker threads, sampled every ${RSS_POLL_MS} ms); trees: ${JUNK_EVERY - 1} in ${JUNK_EVERY} files are hard links of ${TREE_SEEDS} small DICOM files, the rest junk`);
    const treeWidths = [18, 9, 8, 9] as const;
    console.log(row(['run', 'files', 'seconds', 'peak MiB'], treeWidths));
    for (const t of trees) {
      const note = t.capped ? `  (stopped by SIGINT at the ${options.treeImportCap} s cap after ${t.filesDone} files)` : t.ok ? '' : `  FAILED: ${t.problems.join('; ')}`;
      console.log(`${row([t.label, String(t.files), t.seconds, t.peakMiB], treeWidths)}${note}`);
    }
    console.log(`total benchmark time: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const failed = [...results, ...variant].filter((r) => !r.ok).length + trees.filter((t) => !t.ok).length;
    if (options.json !== undefined) {
      const raw = { machine, instances: n, bytes, generate: GENERATE, labels: LABELS, results, medians, ratios: { AB: ratioB, AC: ratioC }, targets: { AB: TARGET_B, AC: TARGET_C }, diagnostics: { ...diag, noSkipExisting: variant }, trees, failed };
      await writeFile(options.json, `${JSON.stringify(raw, null, 2)}\n`);
    }
    if (failed > 0) {
      console.error(`${failed} run(s) failed their checks`);
      return 1;
    }
    return 0;
  } finally {
    if (target !== undefined) await dropTarget(target);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
