// Batching bench (issue 13): does sending several instances in one POST /instances (a ZIP archive,
// which Orthanc >= 1.8.2 unpacks) pay on a wide-area link, against one POST per instance?
// Each run: a fresh target Orthanc behind the WAN proxy (bench/wan-proxy.ts), every instance held
// in memory beforehand (archives built before the clock starts: the CRC-32 would come free while
// inflating in the product), k requests in flight on keep-alive connections, the target asked
// afterwards how many instances it holds. Modes are BxK: B instances per request (1 = a plain
// DICOM body, more = a ZIP of stored entries), K requests in flight.
// First, on loopback, a probe records what Orthanc answers to a ZIP: per entry, a bad entry,
// a bad CRC.
//
//   npx tsc -p tsconfig.json && node dist/bench/zip-batch-bench.js [--work DIR] [--runs N]
//     [--data small,ct] [--links 20/200,80/50] [--modes 1x4,1x8,1x16,16x4,64x4] [--no-probe]
//     [--json FILE]
//
// small = 2,000 generated instances of 5-30 KB; ct = the 1,000 bench CT originals (100-500 KB,
// built by import-bench.js in /tmp/orthanc-import-bench/originals).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { Pool } from 'undici';
import { parseDicomHeader } from '../src/decode/dicom-header.js';
import { orthancInstanceId } from '../src/decode/orthanc-id.js';
import {
  countInstances,
  describeMachine,
  ensureGenerated,
  errorMessage,
  machineInfo,
  median,
  orthancVersion,
  procTimes,
  row,
  runMain,
  totalBytes,
  withTarget,
} from './common.js';
import { startWanProxy, type WanShape } from './wan-proxy.js';
import { zipArchive, type ZipEntry } from './zip-archive.js';

/** Timeout of the JSON GETs to Orthanc (/system, /statistics). */
const HTTP_TIMEOUT_MS = 30_000;
const SMALL = { count: 2000, sizeKb: { min: 5, max: 30 }, patients: 20, studies: 2, series: 5, seed: 13, prefix: 'ZIPSMALL' } as const;
const CT_ORIGINALS = '/tmp/orthanc-import-bench/originals';

interface Mode {
  /** Instances per request: 1 = a DICOM body, more = a ZIP archive. */
  readonly batch: number;
  readonly inFlight: number;
}

interface DataSet {
  readonly name: string;
  readonly contents: readonly Buffer[];
  readonly bytes: number;
}

interface RunResult {
  data: string;
  link: string;
  mode: string;
  run: number;
  ok: boolean;
  problems: string[];
  seconds: number;
  /** Bytes the client sent through the proxy (bodies, headers, ZIP framing). */
  wireBytes: number;
  connections: number;
  /** Requests sent again after a connection error. */
  retries: number;
  orthancCpuSeconds: number;
}

interface BenchOptions {
  work: string;
  runs: number;
  data: string[];
  links: WanShape[];
  modes: Mode[];
  probe: boolean;
  json: string | undefined;
}

const modeLabel = (mode: Mode): string => `${mode.batch}x${mode.inFlight}`;
const linkLabel = (link: WanShape): string => `${link.rttMs} ms/${link.mbit} Mbit`;

// Why: "BxK" and "RTT/MBIT" lists on the command line; a typo is refused, not ignored.
function parseList<T>(name: string, value: string, pattern: RegExp, make: (a: number, b: number) => T): T[] {
  return value.split(',').map((item) => {
    const m = pattern.exec(item.trim());
    if (m === null) throw new Error(`--${name}: cannot read "${item}"`);
    return make(Number(m[1]), Number(m[2]));
  });
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      work: { type: 'string', default: '/tmp/i13-zip' },
      runs: { type: 'string', default: '3' },
      data: { type: 'string', default: 'small,ct' },
      links: { type: 'string', default: '20/200,80/50' },
      modes: { type: 'string', default: '1x4,1x8,1x16,16x4,64x4' },
      'no-probe': { type: 'boolean', default: false },
      json: { type: 'string' },
    },
    strict: true,
  });
  const data = values.data.split(',');
  for (const name of data) if (name !== 'small' && name !== 'ct') throw new Error(`--data: "${name}" is neither small nor ct`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got "${values.runs}"`);
  return {
    work: resolve(values.work),
    runs,
    data,
    links: parseList('links', values.links, /^(\d+)\/(\d+)$/, (rttMs, mbit) => ({ rttMs, mbit })),
    modes: parseList('modes', values.modes, /^([1-9]\d*)x([1-9]\d*)$/, (batch, inFlight) => ({ batch, inFlight })),
    probe: !values['no-probe'],
    json: values.json,
  };
}

// Why: both data sets are sent from memory, so reading the disk is not part of what is timed.
async function loadDataSet(work: string, name: string): Promise<DataSet> {
  let files: string[];
  if (name === 'small') files = (await ensureGenerated(join(work, 'small-2000'), { out: '', ...SMALL })).files;
  else files = (await readdir(CT_ORIGINALS)).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(CT_ORIGINALS, f));
  const contents = await Promise.all(files.map((file) => readFile(file)));
  return { name, contents, bytes: await totalBytes(files) };
}

// Why: node:http's Agent never reuses a socket whose server announces "Keep-Alive: timeout=1"
// (Orthanc's default), so the bench uses undici with the product's settings (src/targets/http/client.ts).
function keepAlivePool(port: number, connections: number): Pool {
  return new Pool(`http://127.0.0.1:${port}`, { connections, keepAliveTimeout: 800, keepAliveMaxTimeout: 800, keepAliveTimeoutThreshold: 200 });
}

/** Connection errors the product's client retries (src/targets/http/client.ts), so the bench does too. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const ATTEMPTS = 4;

// Why: one POST /instances, its whole answer read. Orthanc closes a keep-alive connection idle
// for 1 s; on a saturated link a request's first bytes can take longer than that to reach it, and
// the server closes the connection under it ("other side closed"): sent again, and counted.
async function post(pool: Pool, body: Buffer, contentType: string, retried?: { count: number }): Promise<{ status: number; body: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await pool.request({ method: 'POST', path: '/instances', headers: { 'content-type': contentType, 'content-length': String(body.length) }, body });
      return { status: answer.statusCode, body: await answer.body.text() };
    } catch (err) {
      if (attempt >= ATTEMPTS || !TRANSIENT_CODES.has(String((err as { code?: unknown }).code))) throw err;
      if (retried !== undefined) retried.count += 1;
    }
  }
}

// Why: an archive of B stored entries per request, the last one shorter.
function archives(contents: readonly Buffer[], batch: number): Buffer[] {
  const out: Buffer[] = [];
  for (let k = 0; k < contents.length; k += batch) {
    out.push(zipArchive(contents.slice(k, k + batch).map((data, j) => ({ name: `${k + j}.dcm`, data }))));
  }
  return out;
}

// Why: counts the instances one answer says were stored; anything else is a problem of the run.
function storedIn(status: number, body: string, expected: number, problems: string[]): number {
  if (status !== 200) {
    problems.push(`HTTP ${status}: ${body.slice(0, 200)}`);
    return 0;
  }
  const answer = JSON.parse(body) as unknown;
  const items = (Array.isArray(answer) ? answer : [answer]) as { Status?: unknown }[];
  // AlreadyStored on a fresh target: a request sent again whose first answer was lost.
  const stored = items.filter((item) => item.Status === 'Success' || item.Status === 'AlreadyStored').length;
  if (stored !== expected) problems.push(`${stored} of ${expected} stored: ${body.slice(0, 200)}`);
  return stored;
}

// Why: one timed run: every request of the mode through a fresh proxy into a fresh target.
async function runOnce(work: string, data: DataSet, link: WanShape, mode: Mode, run: number): Promise<RunResult> {
  const bodies = mode.batch === 1 ? data.contents : archives(data.contents, mode.batch);
  const contentType = mode.batch === 1 ? 'application/dicom' : 'application/zip';
  return withTarget(work, `zip-bench-${data.name}`, async (orthanc) => {
    const proxy = await startWanProxy(orthanc.port, link);
    const pool = keepAlivePool(proxy.port, mode.inFlight);
    const problems: string[] = [];
    const retried = { count: 0 };
    try {
      const orthancBefore = procTimes(orthanc.pid).cpu;
      const started = process.hrtime.bigint();
      let next = 0;
      const sender = async (): Promise<void> => {
        for (let k = next++; k < bodies.length; k = next++) {
          const body = bodies[k] as Buffer;
          const expected = Math.min(mode.batch, data.contents.length - k * mode.batch);
          try {
            const answer = await post(pool, body, contentType, retried);
            storedIn(answer.status, answer.body, expected, problems);
          } catch (err) {
            problems.push(errorMessage(err));
          }
        }
      };
      await Promise.all(Array.from({ length: mode.inFlight }, sender));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const orthancCpuSeconds = procTimes(orthanc.pid).cpu - orthancBefore;
      const count = await countInstances(orthanc, HTTP_TIMEOUT_MS);
      if (count !== data.contents.length) problems.push(`target holds ${count} instances, expected ${data.contents.length}`);
      const stats = proxy.stats();
      return { data: data.name, link: linkLabel(link), mode: modeLabel(mode), run, ok: problems.length === 0, problems: problems.slice(0, 5), seconds, wireBytes: stats.up, connections: stats.connections, retries: retried.count, orthancCpuSeconds };
    } finally {
      await pool.close();
      await proxy.close();
    }
  });
}

/** The Orthanc ID of a DICOM body, from its header as the product parses it; none when it does not parse. */
function idOf(content: Buffer): string | undefined {
  const parsed = parseDicomHeader(content, content.length);
  return parsed.ok ? orthancInstanceId(parsed.facts.header) : undefined;
}

// Why: what Orthanc answers per entry decides whether per-instance outcomes survive batching;
// seen on the real server, printed entry by entry, matched to the answer by the Orthanc ID.
async function probe(work: string): Promise<void> {
  const { files } = await ensureGenerated(join(work, 'probe'), { out: '', count: 6, prefix: 'ZIPPROBE', seed: 13 });
  const [a, b, c, d, e, f] = await Promise.all(files.map((file) => readFile(file)));
  if (a === undefined || b === undefined || c === undefined || d === undefined || e === undefined || f === undefined) throw new Error('the probe needs 6 instances');
  await withTarget(work, 'zip-probe', async (orthanc) => {
    console.log(`probe: what Orthanc ${await orthancVersion(orthanc, HTTP_TIMEOUT_MS)} answers to a ZIP on POST /instances`);
    const pool = keepAlivePool(orthanc.port, 1);
    const send = async (label: string, entries: readonly ZipEntry[], archive: Buffer): Promise<void> => {
      const answer = await post(pool, archive, 'application/zip');
      console.log(`  ${label}: HTTP ${answer.status}, body ${answer.body.replace(/\s+/g, ' ').slice(0, 160)}`);
      const parsed = JSON.parse(answer.body) as unknown;
      const items = (Array.isArray(parsed) ? parsed : []) as { ID?: string; Status?: string }[];
      for (const entry of entries) {
        const id = idOf(entry.data);
        const item = items.find((it) => id !== undefined && it.ID === id);
        const held = id === undefined ? false : (await fetch(`${orthanc.url}/instances/${id}`)).ok;
        console.log(`    ${entry.name.padEnd(16)} answer: ${item?.Status ?? '(none)'}; on the target afterwards: ${held ? 'yes' : 'no'}`);
      }
    };
    await post(pool, a, 'application/dicom');
    const mixed: ZipEntry[] = [
      { name: 'a-stored-before', data: a },
      { name: 'b-deflated', data: b, deflated: deflateRawSync(b) },
      { name: 'garbage', data: Buffer.from('not DICOM '.repeat(40)) },
      { name: 'empty', data: Buffer.alloc(0) },
      { name: 'c-truncated', data: c.subarray(0, 400) },
      { name: 'd', data: d },
    ];
    await send('ZIP of 6 entries (a already stored, b as raw deflate, garbage, empty, c truncated, d)', mixed, zipArchive(mixed));
    const crc: ZipEntry[] = [{ name: 'e', data: e }, { name: 'c-bad-crc', data: c }, { name: 'f', data: f }];
    const archive = zipArchive(crc);
    // The second entry's CRC-32, in its local header and in its central directory record.
    archive.writeUInt32LE(0xdeadbeef, 30 + 'e'.length + e.length + 14);
    archive.writeUInt32LE(0xdeadbeef, archive.readUInt32LE(archive.length - 6) + 46 + 'e'.length + 16);
    await send('ZIP of 3 entries, the 2nd with a wrong CRC-32', crc, archive);
    await pool.close();
  });
}

// Why: medians per data set, link and mode, with the ratio to the fastest one-per-request mode.
function report(results: readonly RunResult[], options: BenchOptions, bytesOf: Map<string, number>): void {
  const widths = [6, 16, 6, 8, 8, 7, 6, 7, 9, 8];
  console.log(row(['data', 'link', 'mode', 'seconds', 'MB/s', 'link %', 'conns', 'resent', 'orth. CPU', 'vs best 1xK'], widths));
  for (const data of options.data) {
    for (const link of options.links) {
      const medians = options.modes.map((mode) => {
        const runs = results.filter((r) => r.data === data && r.link === linkLabel(link) && r.mode === modeLabel(mode));
        return { mode, seconds: median(runs.map((r) => (r.ok ? r.seconds : Number.NaN))), wire: median(runs.map((r) => r.wireBytes)), conns: median(runs.map((r) => r.connections)), resent: median(runs.map((r) => r.retries)), cpu: median(runs.map((r) => r.orthancCpuSeconds)) };
      });
      const best = Math.min(...medians.filter((m) => m.mode.batch === 1).map((m) => m.seconds));
      for (const m of medians) {
        const bytes = bytesOf.get(data) ?? Number.NaN;
        const linkShare = m.wire / m.seconds / ((link.mbit * 1e6) / 8);
        console.log(row([data, linkLabel(link), modeLabel(m.mode), m.seconds, bytes / m.seconds / 1e6, `${(linkShare * 100).toFixed(0)}%`, String(m.conns), String(m.resent), m.cpu, Number.isFinite(best) ? `${(best / m.seconds).toFixed(2)}x` : '-'], widths));
      }
    }
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.probe) await probe(options.work);
  const sets = new Map<string, DataSet>();
  for (const name of options.data) sets.set(name, await loadDataSet(options.work, name));
  const orthanc = await withTarget(options.work, 'zip-version', (o) => orthancVersion(o, HTTP_TIMEOUT_MS));
  console.log(describeMachine(machineInfo(orthanc)));
  const results: RunResult[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const data of sets.values()) {
      for (const link of options.links) {
        for (const mode of options.modes) {
          const result = await runOnce(options.work, data, link, mode, run);
          results.push(result);
          const mb = data.bytes / result.seconds / 1e6;
          console.log(`run ${run} ${data.name} ${linkLabel(link)} ${modeLabel(mode)}: ${result.seconds.toFixed(2)} s, ${mb.toFixed(1)} MB/s, ${result.retries} resent${result.ok ? '' : `  FAILED: ${result.problems.join('; ')}`}`);
        }
      }
    }
  }
  const bytesOf = new Map([...sets.values()].map((s) => [s.name, s.bytes]));
  for (const s of sets.values()) console.log(`${s.name}: ${s.contents.length} instances, ${(s.bytes / 1e6).toFixed(1)} MB`);
  report(results, options, bytesOf);
  if (options.json !== undefined) await writeFile(options.json, JSON.stringify({ options, results }, null, 2));
  return results.every((r) => r.ok) ? 0 : 1;
}

runMain(main);
