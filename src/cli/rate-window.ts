// The current rate beside the average: a moving window over the last samples, so that a run that
// slowed down (a busy target, a night window) says so instead of showing the average since the start.

/** How far back the current rate looks. */
export const RATE_WINDOW_MS = 20_000;

interface Sample {
  readonly at: number;
  readonly items: number;
  readonly bytes: number;
}

/** Samples of (time, items, bytes), the oldest dropped once out of the window. */
export class RateWindow {
  readonly #samples: Sample[] = [];
  readonly #windowMs: number;

  constructor(windowMs = RATE_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  // Why: notes the counts now; keeps one sample older than the window, as the rate's start.
  sample(at: number, items: number, bytes: number): void {
    this.#samples.push({ at, items, bytes });
    while (this.#samples.length > 2 && (this.#samples[1]?.at ?? at) <= at - this.#windowMs) this.#samples.shift();
  }

  // Why: items and bytes per second over the window; undefined before a second sample, or when the
  // samples are too close together to mean anything.
  rate(): { readonly items: number; readonly bytes: number } | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (first === undefined || last === undefined || last.at - first.at < 1000) return undefined;
    const seconds = (last.at - first.at) / 1000;
    return { items: (last.items - first.items) / seconds, bytes: (last.bytes - first.bytes) / seconds };
  }

  // Why: a pause (outside --schedule) is no slowdown: the window starts again after it.
  reset(): void {
    this.#samples.length = 0;
  }
}
