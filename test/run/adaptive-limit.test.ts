// The adaptive limit of uploads in flight against modelled targets (an injected clock: no timing).
import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../src/run/adaptive-limit.js';

const BYTES = 300_000;

/** A target whose throughput (bytes/s) depends on the uploads in flight. */
type Model = (inFlight: number) => number;

// Runs `windows` windows of puts at the throughput the model gives for the limit of the moment;
// returns the limits seen, window by window.
const simulate = (limit: AdaptiveLimit, model: Model, windows: number, clock: { now: number }, noise: (window: number) => number = () => 1): number[] => {
  const seen: number[] = [];
  for (let window = 0; window < windows; window++) {
    const inFlight = limit.value;
    seen.push(inFlight);
    const rate = model(inFlight) * noise(window);
    // Enough puts to close a window of at least a second.
    const puts = Math.max(2 * inFlight, Math.ceil((rate * 1.05) / BYTES));
    for (let put = 0; put < puts && limit.value === inFlight; put++) {
      clock.now += (BYTES / rate) * 1000;
      limit.add({ bytes: BYTES, failed: false });
    }
  }
  return seen;
};

const start = (): { limit: AdaptiveLimit; clock: { now: number } } => {
  const clock = { now: 0 };
  return { limit: new AdaptiveLimit({ start: 4, min: 2, max: 32 }, () => clock.now), clock };
};

describe('AdaptiveLimit', () => {
  it('grows on a far link until more uploads stop paying, and stays near there', () => {
    const { limit, clock } = start();
    // Each upload in flight adds 2.5 MB/s until the link is full at 25 MB/s (10 in flight).
    const seen = simulate(limit, (n) => Math.min(n * 2.5e6, 25e6), 60, clock);
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(10);
    // Probes a quarter below and half above the knee now and then, and returns to it.
    expect(seen.slice(-20).every((n) => n >= 7 && n <= 16)).toBe(true);
    expect(limit.value).toBeGreaterThanOrEqual(10);
    expect(limit.value).toBeLessThanOrEqual(15);
    expect(limit.moves).toMatchObject({ start: 4 });
  });

  it('stays low against a target that is busy whatever the number in flight', () => {
    const { limit, clock } = start();
    const seen = simulate(limit, () => 40e6, 60, clock);
    expect(seen.slice(-20).every((n) => n <= 6)).toBe(true);
  });

  it('comes back down when the throughput falls with more in flight (an overloaded target)', () => {
    const { limit, clock } = start();
    // Best at 6, worse beyond (threads fighting for two cores).
    const seen = simulate(limit, (n) => (n <= 6 ? n * 5e6 : Math.max(5e6, 30e6 - (n - 6) * 3e6)), 60, clock);
    expect(seen.slice(-20).every((n) => n >= 4 && n <= 9)).toBe(true);
  });

  it('does not run away on noisy measurements of a flat throughput', () => {
    const { limit, clock } = start();
    // ±10% noise, deterministic.
    const noise = (window: number): number => 1 + 0.1 * Math.sin(window * 2.3);
    const seen = simulate(limit, () => 40e6, 120, clock, noise);
    expect(Math.max(...seen.slice(-40))).toBeLessThanOrEqual(13);
  });

  it('halves at once when a put fails, never below its minimum, never above its maximum', () => {
    const { limit, clock } = start();
    simulate(limit, (n) => n * 10e6, 40, clock);
    expect(limit.value).toBe(32);
    limit.add({ bytes: 0, failed: true });
    expect(limit.value).toBe(16);
    for (let k = 0; k < 10; k++) limit.add({ bytes: 0, failed: true });
    expect(limit.value).toBe(2);
    expect(limit.moves).toEqual({ start: 4, largest: 32, final: 2 });
  });

  it('says nothing of a run that uploaded nothing', () => {
    const { limit } = start();
    expect(limit.moves).toBeUndefined();
  });

  it('measures nothing across a gap without uploads (a pause, an outage): a probe is judged on uploads alone', () => {
    const { limit, clock } = start();
    // An hour before the first upload (the listing of a large target, a closed --schedule window).
    // Counted, that hour would make the first window's rate next to nothing, and the probe after it
    // would look like a gain at any rate: the limit would climb 4 -> 6 -> 9.
    clock.now += 3_600_000;
    const seen = simulate(limit, () => 40e6, 2, clock);
    expect(seen).toEqual([4, 6]);
    // Judged on the flat 40 MB/s alone, the probe to 6 is undone and a lower limit tried.
    expect(limit.value).toBeLessThan(4);
  });
});
