// --schedule: the spec's grammar, and when a window opens or closes, in local time (dates built
// from their local parts, so the tests hold in any time zone).
import { describe, expect, it } from 'vitest';
import { usageRefusal } from '../helpers/refusal.js';
import { describeMoment, parseSchedule, scheduleState } from '../../src/core/schedule.js';

// December 2026: the 7th is a Monday, the 5th and 6th a weekend.
const at = (day: number, hours: number, minutes = 0): Date => new Date(2026, 11, day, hours, minutes);

const usageError = (spec: string): Promise<string> => usageRefusal(() => parseSchedule(spec));

describe('parseSchedule', () => {
  it('reads days, day ranges (wrapping over the weekend), times, and whole days', () => {
    const { windows } = parseSchedule('Mon-Fri 19:00-07:00, Sat-Sun');
    expect(windows).toEqual([
      { days: new Set([1, 2, 3, 4, 5]), from: 19 * 60, to: 7 * 60 },
      { days: new Set([6, 0]), from: 0, to: 24 * 60 },
    ]);
    expect(parseSchedule('fri-MON').windows[0]?.days).toEqual(new Set([5, 6, 0, 1]));
    expect(parseSchedule('Wednesday 9:30-24:00').windows).toEqual([{ days: new Set([3]), from: 9 * 60 + 30, to: 24 * 60 }]);
    expect(parseSchedule(' 22:00 - 06:00 ').windows).toEqual([{ days: new Set([0, 1, 2, 3, 4, 5, 6]), from: 22 * 60, to: 6 * 60 }]);
  });

  it('names what is wrong in one line', async () => {
    expect(await usageError('Mon-Fry 19:00-07:00')).toBe("--schedule 'Mon-Fry 19:00-07:00': 'Fry' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)");
    expect(await usageError('Mon 19:60-07:00')).toMatch(/'19:60' is not a time of day/);
    expect(await usageError('Mon 24:00-07:00')).toMatch(/'24:00' is not a time of day \(HH:MM, 00:00 to 23:59\)/);
    expect(await usageError('Mon 7-9')).toMatch(/'7' is not a time of day/);
    expect(await usageError('Mon 19:00')).toMatch(/'Mon 19:00' is not a window: expected DAYS, DAYS HH:MM-HH:MM or HH:MM-HH:MM/);
    expect(await usageError('Mon,,Tue')).toMatch(/an empty window/);
    expect(await usageError('Sat-Sun,')).toMatch(/an empty window/);
    expect(await usageError('  ')).toMatch(/^--schedule ' {2}': empty/);
    expect(await usageError('Mon 08:00-08:00')).toMatch(/starts and ends at the same time/);
  });
});

describe('scheduleState', () => {
  const nights = parseSchedule('Mon-Fri 19:00-07:00, Sat-Sun');

  it('is open from 19:00 of a listed day to 07:00 the next morning', () => {
    expect(scheduleState(nights, at(8, 18, 59))).toEqual({ open: false, until: at(8, 19) });
    expect(scheduleState(nights, at(8, 19))).toEqual({ open: true, until: at(9, 7) });
    expect(scheduleState(nights, at(9, 3))).toEqual({ open: true, until: at(9, 7) });
    expect(scheduleState(nights, at(9, 7))).toEqual({ open: false, until: at(9, 19) });
  });

  it('joins Friday night to the weekend, which ends at midnight on Sunday (Mon 00:00-07:00 is not listed)', () => {
    expect(scheduleState(nights, at(4, 20))).toEqual({ open: true, until: at(7, 0) });
    expect(scheduleState(nights, at(6, 12))).toEqual({ open: true, until: at(7, 0) });
    expect(scheduleState(nights, at(7, 0))).toEqual({ open: false, until: at(7, 19) });
  });

  it('finds the next window days ahead, and a window that never closes', () => {
    expect(scheduleState(parseSchedule('Sun 10:00-11:00'), at(7, 12))).toEqual({ open: false, until: at(13, 10) });
    expect(scheduleState(parseSchedule('Mon-Sun'), at(7, 12))).toEqual({ open: true, until: undefined });
    expect(scheduleState(parseSchedule('Mon-Sat, Sun 00:00-24:00'), at(9, 1))).toEqual({ open: true, until: undefined });
    expect(scheduleState(parseSchedule('Thu-Wed'), at(9, 1))).toEqual({ open: true, until: undefined });
  });

  it('names a moment as the progress shows it', () => {
    expect(describeMoment(at(7, 19))).toBe('Mon 19:00');
    expect(describeMoment(at(5, 7, 5))).toBe('Sat 07:05');
  });
});
