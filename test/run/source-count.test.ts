// How many items a run goes through, told to a caller that asks (ImportEvents.onTotal): an index
// and a running Orthanc know it up front, a folder is counted as it is walked; at the end the run
// has settled exactly that many (Tally.items).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SourceCount } from '../../src/core/events.js';
import { resolveOptions, runImport, type ImportInput } from '../../src/index.js';
import type { Tally } from '../../src/record/report.js';
import { orthancsOfThisFile } from '../helpers/orthanc.js';
import { fixtureDicoms, SAMPLE_STORAGE, uploadAll } from '../helpers/storages.js';

const SAMPLE_DICOM = fileURLToPath(new URL('../../fixtures/dicom', import.meta.url));
const start = orthancsOfThisFile();

const counted = async (input: ImportInput): Promise<{ counts: SourceCount[]; items: number; files: number }> => {
  const counts: SourceCount[] = [];
  let last: Tally | undefined;
  const summary = await runImport(resolveOptions(input), { onTotal: (count) => counts.push(count), onOutcome: (_outcome, tally) => (last = tally) });
  return { counts, items: last?.items ?? 0, files: Object.values(summary.classes).reduce((sum, count) => sum + count.files, 0) };
};

describe('the source count', () => {
  it("an index says its instances once, up front; the walker's other files are not items", async () => {
    const { counts, items, files } = await counted({ source: SAMPLE_STORAGE });
    expect(counts).toHaveLength(1);
    expect(counts[0]).toMatchObject({ unit: 'instances', final: true });
    expect(items).toBe(counts[0]?.items);
    expect(files).toBeGreaterThan(items); // caches and the index's own files, found beside them
  });

  it('a folder is counted as it is walked, and the final count is every file the run settled', async () => {
    const { counts, items, files } = await counted({ source: SAMPLE_DICOM });
    expect(counts.at(-1)).toEqual({ items: files, unit: 'files', final: true });
    expect(items).toBe(files);
  });

  it('a running Orthanc says how many instances it holds (when the run takes them all)', async () => {
    const source = await start();
    const files = await fixtureDicoms();
    await uploadAll(source, files);
    const { counts, items } = await counted({ source: source.url });
    expect(counts).toEqual([{ items: files.length, unit: 'instances', final: true }]);
    expect(items).toBe(files.length);
    // A filter narrows the listing to what the source answers: no count is claimed.
    expect((await counted({ source: source.url, modalities: ['CT'] })).counts).toEqual([]);
  });
});
