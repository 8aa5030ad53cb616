// Batched STOW-RS against one instance per request, to Orthanc with its DICOMweb plugin on
// loopback, through the DICOMweb target itself (the pipeline's own puts, putsInFlight of them at
// once). Usage: npm run build && node dist/bench/dicomweb-bench.js [--instances 400] [--runs 3]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDicomHeader } from '../src/decode/dicom-header.js';
import { dicomwebPolicy } from '../src/targets/dicomweb/answer-policy.js';
import { DEFAULT_BOUNDS, type BatchBounds } from '../src/targets/dicomweb/batcher.js';
import { DicomwebTarget } from '../src/targets/dicomweb/dicomweb-target.js';
import { parseDicomwebUrl } from '../src/targets/dicomweb/url.js';
import { HttpClient } from '../src/targets/http/client.js';
import type { InstanceRef } from '../src/targets/target.js';
import { startOrthanc } from '../fixtures/orthanc-process.js';
import { ensureGenerated, median, positiveInt, runMain } from './common.js';

const PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const CONNECTIONS = 4;

interface Loaded {
  readonly ref: InstanceRef;
  readonly bytes: Uint8Array;
}

// The files in memory with what the target is asked by (the bench times the sending only).
const load = async (files: readonly string[]): Promise<Loaded[]> =>
  Promise.all(
    files.map(async (file) => {
      const bytes = new Uint8Array(await readFile(file));
      const parsed = parseDicomHeader(bytes, bytes.length);
      if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
      const { header } = parsed.facts;
      return { bytes, ref: { instanceId: '', ...header, md5: undefined, size: bytes.length } };
    }),
  );

// Seconds to put every instance into a fresh Orthanc + plugin, putsInFlight at once, and how many were stored.
const timeRun = async (instances: readonly Loaded[], bounds: BatchBounds): Promise<{ seconds: number; stored: number }> => {
  const orthanc = await startOrthanc({ config: { Plugins: [PLUGIN], DicomWeb: { Enable: true, Root: '/dicom-web/' } } });
  try {
    const endpoint = parseDicomwebUrl(`dicomweb+${orthanc.url}/dicom-web`, {});
    const client = new HttpClient(endpoint, { concurrency: CONNECTIONS, retries: 4, retryDelayMs: 250, retryTimeoutMs: 60_000 }, { policy: dicomwebPolicy(endpoint.display), probePath: '/studies?limit=1' });
    const target = new DicomwebTarget(endpoint, client, { bounds, connections: CONNECTIONS, verifyFull: false });
    const started = process.hrtime.bigint();
    let next = 0;
    let stored = 0;
    const lane = async (): Promise<void> => {
      for (let at = next++; at < instances.length; at = next++) {
        const item = instances[at];
        if (item !== undefined && (await target.put(item.ref, item.bytes)).kind === 'stored') stored++;
      }
    };
    await Promise.all(Array.from({ length: target.features.putsInFlight }, lane));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await target.close();
    return { seconds, stored };
  } finally {
    await orthanc.stop();
  }
};

// Why: the README's figure for batching comes from here: medians of fresh targets, per mode.
async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { work: { type: 'string', default: '/tmp/orthanc-import-dicomweb-bench' }, instances: { type: 'string', default: '400' }, runs: { type: 'string', default: '3' } },
    strict: true,
  });
  const count = positiveInt('instances', values.instances) ?? 400;
  const runs = positiveInt('runs', values.runs) ?? 3;
  const { files } = await ensureGenerated(join(values.work, `small-${count}`), { out: '', count, sizeKb: { min: 20, max: 60 }, patients: 4, studies: 2, series: 2 });
  const instances = await load(files);
  const modes: readonly { label: string; bounds: BatchBounds }[] = [
    { label: `batched (${DEFAULT_BOUNDS.instances} / ${DEFAULT_BOUNDS.bytes / 1024 / 1024} MiB)`, bounds: DEFAULT_BOUNDS },
    { label: 'one instance per request', bounds: { ...DEFAULT_BOUNDS, instances: 1 } },
  ];
  console.log(`${count} instances, ${CONNECTIONS} connections, loopback, median of ${runs} fresh targets:`);
  for (const { label, bounds } of modes) {
    const results = [];
    for (let run = 0; run < runs; run++) results.push(await timeRun(instances, bounds));
    const seconds = median(results.map((result) => result.seconds));
    const stored = Math.min(...results.map((result) => result.stored));
    console.log(`  ${label.padEnd(30)} ${seconds.toFixed(2)} s  ${(count / seconds).toFixed(0)} instances/s  (runs ${results.map((r) => r.seconds.toFixed(2)).join(', ')}; stored ${stored}/${count})`);
  }
  return 0;
}

runMain(main);
