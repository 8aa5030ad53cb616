// --schedule 'Mon-Fri 19:00-07:00, Sat-Sun': when a run may work, in local time.
import { ImporterError } from './errors.js';

/** One window of a schedule: on these weekdays (0 = Sunday, as Date.getDay), from..to in minutes of the day. */
interface Window {
  readonly days: ReadonlySet<number>;
  readonly from: number;
  /** At or before `from`: the window ends the next day (19:00-07:00); 1440 is midnight at the day's end. */
  readonly to: number;
}

/** A parsed --schedule: its windows, and the text it came from. */
export interface Schedule {
  readonly spec: string;
  readonly windows: readonly Window[];
}

/** Open now, until when (undefined: it never closes); or closed, until the next window opens. */
type ScheduleState = { readonly open: true; readonly until: Date | undefined } | { readonly open: false; readonly until: Date };

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const DAY_LABELS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const WHOLE_DAY = { from: 0, to: 24 * 60 };
const FORMS = "expected DAYS, DAYS HH:MM-HH:MM or HH:MM-HH:MM (e.g. 'Mon-Fri 19:00-07:00, Sat-Sun')";

const refuse = (spec: string, what: string): never => {
  throw new ImporterError('E_USAGE', `--schedule '${spec}': ${what}`);
};

// 'Mon', 'monday', 'TUE' -> its weekday; anything else is refused by name.
const dayOf = (spec: string, word: string): number => {
  const lower = word.toLowerCase();
  const day = DAY_NAMES.findIndex((name) => lower === name || lower === name.slice(0, 3));
  return day === -1 ? refuse(spec, `'${word}' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`) : day;
};

// 'Mon-Fri' -> Mon..Fri; 'Fri-Mon' wraps over the weekend; one day alone is itself.
const daysOf = (spec: string, first: string, last: string | undefined): Set<number> => {
  const from = dayOf(spec, first);
  const to = last === undefined ? from : dayOf(spec, last);
  const days = new Set<number>([from]);
  for (let day = from; day !== to; ) days.add((day = (day + 1) % 7));
  return days;
};

// 'HH:MM' -> minutes of the day; 24:00 only ends a window.
const minutesOf = (spec: string, text: string, isEnd: boolean): number => {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  const minutes = match === null ? NaN : Number(match[1]) * 60 + Number(match[2]);
  const valid = match !== null && Number(match[2]) < 60 && (minutes < 24 * 60 || (isEnd && minutes === 24 * 60));
  return valid ? minutes : refuse(spec, `'${text}' is not a time of day (HH:MM, 00:00 to ${isEnd ? '24:00' : '23:59'})`);
};

const parseWindow = (spec: string, part: string): Window => {
  const match = /^(?:([a-z]+)(?:\s*-\s*([a-z]+))?)?\s*(?:(\S+?)\s*-\s*(\S+))?$/i.exec(part);
  if (part === '') return refuse(spec, 'an empty window (two commas, or one at an end)');
  if (match === null) return refuse(spec, `'${part}' is not a window: ${FORMS}`);
  const [, first, last, start, end] = match;
  const days = first === undefined ? new Set([0, 1, 2, 3, 4, 5, 6]) : daysOf(spec, first, last);
  if (start === undefined || end === undefined) return { days, ...WHOLE_DAY };
  const from = minutesOf(spec, start, false);
  const to = minutesOf(spec, end, true);
  if (from === to) refuse(spec, `'${part}' starts and ends at the same time (leave the times out for whole days)`);
  return { days, from, to };
};

// Why: a malformed --schedule must stop the run before it starts, with one line naming what is wrong.
export const parseSchedule = (spec: string): Schedule => {
  const trimmed = spec.trim();
  if (trimmed === '') return refuse(spec, `empty: ${FORMS}`);
  return { spec: trimmed, windows: trimmed.split(',').map((part) => parseWindow(trimmed, part.trim())) };
};

/** A window's span on one calendar day, in local time. */
interface Span {
  readonly start: Date;
  readonly end: Date;
}

// The spans of every window from the day before `now` to 8 days after, in local time (a date built
// from its parts stays right across daylight-saving changes), sorted and merged where they touch.
const spansAround = (schedule: Schedule, now: Date): Span[] => {
  const spans: Span[] = [];
  for (let offset = -1; offset <= 8; offset++) {
    const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
    for (const { days, from, to } of schedule.windows) {
      if (!days.has(day.getDay())) continue;
      const at = (dayOffset: number, minutes: number): Date => new Date(day.getFullYear(), day.getMonth(), day.getDate() + dayOffset, 0, minutes);
      spans.push({ start: at(0, from), end: to > from ? at(0, to) : at(1, to) });
    }
  }
  spans.sort((a, b) => a.start.getTime() - b.start.getTime());
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last !== undefined && span.start <= last.end) merged[merged.length - 1] = { start: last.start, end: span.end > last.end ? span.end : last.end };
    else merged.push(span);
  }
  return merged;
};

// Why: the run asks this before taking each file: whether it may work now, and until when (the
// next window's end), or when it may start again (the next window's start).
export const scheduleState = (schedule: Schedule, now: Date): ScheduleState => {
  const spans = spansAround(schedule, now);
  const current = spans.find((span) => span.start <= now && now < span.end);
  if (current !== undefined) {
    // A span that reaches past a week from now is the whole week, every week.
    const horizon = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 8);
    return { open: true, until: current.end >= horizon ? undefined : current.end };
  }
  const next = spans.find((span) => span.start > now);
  // Every window has a day, so one opens within a week.
  if (next === undefined) throw new Error(`the schedule '${schedule.spec}' opens no window within a week`);
  return { open: false, until: next.start };
};

// Why: 'Mon 19:00', as the progress and the summary name a moment within the coming week.
export const describeMoment = (date: Date): string =>
  `${DAY_LABELS[date.getDay()] ?? ''} ${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
