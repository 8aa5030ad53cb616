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
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunningOrthanc } from '../fixtures/orthanc-process.js';
import { DEFAULT_CONCURRENCY, defaultWorkers } from '../src/core/options.js';
import { parseEndpoint } from '../src/targets/http/endpoint.js';
import { Uploader } from '../src/targets/orthanc/upload.js';
import { storageWalk } from '../src/sources/orthanc-storage/storage-walk.js';
import { fingerprintSource, stampIndex } from '../src/sources/orthanc-storage/unchanged.js';
import {
  buildCompressedStorage,
  buildOnce,
  CLI,
  countInstances,
  describeMachine,
  dropTarget,
  ensureGenerated,
  errorMessage,
  freshTarget,
  getJson,
  machineInfo,
  medianOfKnown,
  orthancVersion,
  positiveInt,
  readSummary,
  row,
  RSS_POLL_MS,
  runCli,
  runMain,
  totalBytes,
} from './common.js';

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
/** Rounds 2.. run A again only if the whole run is projected to stay under this. */
const A_BUDGET_SECONDS = 600;
/** Ways to list the target besides the tool's own (src/upload.ts); each is timed 3 times. */
const LISTING_VARIANTS = [
  { label: 'pages of 10000, one at a time', size: 10_000, inFlight: 1 },
  { label: 'pages of 5000, two at a time', size: 5000, inFlight: 2 },
  { label: 'pages of 1000, one at a time', size: 1000, inFlight: 1 },
] as const;
const TOOL_LISTING = "the tool's (pages of 1000 doubling to 10000, two asked ahead)";
const TARGET_B = 50;
const TARGET_C = 20;
/** Timeout of the JSON GETs to Orthanc (/system, /statistics, /instances pages). */
const HTTP_TIMEOUT_MS = 120_000;

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
  return {
    work: resolve(values.work),
    instances: positiveInt('instances', values.instances) ?? 10_000,
    treeFiles: positiveInt('tree-files', values['tree-files']) ?? 100_000,
    rounds: positiveInt('rounds', values.rounds) ?? 3,
    treeImportCap: positiveInt('tree-import-cap', values['tree-import-cap']) ?? 180,
    json: values.json,
  };
}

// Why: the source must be a real compressed Orthanc storage (with its pixel-data caches), built once.
async function ensureStorage(work: string, originals: readonly string[]): Promise<string> {
  const dir = join(work, `storage-${originals.length}`);
  const seconds = await buildOnce(dir, async (partial) => {
    console.log(`building the compressed source storage in ${dir} (setup, not timed) ...`);
    await buildCompressedStorage(partial, originals, originals.length, HTTP_TIMEOUT_MS);
  });
  if (seconds !== undefined) console.log(`  built in ${seconds.toFixed(1)} s`);
  return dir;
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
  const run = await runCli(args, { env: ctx.env, samplePeak: true, orthanc: target });
  const problems: string[] = [];
  if (run.code !== 0) problems.push(`exit code ${String(run.code)} ${String(run.signal)}: ${run.output.trim().slice(-600)}`);
  const summary = await readSummary(reportPath, problems);
  const n = ctx.instances;
  if (summary.exitCode !== 0) problems.push(`report exitCode ${String(summary.exitCode)}`);
  if (summary.instances !== n) problems.push(`report says ${String(summary.instances)} instances, expected ${n}`);
  if (kind === 'A' && summary.statuses?.['stored'] !== n) problems.push(`statuses ${JSON.stringify(summary.statuses)}, expected ${n} stored`);
  if (kind === 'B' && !((summary.resumed ?? 0) >= n)) problems.push(`resumed ${String(summary.resumed)}, expected >= ${n}`);
  if (kind === 'C' && summary.alreadyOnTarget !== n) problems.push(`alreadyOnTarget ${String(summary.alreadyOnTarget)}, expected ${n}`);
  const count = await countInstances(target, HTTP_TIMEOUT_MS);
  if (count !== n) problems.push(`target holds ${count} instances`);
  return {
    round,
    kind,
    ok: problems.length === 0,
    problems,
    seconds: run.seconds,
    peakMiB: run.peakKiB / 1024,
    clientCpuSeconds: run.clientCpuSeconds,
    orthancCpuSeconds: run.orthancCpuSeconds,
    resumed: summary.resumed ?? 0,
    alreadyOnTarget: summary.alreadyOnTarget ?? 0,
  };
}

// Why: a failed run must never disappear from the table; it is shown with its reason.
function failedResult(round: number, kind: Kind, err: unknown): RunResult {
  return { round, kind, ok: false, problems: [errorMessage(err)], seconds: Number.NaN, peakMiB: Number.NaN, clientCpuSeconds: Number.NaN, orthancCpuSeconds: Number.NaN, resumed: 0, alreadyOnTarget: 0 };
}

// Why: one line per run as it finishes, so a long benchmark shows it is alive.
function logRun(r: RunResult): void {
  const extra = r.kind === 'B' ? ` resumed ${r.resumed}` : r.kind === 'C' ? ` alreadyOnTarget ${r.alreadyOnTarget}` : '';
  console.log(`  round ${r.round} ${r.kind}: ${r.ok ? 'ok' : 'FAILED'} ${r.seconds.toFixed(2)} s, peak RSS ${r.peakMiB.toFixed(0)} MiB${extra}${r.ok ? '' : ` (${r.problems.join('; ')})`}`);
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

// Why: generation takes a while: it is done once per work dir and instance count, and timed.
async function ensureGeneratedTimed(dir: string, options: Parameters<typeof ensureGenerated>[1]): Promise<string[]> {
  const { files, seconds } = await ensureGenerated(dir, options);
  if (seconds !== undefined) console.log(`  generated in ${seconds.toFixed(1)} s`);
  return files;
}

// Why: 100,000 distinct DICOM files are slow to generate; hard links of 1,000 small ones, nested
// 100 to a folder, with one junk file in ten, make a large realistic tree in seconds.
async function ensureTree(work: string, files: number, seeds: readonly string[]): Promise<{ dir: string; dicom: number }> {
  const dir = join(work, `tree-${files}`);
  const dicom = files - Math.floor(files / JUNK_EVERY);
  const seconds = await buildOnce(dir, async (partial) => {
    console.log(`building a tree of ${files} small files in ${dir} ...`);
    await writeTree(partial, files, seeds);
  });
  if (seconds !== undefined) console.log(`  built in ${seconds.toFixed(1)} s (${dicom} DICOM hard links, ${files - dicom} junk)`);
  return { dir, dicom };
}

// Why: the tree's layout: p00/s00, p00/s01, ... with FILES_PER_DIR files each, one in JUNK_EVERY junk.
async function writeTree(partial: string, files: number, seeds: readonly string[]): Promise<void> {
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
}

// Why: the memory figure must be the CLI's real peak on a big tree, inventory and import alike.
async function runTree(ctx: Context, label: string, tree: { dir: string; dicom: number }, files: number, target: RunningOrthanc | undefined, capSeconds?: number): Promise<TreeResult> {
  const reportPath = join(ctx.work, 'reports', `tree-${label.replace(/\W+/g, '-')}.json`);
  await rm(reportPath, { force: true });
  const args = [tree.dir, ...(target === undefined ? [] : [target.url, '--journal', join(ctx.work, 'tree-journal.sqlite'), '--restart']), '--quiet', '--report', reportPath];
  const run = await runCli(args, { env: ctx.env, capSeconds, samplePeak: true });
  const problems: string[] = [];
  const summary = await readSummary(reportPath, problems);
  const filesDone = Object.values(summary.classes ?? {}).reduce((sum, c) => sum + c.files, 0);
  if (!run.capped) {
    if (run.code !== 0) problems.push(`exit code ${String(run.code)} ${String(run.signal)}: ${run.output.trim().slice(-600)}`);
    if (filesDone !== files) problems.push(`report counts ${filesDone} files, expected ${files}`);
    if (summary.classes?.['dicom']?.files !== tree.dicom) problems.push(`report counts ${String(summary.classes?.['dicom']?.files)} DICOM files, expected ${tree.dicom}`);
  }
  if (target !== undefined && !run.capped) {
    const count = await countInstances(target, HTTP_TIMEOUT_MS);
    const expected = Math.min(TREE_SEEDS, tree.dicom);
    if (count !== expected) problems.push(`target holds ${count} instances, expected ${expected}`);
  }
  return { label, files, filesDone, ok: problems.length === 0, problems, seconds: run.seconds, peakMiB: run.peakKiB / 1024, capped: run.capped };
}

interface Diagnostics {
  nodeStart: number;
  cliVersion: number;
  listing: number;
  /** The same listing in other page sizes (what chose the tool's). */
  listingVariants: { label: string; seconds: number }[];
  /** The tool's own storage walk (the walker thread's work, here in this thread). */
  walk: number;
  /** The tool's fingerprint of the storage (what a run over an unchanged storage pays). */
  fingerprint: number;
  files: number;
}

// Why: a run that reads the storage walks all of it (Orthanc spreads 20,000 files over up to
// 65,536 xx/yy folders), and one answered from the journal still reads every folder's metadata.
async function timeStorage(root: string): Promise<{ walk: number; fingerprint: number; files: number }> {
  let files = 0;
  let started = process.hrtime.bigint();
  for await (const batch of storageWalk(root)) files += batch.length;
  const walk = Number(process.hrtime.bigint() - started) / 1e9;
  started = process.hrtime.bigint();
  await fingerprintSource(root, stampIndex(root, join(root, 'index'), 'bench'));
  const fingerprint = Number(process.hrtime.bigint() - started) / 1e9;
  return { walk, fingerprint, files };
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
  // All instances in pages of `size`, `inFlight` pages at a time (the tool: 10,000, one at a time).
  const listing = async (size: number, inFlight: number): Promise<number> => {
    let total = 0;
    for (let since = 0; ; since += size * inFlight) {
      const pages = await Promise.all(
        Array.from({ length: inFlight }, (_, k) => getJson(`${target.url}/instances?expand&since=${since + k * size}&limit=${size}`, HTTP_TIMEOUT_MS)),
      );
      const counts = pages.map((page) => (Array.isArray(page) ? page.length : 0));
      total += counts.reduce((sum, count) => sum + count, 0);
      if (counts.some((count) => count < size)) return total;
    }
  };
  const nodeStart: number[] = [];
  const cliVersion: number[] = [];
  // The tool's own listing, through its uploader (nothing is uploaded).
  const toolListing = async (): Promise<number> => {
    const uploader = new Uploader(parseEndpoint(target.url, {}), { concurrency: 1, retries: 0, retryDelayMs: 100, retryTimeoutMs: HTTP_TIMEOUT_MS }, 1);
    try {
      let total = 0;
      for await (const page of uploader.listInstances()) total += page.length;
      return total;
    } finally {
      await uploader.close();
    }
  };
  const listings = new Map([TOOL_LISTING, ...LISTING_VARIANTS.map((variant) => variant.label)].map((label) => [label, [] as number[]]));
  let listed = 0;
  for (let k = 0; k < 3; k++) {
    nodeStart.push(await time(() => bare(['-e', '0'])));
    cliVersion.push(await time(() => bare([CLI, '--version'])));
    listings.get(TOOL_LISTING)?.push(await time(async () => (listed = await toolListing())));
    for (const { label, size, inFlight } of LISTING_VARIANTS) listings.get(label)?.push(await time(() => listing(size, inFlight)));
  }
  if (listed !== ctx.instances) console.warn(`WARNING: the listing returned ${listed} instances, expected ${ctx.instances}`);
  const storage = [await timeStorage(ctx.storage), await timeStorage(ctx.storage), await timeStorage(ctx.storage)];
  return {
    nodeStart: medianOfKnown(nodeStart),
    cliVersion: medianOfKnown(cliVersion),
    listing: medianOfKnown(listings.get(TOOL_LISTING) ?? []),
    listingVariants: LISTING_VARIANTS.map(({ label }) => ({ label, seconds: medianOfKnown(listings.get(label) ?? []) })),
    walk: medianOfKnown(storage.map((s) => s.walk)),
    fingerprint: medianOfKnown(storage.map((s) => s.fingerprint)),
    files: storage[0]?.files ?? 0,
  };
}

// Why: entry point: prepare data once, then rounds of A, B, C; then the memory runs on big trees.
async function main(): Promise<number> {
  const t0 = Date.now();
  const options = parseOptions(process.argv.slice(2));
  const n = options.instances;
  await mkdir(join(options.work, 'reports'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: join(options.work, 'state') };
  const originals = await ensureGeneratedTimed(join(options.work, `originals-${n}`), { out: '', count: n, ...GENERATE });
  const bytes = await totalBytes(originals);
  console.log(`originals: ${originals.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
  const storage = await ensureStorage(options.work, originals);
  const ctx: Context = { work: options.work, storage, instances: n, journal: join(options.work, 'journal.sqlite'), env };

  const probe = await freshTarget(options.work, 'probe');
  const version = await orthancVersion(probe, HTTP_TIMEOUT_MS);
  await dropTarget(probe);
  const machine = machineInfo(version);
  console.log(describeMachine(machine));
  console.log(`source: ${storage} (compressed Orthanc storage with its index, ${n} instances)`);
  console.log(`command: node dist/src/cli/main.js ${storage} <target> --quiet --journal ${ctx.journal} --report <file> [--restart]  (defaults: --concurrency ${DEFAULT_CONCURRENCY} --workers ${defaultWorkers(true)})`);
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
      medians[kind] = medianOfKnown(mine.map((r) => r.seconds));
      lines.push(row([`median`, kind, medians[kind], medianOfKnown(mine.map((r) => r.peakMiB)), medianOfKnown(mine.map((r) => r.clientCpuSeconds)), medianOfKnown(mine.map((r) => r.orthancCpuSeconds))], widths));
    }
    const ratioB = medians.A / medians.B;
    const ratioC = medians.A / medians.C;
    console.log('');
    console.log(`resume: ${n} instances (${(bytes / 1e6).toFixed(1)} MB of DICOM), runs: A ${results.filter((r) => r.kind === 'A').length}, B ${results.filter((r) => r.kind === 'B').length}, C ${results.filter((r) => r.kind === 'C').length}`);
    console.log(lines.join('\n'));
    console.log('');
    console.log(`A/B (with the journal):    ${ratioB.toFixed(1)}x  (target >= ${TARGET_B}x: ${ratioB >= TARGET_B ? 'PASS' : 'NOT met'})`);
    console.log(`A/C (without the journal): ${ratioC.toFixed(1)}x  (target >= ${TARGET_C}x: ${ratioC >= TARGET_C ? 'PASS' : 'NOT met'})`);
    const variantSeconds = medianOfKnown(variant.filter((r) => r.ok).map((r) => r.seconds));
    if (diag !== undefined) {
      console.log('where a second run goes (medians of 3):');
      console.log(`  node -e 0: ${diag.nodeStart.toFixed(2)} s; cli --version: ${diag.cliVersion.toFixed(2)} s; GET /instances?expand of ${n} instances, ${TOOL_LISTING}: ${diag.listing.toFixed(2)} s`);
      console.log(`  other listings: ${diag.listingVariants.map((v) => `${v.label} ${v.seconds.toFixed(2)} s`).join('; ')}`);
      console.log(`  the storage's walk (${diag.files} files, the walker thread's work): ${diag.walk.toFixed(2)} s; its fingerprint: ${diag.fingerprint.toFixed(2)} s`);
      console.log(`  B with --no-skip-existing (journal only, no listing): ${variantSeconds.toFixed(2)} s -> A/B ${(medians.A / variantSeconds).toFixed(1)}x${variant.some((r) => !r.ok) ? ` (FAILED: ${variant.flatMap((r) => r.problems).join('; ')})` : ''}`);
    }

    // Peak RSS on big trees.
    console.log('');
    const seeds = await ensureGeneratedTimed(join(options.work, 'tree-seeds'), { out: '', ...TREE_GENERATE });
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

runMain(main);
