// The Orthanc source as the run opens it: with --follow, an instance stored after the change log's
// position was noted but before its study was listed comes once (from the listing), not twice.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/core/options.js';
import { locateRest } from '../../../src/sources/orthanc-rest/rest-source.js';
import type { SourceItem } from '../../../src/core/types.js';
import { buildPart10 } from '../../helpers/dicom-bytes.js';
import { orthancJson, orthancsOfThisFile } from '../../helpers/orthanc.js';

const start = orthancsOfThisFile();

const post = async (orthanc: Awaited<ReturnType<typeof start>>, index: number): Promise<string> =>
  (await orthancJson<{ ID: string }>(orthanc, '/instances', { method: 'POST', body: buildPart10({ studyInstanceUid: '2.25.95', seriesInstanceUid: '2.25.95.1', sopInstanceUid: `2.25.95.1.${index}` }).bytes })).ID;

describe('locateRest', () => {
  it('names the source by its URL without credentials', () => {
    const options = resolveOptions({ source: 'http://alice:secret@127.0.0.1:8042/orthanc/', target: 'http://127.0.0.1:8043' });
    expect(locateRest(options.source, options).root).toBe('http://127.0.0.1:8042/orthanc');
  });

  it('refuses a target that is the source itself (same URL written otherwise, or its DICOMweb root), and takes another server', () => {
    const located = (source: string, target: string): unknown => {
      const options = resolveOptions({ source, target });
      return locateRest(options.source, options).root;
    };
    for (const [source, target] of [
      ['http://127.0.0.1:8042', 'http://127.0.0.1:8042'],
      ['http://u:p@LOCALHOST:8042/', 'http://127.0.0.1:8042'],
      ['http://127.0.0.1:8042/orthanc', 'http://127.0.0.1:8042/orthanc/'],
      ['http://127.0.0.1:8042', 'dicomweb+http://127.0.0.1:8042/dicom-web'],
    ] as const) {
      expect(() => located(source, target), `${source} -> ${target}`).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringContaining('is the source') as unknown }));
    }
    expect(located('http://127.0.0.1:8042', 'http://127.0.0.1:8043')).toBe('http://127.0.0.1:8042');
    expect(located('http://127.0.0.1:8042/old', 'http://127.0.0.1:8042/new')).toBe('http://127.0.0.1:8042/old');
    expect(located('http://127.0.0.1:8042', 'https://127.0.0.1:8042')).toBe('http://127.0.0.1:8042');
    expect(located('http://127.0.0.1:8042', './out')).toBe('http://127.0.0.1:8042');
  });

  it('with --follow, gives an instance stored while the bulk listing ran once, and one stored after its study was listed too', async () => {
    const source = await start();
    const first = await post(source, 1);
    const options = resolveOptions({ source: source.url, target: 'http://127.0.0.1:1', untilIdle: 0 });
    const opened = await locateRest(options.source, options).open(undefined, {});
    try {
      // After the log's position was noted (open), before the listing: in the listing and in the log.
      const during = await post(source, 2);
      const ids: string[] = [];
      let after: string | undefined;
      for await (const item of opened.items() as AsyncIterable<SourceItem>) {
        if (item.kind !== 'remote') throw new Error(`unexpected ${item.kind} item`);
        ids.push(item.instanceId);
        // Its study listed already: only the log names this one.
        after ??= await post(source, 3);
      }
      expect(ids.sort()).toEqual([first, during, after].sort());
    } finally {
      await opened.close();
    }
  });
});
