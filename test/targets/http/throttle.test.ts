// --bwlimit: the rate's grammar, the bucket's delays on an injected clock (never wall time), bodies
// shaped piece by piece and shared between uploads, and a shaped body through the real HTTP client.
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { usageRefusal } from '../../helpers/refusal.js';
import { HttpClient } from '../../../src/targets/http/client.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { standardPolicy } from '../../../src/targets/http/policy.js';
import { parseRate, Throttle, type ThrottleClock } from '../../../src/targets/http/throttle.js';
import { resolveOptions } from '../../../src/core/options.js';
import { instanceRefOf } from '../../helpers/dicom-bytes.js';
import { startScriptedServer, stored, type SeenRequest } from '../../helpers/scripted-server.js';

const MiB = 1024 * 1024;

/** A virtual clock: sleeps resolve in the order they end, and the time jumps to each end. */
const virtualTime = (): { clock: ThrottleClock; until: (done: Promise<unknown>) => Promise<void> } => {
  let now = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  const clock: ThrottleClock = { now: () => now, sleep: (ms) => new Promise((resolve) => timers.push({ at: now + ms, resolve })) };
  const until = async (done: Promise<unknown>): Promise<void> => {
    const state = { finished: false };
    void done.finally(() => (state.finished = true));
    while (!state.finished) {
      await new Promise((resolve) => setImmediate(resolve));
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (next === undefined) continue;
      now = Math.max(now, next.at);
      next.resolve();
    }
  };
  return { clock, until };
};

/** Each piece a body yields: when (on the virtual clock), and how many bytes. */
const drain = async (pieces: AsyncIterable<Uint8Array>, clock: ThrottleClock, log: { at: number; bytes: number }[] = []): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const piece of pieces) {
    log.push({ at: clock.now(), bytes: piece.byteLength });
    parts.push(Buffer.from(piece));
  }
  return Buffer.concat(parts);
};

const usageError = (text: string): Promise<string> => usageRefusal(() => parseRate(text));

describe('parseRate', () => {
  it('reads bytes per second with binary k, M, G suffixes', () => {
    expect(parseRate('10M')).toBe(10 * MiB);
    expect(parseRate('512k')).toBe(512 * 1024);
    expect(parseRate('1.5G')).toBe(1.5 * 1024 * MiB);
    expect(parseRate('2000')).toBe(2000);
    expect(parseRate(4096)).toBe(4096);
  });

  it('refuses bits, units, zero and words in one line', async () => {
    expect(await usageError('10Mbit')).toBe("Expected --bwlimit to be bytes per second, optionally with a k, M or G suffix (10M = 10 MiB/s), got '10Mbit'");
    for (const text of ['10MB', '10 M', '0', '-1', 'fast', '', '1T']) expect(await usageError(text)).toContain(`got '${text}'`);
  });
});

describe('Throttle.delayFor', () => {
  it('spaces grants at the rate, with at most 50 ms of catching up, whatever asks', () => {
    let now = 0;
    const throttle = new Throttle(1000, { now: () => now, sleep: () => Promise.resolve() });
    // 100 bytes at 1000 B/s are 100 ms each: the first goes now, the next once the first is 50 ms from done.
    expect([throttle.delayFor(100), throttle.delayFor(100), throttle.delayFor(100)]).toEqual([0, 50, 150]);
    // Later, the bucket has not saved up: after a long silence only the 50 ms of catching up are free.
    now = 10_000;
    expect([throttle.delayFor(100), throttle.delayFor(100), throttle.delayFor(100)]).toEqual([0, 50, 150]);
  });
});

describe('Throttle.pieces', () => {
  it('writes a 20 MB body in pieces at the rate: no burst beyond a piece and 50 ms', async () => {
    const { clock, until } = virtualTime();
    const rate = 10 * MiB;
    const throttle = new Throttle(rate, clock);
    const body = Buffer.alloc(20_000_000);
    for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
    const log: { at: number; bytes: number }[] = [];
    const sent = drain(throttle.pieces(body), clock, log);
    await until(sent);
    expect((await sent).equals(body)).toBe(true);
    expect(Math.max(...log.map((piece) => piece.bytes))).toBe(64 * 1024);
    let total = 0;
    for (const { at, bytes } of log) {
      total += bytes;
      expect(total).toBeLessThanOrEqual((rate * (at + 50)) / 1000 + 64 * 1024);
    }
    // The last piece goes once the bytes before it took their time at the rate, less the 50 ms of catching up.
    const before = body.length - (body.length % (64 * 1024));
    expect(log.at(-1)?.at).toBeCloseTo((before * 1000) / rate - 50, 6);
  });

  it('shares the rate between bodies in flight, piece by piece', async () => {
    const { clock, until } = virtualTime();
    const throttle = new Throttle(MiB, clock);
    const logs = [[], []] as { at: number; bytes: number }[][];
    const both = Promise.all(logs.map((log) => drain(throttle.pieces(Buffer.alloc(MiB)), clock, log)));
    await until(both);
    // Alone, each would end by 1 s; together, both end near 2 s, and each sent about half by 1 s.
    for (const log of logs) {
      expect(log.at(-1)?.at).toBeGreaterThan(1900);
      const byOneSecond = log.filter((piece) => piece.at <= 1000).reduce((sum, piece) => sum + piece.bytes, 0);
      expect(Math.abs(byOneSecond - MiB / 2)).toBeLessThanOrEqual(2 * 52_428);
    }
  });

  it('reads a streamed body only as its pieces go (memory stays bounded)', async () => {
    const { clock, until } = virtualTime();
    const throttle = new Throttle(MiB, clock);
    let produced = 0;
    const source = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        if (produced >= 4 * MiB) this.push(null);
        else this.push(Buffer.alloc(64 * 1024, (produced += 64 * 1024) % 256));
      },
    });
    let consumed = 0;
    let ahead = 0;
    const pieces = (async () => {
      for await (const piece of throttle.pieces(source)) {
        consumed += piece.byteLength;
        ahead = Math.max(ahead, produced - consumed);
      }
    })();
    await until(pieces);
    expect(consumed).toBe(4 * MiB);
    expect(ahead).toBeLessThanOrEqual(4 * 64 * 1024);
  });
});

describe('Throttle.shape', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes a streamed body that was never written, and waits 300 s for the answer from the body end only', async () => {
    const throttle = new Throttle(100 * MiB);
    const unread = new Readable({ read: () => undefined });
    throttle.shape(unread).answered();
    expect(unread.destroyed).toBe(true);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const silent = throttle.shape(new Uint8Array(1000));
    for await (const piece of silent.body as AsyncIterable<Buffer>) expect(piece.byteLength).toBe(1000);
    vi.advanceTimersByTime(299_999);
    expect(silent.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(silent.signal.reason).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });

    const answering = throttle.shape(new Uint8Array(1000));
    for await (const piece of answering.body as AsyncIterable<Buffer>) expect(piece.byteLength).toBe(1000);
    answering.answered();
    vi.advanceTimersByTime(300_000);
    expect(answering.signal.aborted).toBe(false);
  });

  it('sends in-memory and streamed bodies whole through the HTTP client, on each attempt', async () => {
    const seen: SeenRequest[] = [];
    const server = await startScriptedServer((index, request, response) => {
      seen.push(request);
      // The first upload's connection is cut: its body is shaped again on the retry.
      if (index === 0) response.destroy();
      else response.writeHead(200).end('{}');
    }, { keepBodies: true });
    const throttle = new Throttle(8 * MiB);
    const client = new HttpClient(parseEndpoint(server.url, {}), { concurrency: 2, retries: 2, retryDelayMs: 1, retryTimeoutMs: 1000, throttle }, { policy: standardPolicy(() => undefined), probePath: '/' });
    try {
      const body = Buffer.alloc(300_000);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 256;
      const memory = await client.send({ method: 'POST', path: '/instances', body, size: body.length });
      const streamed = await client.send({ method: 'POST', path: '/instances', body: () => Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), size: body.length });
      expect([memory.kind, streamed.kind]).toEqual(['answer', 'answer']);
      expect(seen.slice(1).map((request) => request.body.equals(body))).toEqual([true, true]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('--bwlimit in a run', () => {
  it("shapes an Orthanc target's uploads with the options' bucket", async () => {
    const server = await startScriptedServer((_index, _request, response) => {
      stored(response);
    });
    // The run's own bucket, counted: what it grants is what the target was sent.
    let granted = 0;
    const counted = new (class extends Throttle {
      override delayFor(bytes: number): number {
        granted += bytes;
        return super.delayFor(bytes);
      }
    })(100 * MiB);
    const options = { ...resolveOptions({ source: 's', target: server.url, retries: 0, bwlimit: '100M' }), throttle: counted };
    const target = options.target?.open(options, {});
    try {
      const { ref, bytes } = instanceRefOf();
      await target?.assess();
      expect(await target?.put(ref, bytes)).toMatchObject({ kind: 'stored' });
      expect(granted).toBe(bytes.byteLength);
      expect(server.requests.find((request) => request.method === 'POST')?.bodyLength).toBe(bytes.byteLength);
    } finally {
      await target?.close();
      await server.close();
    }
  });
});
