// Replicating a running Orthanc (issue 12): how close a copy over REST comes to a copy from the
// same storage stopped, on loopback and on an emulated wide-area link, beside what orthanc-rest-replicate
// does (the same steps in Node: list, GET /file, POST, a few threads, nothing verified).
//
//   npm run build && node dist/bench/replicate-bench.js [--runs 3] [--rtt 20 --mbit 200] [--fetch compressed|file]
//
// The source is the import bench's compressed storage (1,000 generated CT instances), served by an
// Orthanc of its own on a copy; each run gets a fresh target, reached directly or through the
// WAN proxy (bench/wan-proxy.ts: the tool runs beside the source, the link leads to the target).
import { cp, mkdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startOrthanc, type RunningOrthanc } from '../fixtures/orthanc-process.js';
import {
  BENCH_DATA,
  BENCH_INSTANCES,
  buildCompressedStorage,
  buildOnce,
  countInstances,
  describeMachine,
  ensureGenerated,
  errorMessage,
  getJson,
  machineInfo,
  median,
  orthancVersion,
  positiveInt,
  procTimes,
  readSummary,
  row,
  runCli,
  runMain,
  totalBytes,
  withTarget,
} from './common.js';
import { startWanProxy, type WanShape } from './wan-proxy.js';

const INSTANCES = BENCH_INSTANCES;
const HTTP_TIMEOUT_MS = 30_000;
/** orthanc-rest-replicate's example run used 4 threads. */
const PEER_THREADS = 4;

/** What is timed: the tool from the stopped storage, from the running source, or the peer's steps. */
type Tool = 'storage' | 'rest' | 'peer';
const LABELS: Record<Tool, string> = {
  storage: 'orthanc-import from the stopped storage (the ceiling)',
  rest: 'orthanc-import from the running source over REST',
  peer: 'orthanc-rest-replicate steps in Node (4 threads, GET /file + POST, no check)',
};

interface Result {
  readonly tool: Tool;
  readonly link: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly seconds: number;
  readonly clientCpu: number;
  readonly sourceCpu: number;
  readonly targetCpu: number;
}

interface Options {
  readonly work: string;
  readonly runs: number;
  readonly wan: WanShape;
  readonly extra: readonly string[];
}

// Why: run by hand with a few knobs; typos are refused.
const parseOptions = (argv: string[]): Options => {
  const { values } = parseArgs({
    args: argv,
    options: {
      work: { type: 'string', default: '/tmp/orthanc-import-bench' },
      runs: { type: 'string', default: '3' },
      rtt: { type: 'string', default: '20' },
      mbit: { type: 'string', default: '200' },
      arg: { type: 'string', multiple: true },
    },
    strict: true,
  });
  return {
    work: resolve(values.work),
    runs: positiveInt('runs', values.runs) ?? 3,
    wan: { rttMs: positiveInt('rtt', values.rtt) ?? 20, mbit: positiveInt('mbit', values.mbit) ?? 200 },
    extra: values.arg ?? [],
  };
};

// Why: GET a whole answer as bytes over a keep-alive agent (the peer's download).
const getBytes = (url: string, agent: Agent): Promise<Buffer> =>
  new Promise((resolveGet, reject) => {
    request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        if (res.statusCode === 200) resolveGet(Buffer.concat(chunks));
        else reject(new Error(`GET ${url} -> ${String(res.statusCode)}`));
      });
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });

// Why: POST one instance over a keep-alive agent (the peer's upload).
const postBytes = (url: string, body: Buffer, agent: Agent): Promise<number> =>
  new Promise((resolvePost, reject) => {
    const req = request(`${url}/instances`, { method: 'POST', agent, headers: { 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => { resolvePost(res.statusCode ?? 0); });
    });
    req.on('error', reject);
    req.end(body);
  });

// Why: what orthanc-rest-replicate does, in Node so the language is not what is compared.
const runPeer = async (source: RunningOrthanc, targetUrl: string): Promise<string[]> => {
  const ids = (await getJson(`${source.url}/instances`, HTTP_TIMEOUT_MS)) as string[];
  const agent = new Agent({ keepAlive: true, maxSockets: PEER_THREADS * 2 });
  const problems: string[] = [];
  let next = 0;
  const thread = async (): Promise<void> => {
    for (let k = next++; k < ids.length; k = next++) {
      const bytes = await getBytes(`${source.url}/instances/${ids[k] ?? ''}/file`, agent);
      const status = await postBytes(targetUrl, bytes, agent);
      if (status !== 200) problems.push(`POST -> ${status}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: PEER_THREADS }, thread));
  } finally {
    agent.destroy();
  }
  return problems;
};

// Why: one timed run against a fresh target, reached through the link given (direct or WAN).
const runOne = async (tool: Tool, link: 'loopback' | 'wan', ctx: { work: string; storage: string; source: RunningOrthanc; options: Options; round: number }): Promise<Result> =>
  withTarget(ctx.work, `replicate-${ctx.round}-${tool}-${link}`, async (target) => {
    const proxy = link === 'wan' ? await startWanProxy(target.port, ctx.options.wan) : undefined;
    const targetUrl = proxy === undefined ? target.url : `http://127.0.0.1:${proxy.port}`;
    const problems: string[] = [];
    const sourceBefore = procTimes(ctx.source.pid).cpu;
    const targetBefore = procTimes(target.pid).cpu;
    try {
      let seconds: number;
      let clientCpu: number;
      if (tool === 'peer') {
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        problems.push(...(await runPeer(ctx.source, targetUrl)));
        seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuBefore);
        clientCpu = (cpu.user + cpu.system) / 1e6;
      } else {
        const report = join(ctx.work, 'reports', `replicate-${ctx.round}-${tool}-${link}.json`);
        await mkdir(join(ctx.work, 'reports'), { recursive: true });
        await rm(report, { force: true });
        const from = tool === 'storage' ? ctx.storage : ctx.source.url;
        const cli = await runCli([from, targetUrl, '--quiet', '--restart', '--report', report, ...ctx.options.extra]);
        if (cli.code !== 0) problems.push(`exit ${String(cli.code)}: ${cli.output.trim().slice(-400)}`);
        const summary = await readSummary(report, problems);
        if (summary.statuses?.['stored'] !== INSTANCES) problems.push(`statuses ${JSON.stringify(summary.statuses)}`);
        seconds = cli.seconds;
        clientCpu = cli.clientCpuSeconds;
      }
      const count = await countInstances(target, HTTP_TIMEOUT_MS);
      if (count !== INSTANCES) problems.push(`the target holds ${count} instances`);
      return { tool, link, ok: problems.length === 0, problems, seconds, clientCpu, sourceCpu: procTimes(ctx.source.pid).cpu - sourceBefore, targetCpu: procTimes(target.pid).cpu - targetBefore };
    } catch (error) {
      return { tool, link, ok: false, problems: [errorMessage(error)], seconds: Number.NaN, clientCpu: Number.NaN, sourceCpu: Number.NaN, targetCpu: Number.NaN };
    } finally {
      await proxy?.close();
    }
  });

// Why: entry point: data once, then each round runs every tool on each link, in turn.
const main = async (): Promise<number> => {
  const options = parseOptions(process.argv.slice(2));
  await mkdir(options.work, { recursive: true });
  const originalsDir = join(options.work, 'originals');
  const { files } = await ensureGenerated(originalsDir, BENCH_DATA);
  const bytes = await totalBytes(files);
  const storage = join(options.work, 'storage');
  await buildOnce(storage, (partial) => buildCompressedStorage(partial, files, INSTANCES, HTTP_TIMEOUT_MS));
  // The source Orthanc runs on a copy: the stopped storage stays as the import bench left it.
  const served = join(options.work, 'replicate-source');
  await buildOnce(served, (partial) => cp(storage, partial, { recursive: true }));
  const source = await startOrthanc({ storageDir: served, compression: true });
  const results: Result[] = [];
  try {
    console.log(describeMachine(machineInfo(await orthancVersion(source, HTTP_TIMEOUT_MS))));
    console.log(`${INSTANCES} instances, ${(bytes / 1e6).toFixed(1)} MB decoded; WAN ${options.wan.rttMs} ms RTT, ${options.wan.mbit} Mbit/s`);
    for (let round = 1; round <= options.runs; round++) {
      for (const link of ['loopback', 'wan'] as const) {
        for (const tool of ['storage', 'rest', 'peer'] as const) {
          const result = await runOne(tool, link, { work: options.work, storage, source, options, round });
          results.push(result);
          console.log(`round ${round} ${link} ${tool}: ${result.seconds.toFixed(2)} s${result.ok ? '' : ` FAILED ${result.problems.join('; ')}`}`);
        }
      }
    }
  } finally {
    await source.stop();
  }
  const widths = [9, 76, 7, 7, 8, 8, 8];
  console.log(row(['link', 'tool', 's', 'MB/s', 'cli CPU', 'src CPU', 'tgt CPU'], widths));
  for (const link of ['loopback', 'wan'] as const) {
    for (const tool of ['storage', 'rest', 'peer'] as const) {
      const mine = results.filter((r) => r.link === link && r.tool === tool);
      const seconds = median(mine.map((r) => (r.ok ? r.seconds : Number.NaN)));
      const cells = [median(mine.map((r) => r.clientCpu)), median(mine.map((r) => r.sourceCpu)), median(mine.map((r) => r.targetCpu))];
      console.log(row([link, LABELS[tool], seconds, bytes / 1e6 / seconds, ...cells], widths));
    }
  }
  return results.every((r) => r.ok) ? 0 : 1;
};

runMain(main);
