import { describe, expect, it } from 'vitest';
import { parseInterval } from '../../src/cli/interval.js';

describe('parseInterval', () => {
  it('takes rclone-style durations and bare seconds', () => {
    expect(parseInterval('1s')).toBe(1_000);
    expect(parseInterval('30s')).toBe(30_000);
    expect(parseInterval('2m')).toBe(120_000);
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('1.5s')).toBe(1_500);
    expect(parseInterval('10')).toBe(10_000);
    expect(parseInterval('0')).toBe(0);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', 'fast', '-1s', '1d', '1 minute', '1s2']) expect(parseInterval(text)).toBeUndefined();
  });
});
