// The Orthanc source as the run opens it: with --follow, an instance stored after the change log's
// position was noted but before its study was listed comes once (from the listing), not twice.
import { describe, expect, it, vi } from 'vitest';
import { resolveOptions } from '../../../src/core/options.js';
import { locateRest } from '../../../src/sources/orthanc-rest/rest-source.js';
import { SourceClient } from '../../../src/sources/orthanc-rest/source-client.js';
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

  it('with --follow, gives once an instance stored while its study was being listed (in the listing and after the noted position)', async () => {
    const source = await start();
    const first = await post(source, 1);
    const options = resolveOptions({ source: source.url, target: 'http://127.0.0.1:1', untilIdle: 0 });
    // Right after the listing notes the log's position for the study, before its instances are listed, one more is stored in it.
    const { json } = Object.getOwnPropertyDescriptors(SourceClient.prototype);
    let racing: Promise<string> | undefined;
    const spy = vi.spyOn(SourceClient.prototype, 'json').mockImplementation(async function (this: SourceClient, path: string, body?: unknown) {
      const answer = (await (json.value as SourceClient['json']).call(this, path, body)) as never;
      if (path === '/changes?last' && racing === undefined) {
        racing = post(source, 2);
        await racing;
      }
      return answer;
    });
    const opened = await locateRest(options.source, options).open(undefined, {});
    try {
      const ids: string[] = [];
      for await (const item of opened.items() as AsyncIterable<SourceItem>) if (item.kind === 'remote') ids.push(item.instanceId);
      expect(racing).toBeDefined();
      expect(ids.sort()).toEqual([first, await racing].sort());
    } finally {
      spy.mockRestore();
      await opened.close();
    }
  });
});
