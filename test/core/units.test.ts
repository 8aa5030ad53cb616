import { describe, expect, it } from 'vitest';
import { countOf, formatBytes, formatCount, formatDuration, formatRate } from '../../src/core/units.js';

describe('units', () => {
  it('writes sizes in binary units, three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(20.7 * 1024 ** 2)).toBe('20.7 MiB');
    expect(formatBytes(1024 ** 2 - 1)).toBe('1.00 MiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.00 TiB');
    expect(formatBytes(3145728.0 * 1e6)).toBe('2.86 TiB');
    expect(formatBytes(Number.NaN)).toBe('0 B');
    expect(formatRate(12.5 * 1024 ** 2)).toBe('12.5 MiB/s');
  });

  it('writes durations as people read them', () => {
    expect(formatDuration(0.42)).toBe('0.4s');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(125)).toBe('2m 05s');
    expect(formatDuration(3725)).toBe('1h 02m 05s');
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 12 * 60 + 30)).toBe('3d 04h 12m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('groups thousands and makes nouns agree with their count', () => {
    expect(formatCount(1_234_568)).toBe('1,234,568');
    expect(formatCount(999)).toBe('999');
    expect(countOf(1, 'file')).toBe('1 file');
    expect(countOf(0, 'file')).toBe('0 files');
    expect(countOf(12_000, 'study', 'studies')).toBe('12,000 studies');
  });
});
