// The progress line, the same on a terminal and in plain lines: how far (of the total when the
// source knows it), how long still, how fast now and on average, and what became of the files.
import type { FollowState, SourceCount } from '../core/events.js';
import { describeMoment } from '../core/schedule.js';
import { countOf, formatBytes, formatCount, formatDuration, formatRate, twoDigits } from '../core/units.js';
import type { Tally } from '../record/report.js';
import type { ProgressCounts } from './progress-counts.js';

/** What the line is drawn from. */
export interface LineState {
  readonly tally: Tally | undefined;
  readonly counts: ProgressCounts;
  readonly total: SourceCount | undefined;
  /** Seconds worked so far (pauses outside --schedule left out). */
  readonly workedSeconds: number;
  /** Items and this run's bytes per second over the last moments. */
  readonly current: { readonly items: number; readonly bytes: number } | undefined;
  readonly following: FollowState | undefined;
  readonly pausedUntil: Date | undefined;
  /** What a delivered instance is called: delivered, found (an inventory), on the target (a check). */
  readonly delivered: string;
}

const percent = (done: number, total: number): string => (total === 0 ? '100%' : `${Math.min(100, (done / total) * 100).toFixed(1)}%`);

// How far: "1,234/14,000 instances (8.8%), 12,766 left", or the count found so far, or the count alone.
const howFar = (done: number, total: SourceCount | undefined): string => {
  if (total === undefined) return `${countOf(done, 'file')} done`;
  const unit = total.unit === 'instances' ? 'instance' : 'file';
  if (!total.final) return `${formatCount(done)} of ${countOf(total.items, unit)} found so far`;
  const left = Math.max(0, total.items - done);
  return `${formatCount(done)}/${countOf(total.items, unit)} (${percent(done, total.items)}), ${formatCount(left)} left`;
};

// The time left at the current rate (the average when the window has none yet); none without a whole total.
const eta = (done: number, total: SourceCount | undefined, rate: number): string | undefined => {
  if (total?.final !== true || done >= total.items) return undefined;
  return rate > 0 ? `ETA ${formatDuration((total.items - done) / rate)}` : 'ETA unknown';
};

// What --follow adds once the bulk copy is done.
export const followPart = ({ behindChanges, lagSeconds, followedInstances, deletions, vanishedChanges }: FollowState): string => {
  const gone = deletions + vanishedChanges === 0 ? '' : `, deletions seen on the source: ${countOf(deletions, 'instance')}, ${countOf(vanishedChanges, 'change')}`;
  return `following: ${countOf(behindChanges, 'change')} behind, lag ${lagSeconds === null ? 'unknown' : formatDuration(lagSeconds)} (${countOf(followedInstances, 'new instance')}${gone})`;
};

// Why: the one line both displays show.
export const progressLine = (state: LineState): string => {
  const parts: string[] = [];
  const { tally, counts } = state;
  if (tally !== undefined || state.total !== undefined) {
    const done = tally?.items ?? 0;
    // Less than a second of work says nothing of a rate.
    const seconds = Math.max(state.workedSeconds, 1);
    const average = done / seconds;
    parts.push(howFar(done, state.total));
    const left = eta(done, state.total, state.current?.items ?? average);
    if (left !== undefined) parts.push(left);
    const now = state.current === undefined ? '' : `${state.current.items.toFixed(1)}/s now, `;
    // The bytes rate counts what this run read and sent itself, not what the journal or the target's listing settled.
    const bytesRate = state.current?.bytes ?? (tally?.thisRunBytes ?? 0) / seconds;
    parts.push(`${now}${average.toFixed(1)}/s average, ${formatRate(bytesRate)}`);
    const what = [`${state.delivered} ${formatCount(counts.delivered)} (${formatBytes(tally?.dicomBytes ?? 0)})`];
    if (counts.skipped > 0) what.push(`skipped ${formatCount(counts.skipped)}`);
    if (counts.notDicom > 0) what.push(`not DICOM ${formatCount(counts.notDicom)}`);
    if (counts.errors > 0) what.push(countOf(counts.errors, 'error'));
    parts.push(what.join(', '));
  }
  if (state.following !== undefined) parts.push(followPart(state.following));
  if (state.pausedUntil !== undefined) parts.push(`paused until ${describeMoment(state.pausedUntil)} (outside the --schedule windows)`);
  return parts.join(' · ');
};

// Why: plain lines go to logs: each starts with the local time, as a person reads it.
export const timestamp = (at: Date): string =>
  `${at.getFullYear()}-${twoDigits(at.getMonth() + 1)}-${twoDigits(at.getDate())} ${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())}`;
