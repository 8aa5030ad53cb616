// The study-order bench (issue 14): how spread each study is over an import, and what the order
// costs. The import bench's compressed storage (1,000 instances, 20 studies of 5 series) goes into
// a fresh local Orthanc once per --studies-in-flight value (0: the index's UUID order), the values
// in a rotating order each round. After each run the target's /changes gives the order its
// instances were stored in; the source index says each instance's study. A study's span is the
// share of the run's stored instances from its first to its last (1/1000 to 1); the table gives
// the median and largest, seconds, client and target CPU, medians of the rounds.
//
//   npm run build && node dist/bench/study-order-bench.js [--runs 3] [--values 0,1,2,3]
//     [--work /tmp/orthanc-import-bench]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { RunningOrthanc } from '../fixtures/orthanc-process.js';
import {
  BENCH_DATA,
  BENCH_INSTANCES,
  buildCompressedStorage,
  buildOnce,
  describeMachine,
  ensureGenerated,
  getJson,
  machineInfo,
  median,
  orthancVersion,
  positiveInt,
  runCli,
  runMain,
  withTarget,
} from './common.js';

const HTTP_TIMEOUT_MS = 30_000;
const CHANGES_PAGE = 1000;

interface Run {
  readonly value: number;
  readonly seconds: number;
  readonly clientCpu: number;
  readonly targetCpu: number;
  readonly medianSpan: number;
  readonly largestSpan: number;
  readonly ok: boolean;
}

// Each live instance's study, as the source index says (Orthanc IDs).
const studiesOf = (indexPath: string): Map<string, string> => {
  const db = new Database(indexPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(`SELECT i.publicId AS instance, st.publicId AS study FROM Resources i
        JOIN Resources se ON se.internalId = i.parentId JOIN Resources st ON st.internalId = se.parentId
        WHERE i.resourceType = 4`)
      .all() as { instance: string; study: string }[];
    return new Map(rows.map((r) => [r.instance, r.study]));
  } finally {
    db.close();
  }
};

// The instances in the order the target stored them (its NewInstance changes, by sequence).
const storedOrder = async (target: RunningOrthanc): Promise<string[]> => {
  const order: string[] = [];
  for (let since = 0; ; ) {
    const page = (await getJson(`${target.url}/changes?since=${since}&limit=${CHANGES_PAGE}`, HTTP_TIMEOUT_MS)) as { Changes: { ChangeType: string; ID: string }[]; Done: boolean; Last: number };
    for (const change of page.Changes) if (change.ChangeType === 'NewInstance') order.push(change.ID);
    if (page.Done || page.Changes.length === 0) return order;
    since = page.Last;
  }
};

// Each study's span over the run: from its first instance stored to its last, as a share of all.
const spans = (order: readonly string[], studyOf: ReadonlyMap<string, string>): number[] => {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  order.forEach((id, at) => {
    const study = studyOf.get(id) ?? '';
    if (!first.has(study)) first.set(study, at);
    last.set(study, at);
  });
  return [...first].map(([study, at]) => ((last.get(study) ?? at) - at + 1) / order.length);
};

// Why: the order's cost and gain measured together, on the storage every other bench uses.
const main = async (): Promise<number> => {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, values: { type: 'string' }, work: { type: 'string' } } });
  const work = values.work ?? '/tmp/orthanc-import-bench';
  const runs = positiveInt('runs', values.runs) ?? 3;
  const settings = (values.values ?? '0,1,2,3').split(',').map(Number);
  const originals = join(work, 'originals');
  const storage = join(work, 'storage');
  const { files } = await ensureGenerated(originals, { ...BENCH_DATA, count: BENCH_INSTANCES });
  await buildOnce(storage, (partial) => buildCompressedStorage(partial, files, BENCH_INSTANCES, HTTP_TIMEOUT_MS));
  const studyOf = studiesOf(join(storage, 'index'));
  console.log(describeMachine(machineInfo(await withTarget(work, 'probe', (o) => orthancVersion(o, HTTP_TIMEOUT_MS)))));
  console.log(`source: ${storage} (${studyOf.size} instances in ${new Set(studyOf.values()).size} studies)`);
  const results: Run[] = [];
  for (let round = 0; round < runs; round++) {
    const order = settings.map((_, k) => settings[(k + round) % settings.length] ?? 0);
    for (const value of order) {
      const run = await withTarget(work, `study-order-${value}-${round}`, async (target) => {
        const cli = await runCli([storage, target.url, '--quiet', '--restart', '--journal', join(work, `study-order-${value}.sqlite`), '--studies-in-flight', String(value)], { orthanc: target });
        const stored = await storedOrder(target);
        const each = spans(stored, studyOf).sort((a, b) => a - b);
        return { value, seconds: cli.seconds, clientCpu: cli.clientCpuSeconds, targetCpu: cli.orthancCpuSeconds, medianSpan: median(each), largestSpan: each.at(-1) ?? Number.NaN, ok: cli.code === 0 && stored.length === BENCH_INSTANCES };
      });
      console.log(`round ${round + 1} --studies-in-flight ${value}: ${run.seconds.toFixed(2)} s, median span ${(run.medianSpan * 100).toFixed(1)}%, largest ${(run.largestSpan * 100).toFixed(1)}%${run.ok ? '' : ' (FAILED)'}`);
      results.push(run);
    }
  }
  console.log(`\nMedians of ${runs} run(s). Span: a study's first to last instance stored, as a share of the run's instances.\n`);
  console.log('| --studies-in-flight | seconds | median study span | largest span | client CPU s | target CPU s | runs ok |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const value of settings) {
    const mine = results.filter((r) => r.value === value);
    const m = (pick: (r: Run) => number): number => median(mine.map(pick));
    const label = value === 0 ? '0 (UUID order)' : String(value);
    console.log(`| ${label} | ${m((r) => r.seconds).toFixed(2)} | ${(m((r) => r.medianSpan) * 100).toFixed(1)}% | ${(m((r) => r.largestSpan) * 100).toFixed(1)}% | ${m((r) => r.clientCpu).toFixed(2)} | ${m((r) => r.targetCpu).toFixed(2)} | ${mine.filter((r) => r.ok).length}/${mine.length} |`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
};

runMain(main);
