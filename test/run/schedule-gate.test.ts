// --schedule in a run: files are taken inside the windows only, on an injected clock (no test sleeps).
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../src/core/schedule.js';
import { ScheduleGate, type GateClock } from '../../src/run/schedule-gate.js';

// December 2026: the 7th is a Monday.
const at = (day: number, hours: number, minutes = 0): Date => new Date(2026, 11, day, hours, minutes);

/** A wall clock the test moves: each sleep ends once the time reaches its end, or on abort. */
const movableClock = (start: Date): { clock: GateClock; moveTo: (date: Date) => Promise<void>; naps: number[] } => {
  let now = start;
  const naps: number[] = [];
  const sleepers: { at: number; wake: () => void }[] = [];
  const clock: GateClock = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        naps.push(ms);
        const wake = (): void => {
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        sleepers.push({ at: now.getTime() + ms, wake });
        signal?.addEventListener('abort', wake, { once: true });
      }),
  };
  // Moves the time forward, waking each sleeper whose nap ended, as often as they nap again.
  const moveTo = async (date: Date): Promise<void> => {
    for (let turn = 0; turn < 10_000; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      const due = sleepers.findIndex((sleeper) => sleeper.at <= date.getTime());
      if (due === -1) break;
      const [sleeper] = sleepers.splice(due, 1);
      now = new Date(Math.max(now.getTime(), sleeper?.at ?? 0));
      sleeper?.wake();
    }
    now = date;
  };
  return { clock, moveTo, naps };
};

const pulled = <T>(items: AsyncGenerator<T>): { taken: T[]; done: Promise<void> } => {
  const taken: T[] = [];
  const done = (async () => {
    for await (const item of items) taken.push(item);
  })();
  return { taken, done };
};

describe('ScheduleGate', () => {
  it('holds the files while the window is closed, says until when, and lets them through once the clock opens it', async () => {
    const { clock, moveTo, naps } = movableClock(at(7, 18));
    const said: (Date | undefined)[] = [];
    const gate = new ScheduleGate(parseSchedule('Mon-Fri 19:00-07:00'), { onSchedule: (until) => said.push(until) }, clock);
    const { taken, done } = pulled(gate.within([1, 2, 3], undefined));
    await moveTo(at(7, 18, 59));
    expect(taken).toEqual([]);
    expect(said).toEqual([at(7, 19)]);
    // It naps a minute at most, to read the clock again.
    expect(Math.max(...naps)).toBe(60_000);
    await moveTo(at(7, 19, 0));
    await done;
    expect(taken).toEqual([1, 2, 3]);
    expect(said).toEqual([at(7, 19), undefined]);
    expect(gate.pausedSeconds()).toBe(3600);
  });

  it('stops taking files when the window closes, and takes the next at the next window', async () => {
    const { clock, moveTo } = movableClock(at(8, 6, 59));
    const said: (Date | undefined)[] = [];
    const gate = new ScheduleGate(parseSchedule('Mon-Fri 19:00-07:00'), { onSchedule: (until) => said.push(until) }, clock);
    const items = gate.within(['a', 'b'], undefined);
    expect(await items.next()).toEqual({ done: false, value: 'a' });
    await moveTo(at(8, 7));
    const next = items.next();
    await moveTo(at(8, 18));
    expect(said).toEqual([at(8, 19)]);
    await moveTo(at(8, 19));
    expect(await next).toEqual({ done: false, value: 'b' });
    expect(gate.pausedSeconds()).toBe(12 * 3600);
  });

  it('ends a pause at once on Ctrl-C, taking nothing more, and counts the pause up to then', async () => {
    const { clock, moveTo } = movableClock(at(7, 12));
    const gate = new ScheduleGate(parseSchedule('Sat-Sun'), {}, clock);
    const controller = new AbortController();
    const { taken, done } = pulled(gate.within([1, 2], controller.signal));
    await moveTo(at(7, 13));
    controller.abort();
    await done;
    expect(taken).toEqual([]);
    expect(gate.pausedSeconds()).toBe(3600);
  });

  it('without a schedule, is the items themselves and counts no pause', async () => {
    const gate = new ScheduleGate(undefined, {}, { now: () => { throw new Error('no clock without a schedule'); }, sleep: () => Promise.reject(new Error('no sleep')) });
    const { taken, done } = pulled(gate.within([1, 2], undefined));
    await done;
    expect(taken).toEqual([1, 2]);
    expect(gate.pausedSeconds()).toBeUndefined();
  });
});
