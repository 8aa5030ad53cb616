// --follow against a real Orthanc's change log: what it answers, in order, from the noted
// sequence, page by page, through a restart, and how following ends.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { followChanges, noteChangeSequence, type FollowEvent, type FollowOptions } from '../../../src/sources/orthanc-rest/follow.js';
import { lagSeconds } from '../../../src/sources/orthanc-rest/follow-lag.js';
import { HttpClient } from '../../../src/targets/http/client.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import type { OutageEvents } from '../../../src/targets/http/outage.js';
import { standardPolicy } from '../../../src/targets/http/policy.js';
import { orthancJson, orthancsOfThisFile, uploadToOrthanc, type RunningOrthanc } from '../../helpers/orthanc.js';

const DICOM = fileURLToPath(new URL('../../../fixtures/dicom', import.meta.url));
const FILES = readdirSync(DICOM).sort().map((name) => join(DICOM, name));
const startOrthanc = orthancsOfThisFile();

const clientOf = (orthanc: RunningOrthanc, events: OutageEvents = {}): HttpClient =>
  new HttpClient(parseEndpoint(orthanc.url, {}), { concurrency: 1, retries: 2, retryDelayMs: 20, retryTimeoutMs: 60_000, outagePollMs: 100 }, { policy: standardPolicy(() => undefined), probePath: '/system', events });

const post = async (orthanc: RunningOrthanc, file: string): Promise<string> => (await uploadToOrthanc(orthanc, file)).ID;

/** Follows in the background, keeping every event; `until` resolves once a predicate holds. */
const follow = (options: FollowOptions) => {
  const events: FollowEvent[] = [];
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const done = (async () => {
    for await (const event of followChanges(options)) {
      events.push(event);
      for (const waiter of waiters.filter((w) => w.test())) waiter.resolve();
    }
  })();
  const until = (test: (events: FollowEvent[]) => boolean): Promise<void> =>
    test(events) ? Promise.resolve() : new Promise((resolve) => waiters.push({ test: () => test(events), resolve }));
  const instances = (): string[] => events.flatMap((event) => (event.kind === 'instance' ? [event.id] : []));
  return { events, done, until, instances };
};

describe('following a running Orthanc', () => {
  it('yields, in order, the instances stored from the noted sequence on (one stored before following began too), their Date read as UTC', async () => {
    // Pago Pago is 11 hours behind UTC: a Date written in local time would read as 11 hours old.
    const orthanc = await startOrthanc({ env: { TZ: 'Pacific/Pago_Pago' } });
    await post(orthanc, FILES[0] ?? '');
    const client = clientOf(orthanc);
    const since = await noteChangeSequence(client);
    expect(since).toBeGreaterThan(0);
    const between = await post(orthanc, FILES[1] ?? ''); // stored during the "bulk listing"
    const controller = new AbortController();
    const run = follow({ client, since, signal: controller.signal, untilIdleMs: undefined, pollMs: 100 });
    const later = [await post(orthanc, FILES[2] ?? ''), await post(orthanc, FILES[3] ?? '')];
    await run.until(() => run.instances().length === 3);
    controller.abort();
    await run.done;
    await client.close();
    expect(run.instances()).toEqual([between, ...later]);
    const seen = run.events.filter((event) => event.kind === 'instance');
    expect(seen.map((event) => event.seq)).toEqual([...seen.map((event) => event.seq)].sort((a, b) => a - b));
    for (const event of seen) expect(lagSeconds(event.date, Date.now())).toBeLessThan(3600);
  });

  it('pages through a backlog larger than a page, saying how far behind it is, and ends once idle', async () => {
    const orthanc = await startOrthanc();
    const client = clientOf(orthanc);
    const since = await noteChangeSequence(client);
    const stored: string[] = [];
    for (const file of FILES) stored.push(await post(orthanc, file));
    const run = follow({ client, since, signal: undefined, untilIdleMs: 0, pollMs: 100, pageSize: 3 });
    await run.done; // no signal: only the quiet log ends it
    await client.close();
    expect(run.instances()).toEqual(stored);
    const lags = run.events.filter((event) => event.kind === 'lag');
    expect(lags.length).toBeGreaterThan(3);
    expect(lags[0]).toMatchObject({ kind: 'lag', behindChanges: expect.any(Number) as number });
    expect(lags[0]?.kind === 'lag' && lags[0].behindChanges).toBeGreaterThan(0);
    expect(lags.at(-1)).toEqual({ kind: 'lag', behindChanges: 0, lagSeconds: 0 });
  });

  it('--until-idle: goes on while changes come, ends once none came for that long', async () => {
    const orthanc = await startOrthanc();
    const client = clientOf(orthanc);
    const run = follow({ client, since: await noteChangeSequence(client), signal: undefined, untilIdleMs: 1500, pollMs: 100 });
    const id = await post(orthanc, FILES[4] ?? '');
    await run.done;
    await client.close();
    expect(run.instances()).toEqual([id]);
  });

  it('ends promptly when aborted during the wait between two reads', async () => {
    const orthanc = await startOrthanc();
    const client = clientOf(orthanc);
    const controller = new AbortController();
    const run = follow({ client, since: await noteChangeSequence(client), signal: controller.signal, untilIdleMs: undefined, pollMs: 600_000 });
    await run.until((events) => events.some((event) => event.kind === 'lag')); // caught up: now in a 10-minute wait
    controller.abort();
    const ended = await Promise.race([run.done.then(() => 'ended'), sleep(30_000).then(() => 'still waiting')]);
    await client.close();
    expect(ended).toBe('ended');
  });

  it('counts the changes a deletion on the source removed from its log, and yields what is still there', async () => {
    const orthanc = await startOrthanc();
    const client = clientOf(orthanc);
    const since = await noteChangeSequence(client);
    const deleted = await post(orthanc, FILES[5] ?? '');
    await orthancJson(orthanc, `/instances/${deleted}`, { method: 'DELETE' });
    const kept = await post(orthanc, FILES[6] ?? '');
    const run = follow({ client, since, signal: undefined, untilIdleMs: 0, pollMs: 100 });
    await run.done;
    await client.close();
    // Orthanc logs no deletion: the deleted instance's own changes are gone from the log.
    expect(run.events.some((event) => event.kind === 'instance' && event.id === deleted)).toBe(false);
    expect(run.events.find((event) => event.kind === 'vanished')).toEqual({ kind: 'vanished', changes: expect.any(Number) as number, afterSeq: since });
    expect(run.instances()).toEqual([kept]);
  });

  it('pauses while the source restarts (same storage, same port) and goes on from where it was, losing nothing', async () => {
    const first = await startOrthanc();
    const outage: string[] = [];
    const client = clientOf(first, { onDown: () => outage.push('down'), onUp: () => outage.push('up') });
    const controller = new AbortController();
    const run = follow({ client, since: await noteChangeSequence(client), signal: controller.signal, untilIdleMs: undefined, pollMs: 100 });
    const before = await post(first, FILES[7] ?? '');
    await run.until(() => run.instances().length === 1);
    await first.stop();
    while (!outage.includes('down')) await sleep(50); // following has met the source away
    const second = await startOrthanc({ storageDir: first.storageDir, port: first.port });
    const after = await post(second, FILES[8] ?? '');
    await run.until(() => run.instances().length === 2);
    controller.abort();
    await run.done;
    await client.close();
    expect(run.instances()).toEqual([before, after]);
    expect(outage).toEqual(['down', 'up']);
    expect(run.events.some((event) => event.kind === 'reset')).toBe(false);
  });

  it('says so, and reads the new log from its start, when the source comes back with another database', async () => {
    const first = await startOrthanc();
    for (const file of FILES.slice(0, 4)) await post(first, file);
    const client = clientOf(first);
    const since = await noteChangeSequence(client);
    const controller = new AbortController();
    const run = follow({ client, since, signal: controller.signal, untilIdleMs: undefined, pollMs: 100 });
    await run.until((events) => events.some((event) => event.kind === 'lag'));
    await first.stop();
    const second = await startOrthanc({ port: first.port }); // a fresh storage: its log starts again
    const id = await post(second, FILES[0] ?? '');
    await run.until(() => run.instances().length === 1);
    controller.abort();
    await run.done;
    await client.close();
    expect(run.events.find((event) => event.kind === 'reset')).toEqual({ kind: 'reset', position: since, last: expect.any(Number) as number });
    expect(run.instances()).toEqual([id]);
  });
});
