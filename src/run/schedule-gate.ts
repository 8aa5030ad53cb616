// --schedule in the run: files are taken only inside the windows; outside them the run pauses.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImportEvents } from '../core/events.js';
import { scheduleState, type Schedule } from '../core/schedule.js';

/** Time as the gate sees it: the local wall clock, and a wait that an abort ends early. Injected by the tests. */
export interface GateClock {
  readonly now: () => Date;
  readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

const realClock: GateClock = {
  now: () => new Date(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

/** A pause wakes at least this often to read the clock again (a suspended laptop, a clock set anew). */
const LONGEST_NAP_MS = 60_000;

/**
 * Lets the run's files through inside the schedule's windows and holds the next one outside them,
 * saying when work starts again (events.onSchedule) and counting the time paused. What was already
 * taken finishes; Ctrl-C (the signal) ends a pause at once, and the run stops as it always does.
 */
export class ScheduleGate {
  readonly #schedule: Schedule | undefined;
  readonly #events: ImportEvents;
  readonly #clock: GateClock;
  #pausedMs = 0;
  /** When the current pause began (ms since the epoch); undefined while working. */
  #pausedSince: number | undefined;

  constructor(schedule: Schedule | undefined, events: ImportEvents, clock: GateClock = realClock) {
    this.#schedule = schedule;
    this.#events = events;
    this.#clock = clock;
  }

  // Returns once the schedule lets work go on, or the run is aborted.
  async #open(schedule: Schedule, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      const state = scheduleState(schedule, now);
      if (state.open) {
        if (this.#pausedSince !== undefined) {
          this.#pausedMs += now.getTime() - this.#pausedSince;
          this.#pausedSince = undefined;
          this.#events.onSchedule?.(undefined);
        }
        return;
      }
      if (this.#pausedSince === undefined) {
        this.#pausedSince = now.getTime();
        this.#events.onSchedule?.(state.until);
      }
      if (signal?.aborted === true) return;
      await this.#clock.sleep(Math.min(state.until.getTime() - now.getTime(), LONGEST_NAP_MS), signal);
    }
  }

  // Why: wraps what the run takes files from; without a schedule, it is the items themselves.
  async *within<T>(items: AsyncIterable<T> | Iterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
    const schedule = this.#schedule;
    if (schedule === undefined) {
      yield* items;
      return;
    }
    for await (const item of items) {
      await this.#open(schedule, signal);
      if (signal?.aborted === true) return;
      yield item;
    }
  }

  // Why: the summary tells how long the run waited outside the windows (a pause not over yet included);
  // undefined without a schedule.
  pausedSeconds(): number | undefined {
    if (this.#schedule === undefined) return undefined;
    const ongoing = this.#pausedSince === undefined ? 0 : this.#clock.now().getTime() - this.#pausedSince;
    return (this.#pausedMs + ongoing) / 1000;
  }
}
