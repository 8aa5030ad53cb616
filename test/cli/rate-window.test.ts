import { describe, expect, it } from 'vitest';
import { RateWindow } from '../../src/cli/rate-window.js';

describe('RateWindow', () => {
  it('gives the rate over the last window, not since the start', () => {
    const window = new RateWindow(10_000);
    window.sample(0, 0, 0);
    expect(window.rate()).toBeUndefined(); // one sample: no rate
    window.sample(500, 50, 0);
    expect(window.rate()).toBeUndefined(); // half a second says nothing
    // 100/s for 20 s, then 10/s for 20 s: the window sees the slowdown, the average would not.
    for (let t = 1_000; t <= 20_000; t += 1_000) window.sample(t, t / 10, t * 1_000);
    expect(window.rate()?.items).toBeCloseTo(100, 5);
    for (let t = 21_000; t <= 40_000; t += 1_000) window.sample(t, 2_000 + (t - 20_000) / 100, 0);
    expect(window.rate()?.items).toBeCloseTo(10, 5);
    expect(window.rate()?.bytes).toBe(0);
  });

  it('starts again after a reset (a pause is no slowdown)', () => {
    const window = new RateWindow(10_000);
    window.sample(0, 0, 0);
    window.sample(5_000, 500, 0);
    window.reset();
    window.sample(60_000, 500, 0);
    expect(window.rate()).toBeUndefined();
    window.sample(62_000, 520, 0);
    expect(window.rate()?.items).toBeCloseTo(10, 5);
  });
});
