// The WAN bench (issue 13): does orthanc-import fill a real network link? For each data set and
// link, in turn: orthanc-import from the compressed storage (the built CLI, default options plus
// --arg), the ImportDicomFiles.py behaviour (bench/import-dicom-files-baseline.py: sequential, a
// new connection per file) and a plain keep-alive client (bench/keepalive-client.ts: 4 in flight,
// the original files, nothing checked) and the floor of a verifying client (bench/floor-client.ts:
// the index, inflate, POST and MD5 read-back in one thread, nothing else), each against a fresh
// target Orthanc, reached directly
// (loopback) or through bench/wan-proxy.ts (RTT/Mbit: one RTT per new connection, the bandwidth
// shared by all connections per direction). Every run checks that its target holds every instance.
//
//   npm run build && node dist/bench/wan-bench.js [--runs 3] [--links loopback,20/200,80/50]
//     [--data noise,ct] [--instances 1000] [--tools orthanc-import,baseline,keepalive,floor]
//     [--arg='--concurrency 16' (orthanc-import's extra words; --arg= since they start with -)]
//     [--work /tmp/orthanc-import-bench]
//
// One cell, fast: node dist/bench/wan-bench.js --runs 1 --instances 200 --links 20/200 --data ct
//
// Data: `noise` is the import bench's 1,000 generated CT instances (its originals and storage are
// reused); `ct` the same instances with CT-like pixels (fixtures/make-dicoms.ts --pixel-data ct,
// zlib about 2.7x), built once in WORK/originals-ct and WORK/storage-ct; another --instances gets
// folders of its own (originals-noise-200, storage-ct-200...). Prints one line per run, then a
// markdown table of the medians: seconds, decoded MB/s (the original files' bytes over the
// seconds), wire MB sent towards the target (what the proxy carried up), the link's share (wire
// MB/s over the link's MB/s), orthanc-import's throughput over each tool's, client and target CPU-s.
// orthanc-import's seconds are its whole process, spawn to exit (start-up and checks included); the
// peers' are their own, first file to last answer, as bench/import-bench.ts counts them.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { RunningOrthanc } from '../fixtures/orthanc-process.js';
import {
  BENCH_DATA,
  BENCH_INSTANCES,
  buildCompressedStorage,
  buildOnce,
  CLI,
  countInstances,
  describeMachine,
  ensureGenerated,
  errorMessage,
  findPythonBaseline,
  machineInfo,
  median,
  orthancVersion,
  positiveInt,
  PYTHON,
  readSummary,
  runCli,
  runMain,
  runUploader,
  totalBytes,
  withTarget,
} from './common.js';
import { startWanProxy, type WanShape } from './wan-proxy.js';

const HTTP_TIMEOUT_MS = 30_000;
const KEEPALIVE_CLIENT = fileURLToPath(new URL('./keepalive-client.js', import.meta.url));
const FLOOR_CLIENT = fileURLToPath(new URL('./floor-client.js', import.meta.url));
const DATA_SETS = ['noise', 'ct'] as const;
type DataSet = (typeof DATA_SETS)[number];
const TOOLS = ['orthanc-import', 'baseline', 'keepalive', 'floor'] as const;
type Tool = (typeof TOOLS)[number];
const LABELS: Record<Tool, string> = {
  'orthanc-import': 'orthanc-import, compressed storage',
  baseline: 'ImportDicomFiles.py behaviour',
  keepalive: 'keep-alive client, 4 in flight, no check',
  floor: 'floor: index, inflate, POST, MD5 read back, one thread',
};

/** A link: the target on loopback, or through the proxy with this shape. */
interface Link {
  readonly name: string;
  readonly shape: WanShape | undefined;
}

interface Options {
  readonly work: string;
  readonly runs: number;
  readonly instances: number;
  readonly links: readonly Link[];
  readonly data: readonly DataSet[];
  readonly tools: readonly Tool[];
  readonly extra: readonly string[];
}

/** A data set ready to send: its original files and the compressed storage built from them. */
interface Prepared {
  readonly name: DataSet;
  readonly originals: string;
  readonly storage: string;
  readonly bytes: number;
}

interface Result {
  readonly data: DataSet;
  readonly link: string;
  readonly tool: Tool;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly seconds: number;
  /** Bytes the proxy carried towards the target; NaN on loopback. */
  readonly wireUp: number;
  readonly clientCpu: number;
  readonly targetCpu: number;
  /** This process's CPU during the run: the proxy's, all but idle otherwise; NaN on loopback. */
  readonly proxyCpu: number;
}

// Why: `--links loopback,20/200` is read strictly: a typo must not measure another link.
const parseLink = (text: string): Link => {
  if (text === 'loopback') return { name: text, shape: undefined };
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const rttMs = Number(match?.[1]);
  const mbit = Number(match?.[2]);
  if (match === null || !(mbit > 0)) throw new Error(`--links takes loopback or RTT_MS/MBIT (e.g. 20/200), got "${text}"`);
  return { name: `${rttMs} ms / ${mbit} Mbit/s`, shape: { rttMs, mbit } };
};

// Why: a list option names only known values, each once.
const parseList = <T extends string>(name: string, text: string, known: readonly T[]): T[] => {
  const items = text.split(',').filter((item) => item !== '');
  for (const item of items) if (!(known as readonly string[]).includes(item)) throw new Error(`--${name} takes ${known.join(',')}, got "${item}"`);
  return [...new Set(items as T[])];
};

// Why: run by hand with a few knobs; typos are refused.
const parseOptions = (argv: string[]): Options => {
  const { values } = parseArgs({
    args: argv,
    options: {
      work: { type: 'string', default: '/tmp/orthanc-import-bench' },
      runs: { type: 'string', default: '3' },
      instances: { type: 'string', default: String(BENCH_INSTANCES) },
      links: { type: 'string', default: 'loopback,20/200,80/50' },
      data: { type: 'string', default: DATA_SETS.join(',') },
      tools: { type: 'string', default: TOOLS.join(',') },
      arg: { type: 'string', multiple: true },
    },
    strict: true,
  });
  return {
    work: resolve(values.work),
    runs: positiveInt('runs', values.runs) ?? 3,
    instances: positiveInt('instances', values.instances) ?? BENCH_INSTANCES,
    links: values.links.split(',').map(parseLink),
    data: parseList('data', values.data, DATA_SETS),
    tools: parseList('tools', values.tools, TOOLS),
    // `--arg='-c 16 --wire-compression gzip'`: the words of each --arg, in order.
    extra: (values.arg ?? []).flatMap((arg) => arg.split(/\s+/).filter((word) => word !== '')),
  };
};

// Why: the attachments' bytes on disk (the index left out) say how much zlib saved.
const storedBytes = async (dir: string): Promise<number> => {
  let sum = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.name.startsWith('index')) sum += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return sum;
};

// Why: generated and stored once per data set and instance count; the import bench's own folders
// are reused for its data set (noise, 1,000 instances).
const prepare = async (name: DataSet, options: Options): Promise<Prepared> => {
  const suffix = name === 'noise' && options.instances === BENCH_INSTANCES ? '' : `-${name}${options.instances === BENCH_INSTANCES ? '' : `-${options.instances}`}`;
  const originals = join(options.work, `originals${suffix}`);
  const storage = join(options.work, `storage${suffix}`);
  const { files } = await ensureGenerated(originals, { ...BENCH_DATA, count: options.instances, pixelData: name });
  await buildOnce(storage, async (partial) => {
    console.log(`building the compressed source storage in ${storage} ...`);
    await buildCompressedStorage(partial, files, options.instances, HTTP_TIMEOUT_MS);
  });
  const bytes = await totalBytes(files);
  const stored = await storedBytes(storage);
  console.log(`${name}: ${files.length} instances, ${(bytes / 1e6).toFixed(1)} MB decoded, attachments stored ${(stored / 1e6).toFixed(1)} MB (${(bytes / stored).toFixed(2)}x)`);
  return { name, originals, storage, bytes };
};

interface Timed {
  seconds: number;
  clientCpu: number;
  targetCpu: number;
}

// Why: orthanc-import as a user runs it, the whole CLI process from spawn to exit; it counts only
// when it exits 0 having stored every instance.
const runImport = async (data: Prepared, target: RunningOrthanc, url: string, options: Options, name: string, problems: string[]): Promise<Timed> => {
  const reports = join(options.work, 'reports');
  await mkdir(reports, { recursive: true });
  const report = join(reports, `${name}.json`);
  const journal = join(reports, `${name}.sqlite`);
  await rm(report, { force: true });
  await rm(journal, { force: true });
  const cli = await runCli([data.storage, url, '--quiet', '--report', report, '--journal', journal, ...options.extra], { orthanc: target });
  if (cli.code !== 0) problems.push(`exit ${String(cli.code)}: ${cli.output.trim().slice(-400)}`);
  const summary = await readSummary(report, problems);
  if (summary.statuses?.['stored'] !== options.instances) problems.push(`statuses ${JSON.stringify(summary.statuses)}`);
  await rm(journal, { force: true });
  return { seconds: cli.seconds, clientCpu: cli.clientCpuSeconds, targetCpu: cli.orthancCpuSeconds };
};

// Why: the peers upload the original files; their seconds are their own (first file to last answer).
const runPeer = async (tool: Exclude<Tool, 'orthanc-import'>, data: Prepared, target: RunningOrthanc, url: string, ctx: { options: Options; python: string | undefined }, problems: string[]): Promise<Timed> => {
  const port = new URL(url).port;
  const peers: Record<typeof tool, [string, string[]]> = {
    baseline: [PYTHON, [ctx.python ?? '', url, data.originals]],
    keepalive: [process.execPath, [KEEPALIVE_CLIENT, port, data.originals]],
    floor: [process.execPath, [FLOOR_CLIENT, port, data.storage]],
  };
  const [command, args] = peers[tool];
  const run = await runUploader(command, args, target, { files: ctx.options.instances, bytes: data.bytes });
  problems.push(...run.problems);
  return { seconds: run.report.seconds ?? Number.NaN, clientCpu: run.clientCpuSeconds, targetCpu: run.orthancCpuSeconds };
};

// Why: one timed run against a fresh target, through the link given; a fast wrong run cannot pass.
const runOne = async (tool: Tool, data: Prepared, link: Link, ctx: { options: Options; python: string | undefined; round: number }): Promise<Result> => {
  const name = `wan-${data.name}-${link.shape === undefined ? 'loopback' : `${link.shape.rttMs}-${link.shape.mbit}`}-${tool}-${ctx.round}`;
  try {
    return await withTarget(ctx.options.work, name, async (target) => {
      const proxy = link.shape === undefined ? undefined : await startWanProxy(target.port, link.shape);
      const url = proxy === undefined ? target.url : `http://127.0.0.1:${proxy.port}`;
      const problems: string[] = [];
      try {
        const before = process.cpuUsage();
        const timed = tool === 'orthanc-import' ? await runImport(data, target, url, ctx.options, name, problems) : await runPeer(tool, data, target, url, ctx, problems);
        const { user, system } = process.cpuUsage(before);
        const proxyCpu = proxy === undefined ? Number.NaN : (user + system) / 1e6;
        const count = await countInstances(target, HTTP_TIMEOUT_MS);
        if (count !== ctx.options.instances) problems.push(`the target holds ${count} instances, expected ${ctx.options.instances}`);
        return { data: data.name, link: link.name, tool, ok: problems.length === 0, problems, ...timed, proxyCpu, wireUp: proxy?.stats().up ?? Number.NaN };
      } finally {
        await proxy?.close();
      }
    });
  } catch (error) {
    return { data: data.name, link: link.name, tool, ok: false, problems: [errorMessage(error)], seconds: Number.NaN, wireUp: Number.NaN, clientCpu: Number.NaN, targetCpu: Number.NaN, proxyCpu: Number.NaN };
  }
};

const fixed = (value: number, digits: number): string => (Number.isNaN(value) ? '-' : value.toFixed(digits));

// Why: the medians of one cell (data set, link) as markdown rows, with the ratios to the peers.
const tableRows = (data: Prepared, link: Link, results: readonly Result[], tools: readonly Tool[]): string[] => {
  const mine = (tool: Tool): Result[] => results.filter((r) => r.data === data.name && r.link === link.name && r.tool === tool);
  const seconds = (tool: Tool): number => median(mine(tool).map((r) => (r.ok ? r.seconds : Number.NaN)));
  const importSeconds = seconds('orthanc-import');
  return tools.map((tool) => {
    const runs = mine(tool);
    const s = seconds(tool);
    const wire = median(runs.map((r) => r.wireUp)) / 1e6;
    const share = link.shape === undefined ? Number.NaN : wire / s / (link.shape.mbit / 8);
    const ratio = tool === 'orthanc-import' || !tools.includes('orthanc-import') ? '-' : `${fixed(s / importSeconds, 2)}x`;
    const failed = runs.filter((r) => !r.ok).length;
    const cells = [data.name, link.name, LABELS[tool], fixed(s, 2), fixed(data.bytes / 1e6 / s, 1), fixed(wire, 1), Number.isNaN(share) ? '-' : `${(share * 100).toFixed(0)}%`, ratio];
    cells.push(...(['clientCpu', 'targetCpu', 'proxyCpu'] as const).map((key) => fixed(median(runs.map((r) => r[key])), 2)), `${runs.length - failed}/${runs.length}`);
    return `| ${cells.join(' | ')} |`;
  });
};

// Why: entry point: data once, then each data set and link in turn, the tools in a rotating order.
const main = async (): Promise<number> => {
  const options = parseOptions(process.argv.slice(2));
  await mkdir(options.work, { recursive: true });
  let python: string | undefined;
  if (options.tools.includes('baseline')) {
    const found = await findPythonBaseline();
    if ('missing' in found) throw new Error(`the baseline cannot run: ${found.missing} (or leave it out: --tools orthanc-import,keepalive)`);
    python = found.script;
  }
  const prepared: Prepared[] = [];
  for (const name of options.data) prepared.push(await prepare(name, options));
  const version = await withTarget(options.work, 'wan-probe', (orthanc) => orthancVersion(orthanc, HTTP_TIMEOUT_MS));
  console.log(describeMachine(machineInfo(version)));
  console.log(`orthanc-import: node ${CLI} STORAGE TARGET --quiet --report R --journal J${options.extra.length > 0 ? ` ${options.extra.join(' ')}` : ''}`);
  const results: Result[] = [];
  for (const data of prepared) {
    for (const link of options.links) {
      for (let round = 1; round <= options.runs; round++) {
        const shift = (round - 1) % options.tools.length;
        const order = [...options.tools.slice(shift), ...options.tools.slice(0, shift)];
        for (const tool of order) {
          const result = await runOne(tool, data, link, { options, python, round });
          results.push(result);
          const wire = Number.isNaN(result.wireUp) ? '' : `, ${(result.wireUp / 1e6).toFixed(1)} MB up`;
          console.log(`${data.name} ${link.name} round ${round} ${tool}: ${result.seconds.toFixed(2)} s${wire}${result.ok ? '' : ` FAILED ${result.problems.join('; ')}`}`);
        }
      }
    }
  }
  console.log('');
  console.log(`Medians of ${options.runs} run(s), ${options.instances} instances per run; MB = 10^6 bytes; the ratio is orthanc-import's decoded MB/s over the tool's.`);
  console.log('');
  console.log('| data | link | tool | seconds | decoded MB/s | wire MB up | link share | orthanc-import / tool | client CPU s | target CPU s | proxy CPU s | runs ok |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const data of prepared) for (const link of options.links) console.log(tableRows(data, link, results, options.tools).join('\n'));
  return results.every((r) => r.ok) ? 0 : 1;
};

runMain(main);
