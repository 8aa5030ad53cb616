// Numbers as people read them, in one place for the summary, the progress line and the messages:
// sizes in binary units (a 3 TiB storage, not 3145728.0 MB), durations as 1h 02m 05s, counts with
// thousands separators, and nouns that agree with their count.

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

// Why: a size in the largest binary unit that keeps it at 1 or more: 512 B, 1.5 KiB, 20.7 MiB,
// 3.00 TiB (three significant digits from 1 to 999.9 of a unit; whole bytes below 1 KiB).
export const formatBytes = (bytes: number): string => {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Number.isFinite(bytes) ? Math.max(0, Math.round(bytes)) : 0} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 MiB rounds to 1024.0: said as the next unit.
  if (value >= 1023.95 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${BYTE_UNITS[unit] ?? 'PiB'}`;
};

// Why: a rate of bytes per second, in the same units.
export const formatRate = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`;

// Why: 7 -> '07', for clock times and durations.
export const twoDigits = (value: number): string => String(value).padStart(2, '0');

// Why: a duration as people read it: 0.4s, 42s, 2m 05s, 1h 02m 05s, 3d 04h 12m (seconds are left
// out past a day).
export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const [days, hours, minutes, secs] = [Math.floor(whole / 86_400), Math.floor((whole % 86_400) / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  if (days > 0) return `${days}d ${twoDigits(hours)}h ${twoDigits(minutes)}m`;
  if (hours > 0) return `${hours}h ${twoDigits(minutes)}m ${twoDigits(secs)}s`;
  return `${minutes}m ${twoDigits(secs)}s`;
};

// Why: 12345 -> '12,345', as toLocaleString('en-US') writes it, without the number format its
// first call sets up (milliseconds that a run answered from the journal would notice).
export const formatCount = (count: number): string => String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

// Why: a count and its noun, agreeing: 1 file, 2 files, 1,204 instances (`plural` when not noun + s).
export const countOf = (count: number, noun: string, plural = `${noun}s`): string => `${formatCount(count)} ${count === 1 ? noun : plural}`;
