// The paged listing against a real Orthanc: every instance once, with its tags, even when a study
// is deleted on the source while it is listed (pages taken by offset shift).
import { describe, expect, it } from 'vitest';
import { buildPart10 } from '../../helpers/dicom-bytes.js';
import { orthancJson, orthancsOfThisFile, type RunningOrthanc } from '../../helpers/orthanc.js';
import { remoteItems } from '../../../src/sources/orthanc-rest/listing.js';
import { SourceClient } from '../../../src/sources/orthanc-rest/source-client.js';
import type { RemoteItem } from '../../../src/core/types.js';

const start = orthancsOfThisFile();
const OPTIONS = { sourceCredentials: {}, sourceConcurrency: 2, sourceDownload: 'compressed-data' as const, retries: 1, retryDelayMs: 10, retryTimeoutMs: 5000 };

// Five studies of two instances, one series each (CT, then SR for the last two).
const seed = async (orthanc: RunningOrthanc): Promise<void> => {
  for (let study = 1; study <= 5; study++) {
    for (let index = 1; index <= 2; index++) {
      const ids = { patientId: `P${study}`, studyInstanceUid: `2.25.7${study}`, seriesInstanceUid: `2.25.7${study}.1`, sopInstanceUid: `2.25.7${study}.1.${index}` };
      // No image: an SR (its Modality).
      await orthancJson(orthanc, '/instances', { method: 'POST', body: buildPart10({ ...ids, image: study <= 3 }).bytes });
    }
  }
};

const collect = async (items: AsyncIterable<RemoteItem>, each?: (sofar: readonly RemoteItem[]) => Promise<void>): Promise<RemoteItem[]> => {
  const all: RemoteItem[] = [];
  for await (const item of items) {
    all.push(item);
    await each?.(all);
  }
  return all;
};

describe('remoteItems', () => {
  it('lists every instance once, page by page, with its study, tags, size and file UUID in its key', async () => {
    const source = await start({ compression: true });
    await seed(source);
    const client = await SourceClient.open(source.url, OPTIONS, undefined);
    try {
      const items = await collect(remoteItems(client, undefined, undefined, { pageSize: 2 }));
      expect(items).toHaveLength(10);
      expect(new Set(items.map((item) => item.instanceId)).size).toBe(10);
      expect(new Set(items.map((item) => item.studyId)).size).toBe(5);
      const sr = items.filter((item) => item.tags.modality === 'SR');
      expect(sr).toHaveLength(4);
      const one = items[0];
      expect(one?.entry.relativePath).toBe(`instances/${one?.instanceId ?? ''}`);
      expect(one?.listedSize).toBeGreaterThan(0);
      expect(one?.key.split(String.fromCharCode(0))).toEqual([`orthanc:${one?.instanceId ?? ""}`, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      expect(one?.tags.seriesInstanceUid).toMatch(/^2\.25\.7\d\.1$/);
      // The filter is answered by the source.
      const filtered = await collect(remoteItems(client, { patientIds: ['P2', 'P4'], studyUids: [], accessions: [], modalities: ['sr'], studyDate: undefined }, undefined, { pageSize: 2 }));
      expect(filtered.map((item) => item.tags.patientId)).toEqual(['P4', 'P4']);
    } finally {
      await client.close();
    }
  });

  it('gives a few studies at a time, the series taking turns within them, and keeps each study\'s size', async () => {
    const source = await start();
    // 3 studies of 2 series of 2 instances, stored one study after the other.
    for (let st = 1; st <= 3; st++) {
      for (let se = 1; se <= 2; se++) {
        for (let i = 1; i <= 2; i++) {
          const ids = { patientId: 'P1', studyInstanceUid: `2.25.8${st}`, seriesInstanceUid: `2.25.8${st}.${se}`, sopInstanceUid: `2.25.8${st}.${se}.${i}` };
          await orthancJson(source, '/instances', { method: 'POST', body: buildPart10(ids).bytes });
        }
      }
    }
    const client = await SourceClient.open(source.url, OPTIONS, undefined);
    try {
      const runs = (items: readonly RemoteItem[], key: (item: RemoteItem) => string): string[] => items.map(key).filter((value, at, all) => at === 0 || all[at - 1] !== value);
      const unordered = await collect(remoteItems(client, undefined, undefined, { studiesInFlight: 0 }));
      const studies = runs(unordered, (item) => item.studyId);
      expect(studies).toHaveLength(3); // listed one study after the other
      for (const inFlight of [1, 2]) {
        const sizes = new Map<string, number>();
        const items = await collect(remoteItems(client, undefined, undefined, { studiesInFlight: inFlight, sizes }));
        expect(items.map((item) => item.instanceId).sort()).toEqual(unordered.map((item) => item.instanceId).sort());
        const groupOf = (item: RemoteItem): string => String(Math.floor(studies.indexOf(item.studyId) / inFlight));
        expect(runs(items, groupOf)).toEqual(inFlight === 1 ? ['0', '1', '2'] : ['0', '1']);
        // No two instances of a series one after the other within a group.
        expect(runs(items, (item) => item.tags.seriesInstanceUid)).toHaveLength(12);
        expect(Object.fromEntries(sizes)).toEqual(Object.fromEntries(studies.map((id) => [id, 4])));
      }
    } finally {
      await client.close();
    }
  });

  it('reads a page again when a study deleted during the listing shifted the others, so that none is missed', async () => {
    const source = await start();
    await seed(source);
    const client = await SourceClient.open(source.url, OPTIONS, undefined);
    const infos: string[] = [];
    try {
      // Once the first page (two studies) is listed, its first study is deleted: every later
      // study moves one place up, and the third would fall between the pages.
      const items = await collect(remoteItems(client, undefined, { onInfo: (message) => infos.push(message) }, { pageSize: 2 }), async (sofar) => {
        if (sofar.length === 4) await orthancJson(source, `/studies/${sofar[0]?.studyId ?? ''}`, { method: 'DELETE' });
      });
      const studies = new Set(items.map((item) => item.studyId));
      expect(studies.size).toBe(5);
      expect(items).toHaveLength(10);
      expect(infos.join('\n')).toMatch(/reading the page before again/);
    } finally {
      await client.close();
    }
  });
});
