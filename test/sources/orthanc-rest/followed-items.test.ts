// What --follow gives the run: the source's items for what its log names, the deletions seen
// reported (a few warnings, then counts) and never turned into anything sent.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FollowState } from '../../../src/core/events.js';
import { noteChangeSequence } from '../../../src/sources/orthanc-rest/follow.js';
import { FollowTally, followedItems } from '../../../src/sources/orthanc-rest/followed-items.js';
import { HttpClient } from '../../../src/targets/http/client.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { standardPolicy } from '../../../src/targets/http/policy.js';
import { orthancJson, orthancsOfThisFile, uploadToOrthanc } from '../../helpers/orthanc.js';

const DICOM = fileURLToPath(new URL('../../../fixtures/dicom', import.meta.url));
const FILES = readdirSync(DICOM).sort().map((name) => join(DICOM, name));
const startOrthanc = orthancsOfThisFile();

describe('FollowTally', () => {
  it('warns of the first five deletions one by one, then once that the rest are counted', () => {
    const tally = new FollowTally();
    const warnings = [
      ...Array.from({ length: 5 }, (_, at) => tally.count({ kind: 'deleted', id: `i${at}`, seq: at })),
      tally.count({ kind: 'vanished', changes: 4, afterSeq: 10 }),
      tally.count({ kind: 'deleted', id: 'i6', seq: 20 }),
    ];
    expect(warnings.slice(0, 5).every((warning) => warning?.includes('the source no longer holds the instance i'))).toBe(true);
    expect(warnings[5]).toBe('more deletions on the source: the summary counts them');
    expect(warnings[6]).toBeUndefined();
    expect(tally.state()).toMatchObject({ deletions: 6, vanishedChanges: 4 });
  });
});

describe('followedItems', () => {
  it("gives the source's item for each new instance, and reports one deleted before the source could ask for it", async () => {
    const orthanc = await startOrthanc();
    const client = new HttpClient(parseEndpoint(orthanc.url, {}), { concurrency: 1, retries: 1, retryDelayMs: 10, retryTimeoutMs: 10_000 }, { policy: standardPolicy(() => undefined), probePath: '/system' });
    const since = await noteChangeSequence(client);
    const first = (await uploadToOrthanc(orthanc, FILES[0] ?? '')).ID;
    const second = (await uploadToOrthanc(orthanc, FILES[2] ?? '')).ID;
    // As a source would: ask the source for the instance; a 404 says it is gone. The first is
    // deleted there between its change being read and the source asking.
    const itemOf = async (id: string): Promise<string | undefined> => {
      if (id === first) await orthancJson(orthanc, `/instances/${id}`, { method: 'DELETE' });
      const answer = await client.send({ method: 'GET', path: `/instances/${id}` });
      return answer.kind === 'answer' && answer.statusCode === 200 ? `item ${id}` : undefined;
    };
    const warnings: string[] = [];
    const states: FollowState[] = [];
    const tally = new FollowTally();
    const items: string[] = [];
    const events = { onWarning: (message: string) => warnings.push(message), onFollow: (state: FollowState) => states.push(state) };
    for await (const item of followedItems({ client, since, signal: undefined, untilIdleMs: 0, pollMs: 50, itemOf, events, tally })) items.push(item);
    await client.close();
    expect(items).toEqual([`item ${second}`]);
    expect(warnings).toEqual([`the source no longer holds the instance ${first} (change ${since + 1}): deleted there, not copied (deletions are never propagated)`]);
    expect(tally.state()).toEqual({ behindChanges: 0, lagSeconds: 0, followedInstances: 2, deletions: 1, vanishedChanges: 0 });
    expect(states.at(-1)).toEqual(tally.state());
  });
});
