// How many uploads are in flight when the user did not fix it (--concurrency): start with a few,
// grow while throughput grows, back off when it does not or when puts fail. A far target needs many
// uploads in flight to fill its link (each waits a round trip); a near one is slowed by more than
// it can take (its threads compete for the same cores).
import type { UploadsInFlight } from '../record/report.js';

/** Where the limit starts, and its bounds. */
interface LimitBounds {
  readonly start: number;
  readonly min: number;
  readonly max: number;
}

/** The clock the windows are measured with (injected by tests). */
type Clock = () => number;

/**
 * A window closes once it has lasted this long and seen enough puts (twice the limit): shorter
 * ones measure the noise of a few large files rather than the link.
 */
const WINDOW_MS = 1000;
/**
 * A gap this long without a put finishing (a --schedule pause, an outage, --follow waiting, a slow
 * source) says nothing of the link: the window is begun again after it.
 */
const IDLE_MS = 5000;
/** A probe upwards must raise the throughput this much over the window before it to be kept. */
const GAIN = 1.08;
/** A probe downwards is kept unless the throughput fell more than this: fewer uploads for the same rate. */
const LOSS = 0.95;
/** Windows to wait before probing again after a probe, doubling while probes change nothing. */
const FIRST_HOLD = 2;
const LONGEST_HOLD = 16;

/** The limit's state between windows. */
type Phase =
  | { readonly kind: 'measuring' }
  /** `from`: the limit before the probe, and the throughput measured there. */
  | { readonly kind: 'up' | 'down'; readonly from: number; readonly rate: number }
  | { readonly kind: 'holding'; readonly windows: number };

/** A put as the limit sees it: the bytes it carried, and whether it failed. */
interface PutSample {
  readonly bytes: number;
  readonly failed: boolean;
}

/**
 * The uploads allowed in flight, adjusted window by window: a probe raises it by half, and stays
 * if the throughput (bytes put per second) rose with it; otherwise it returns and probes a quarter
 * lower, which stays unless the throughput fell, then waits longer before the next probe. So the
 * limit settles where more uploads stop paying: a full link, or a busy target. A failed put halves
 * it at once.
 */
export class AdaptiveLimit {
  #value: number;
  readonly #bounds: LimitBounds;
  readonly #now: Clock;
  #phase: Phase = { kind: 'measuring' };
  #hold = FIRST_HOLD;
  #windowStart: number;
  #windowBytes = 0;
  #windowPuts = 0;
  #lastPut: number;
  /** For the run's summary: the largest limit reached, and the uploads counted. */
  #largest: number;
  #puts = 0;

  constructor(bounds: LimitBounds, now: Clock = () => performance.now()) {
    this.#bounds = bounds;
    this.#value = bounds.start;
    this.#largest = bounds.start;
    this.#now = now;
    this.#windowStart = now();
    this.#lastPut = this.#windowStart;
  }

  // Why: the pipeline reads it each time it could start another upload.
  get value(): number {
    return this.#value;
  }

  // Why: the summary says where the limit went (nothing when no upload was counted).
  get moves(): UploadsInFlight | undefined {
    return this.#puts === 0 ? undefined : { start: this.#bounds.start, largest: this.#largest, final: this.#value };
  }

  // Counts one finished put; closes the window when it is long enough, and moves the limit.
  add(sample: PutSample): void {
    this.#puts += 1;
    const now = this.#now();
    const idle = now - this.#lastPut >= IDLE_MS;
    this.#lastPut = now;
    if (idle) this.#restart();
    if (sample.failed) {
      this.#set(Math.max(this.#bounds.min, Math.floor(this.#value / 2)));
      this.#phase = { kind: 'holding', windows: LONGEST_HOLD };
      this.#restart();
      return;
    }
    this.#windowBytes += sample.bytes;
    this.#windowPuts += 1;
    const elapsed = now - this.#windowStart;
    if (elapsed < WINDOW_MS || this.#windowPuts < 2 * this.#value) return;
    this.#close((this.#windowBytes * 1000) / elapsed);
  }

  #close(rate: number): void {
    const phase = this.#phase;
    this.#restart();
    switch (phase.kind) {
      case 'up':
        if (rate >= phase.rate * GAIN) {
          this.#hold = FIRST_HOLD;
          this.#probe('up', rate);
        } else {
          // More uploads did not pay: back where it was, and see whether fewer lose anything.
          this.#set(phase.from);
          this.#probe('down', phase.rate);
        }
        return;
      case 'down':
        if (rate < phase.rate * LOSS) this.#set(phase.from);
        this.#phase = { kind: 'holding', windows: this.#hold };
        this.#hold = Math.min(LONGEST_HOLD, this.#hold * 2);
        return;
      case 'holding':
        if (phase.windows > 1) {
          this.#phase = { kind: 'holding', windows: phase.windows - 1 };
          return;
        }
        this.#probe('up', rate);
        return;
      case 'measuring':
        this.#probe('up', rate);
    }
  }

  // Moves the limit up by half or down by a quarter (at least one), unless it is at that bound.
  #probe(direction: 'up' | 'down', rate: number): void {
    const { min, max } = this.#bounds;
    const next = direction === 'up' ? Math.min(max, this.#value + Math.max(1, Math.floor(this.#value / 2))) : Math.max(min, this.#value - Math.max(1, Math.floor(this.#value / 4)));
    if (next === this.#value) {
      this.#phase = { kind: 'holding', windows: this.#hold };
      return;
    }
    this.#phase = { kind: direction, from: this.#value, rate };
    this.#set(next);
  }

  #set(value: number): void {
    this.#value = value;
    this.#largest = Math.max(this.#largest, value);
  }

  #restart(): void {
    this.#windowStart = this.#now();
    this.#windowBytes = 0;
    this.#windowPuts = 0;
  }
}
