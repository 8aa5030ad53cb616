// An interval as rclone's --stats takes it: 500ms, 1s, 30s, 2m, 1h, or a bare number of seconds;
// 0 turns the lines off.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// Why: --stats DURATION, in milliseconds; undefined when the text is not an interval.
export const parseInterval = (text: string): number | undefined => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (match === null) return undefined;
  const [, amount = '', unit = 's'] = match;
  return Math.round(Number(amount) * (UNIT_MS[unit.toLowerCase()] ?? 1000));
};
