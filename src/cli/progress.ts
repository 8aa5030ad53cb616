import type { Ora } from 'ora';
import type { FollowState } from '../core/events.js';
import { describeMoment } from '../core/schedule.js';
import type { Tally } from '../record/report.js';

/** How the CLI shows a run in progress. */
export interface Progress {
  readonly update: (tally: Tally) => void;
  /** --follow, once the bulk copy is done: how far behind the source the run is. */
  readonly follow: (state: FollowState) => void;
  /** --schedule: paused until this moment; undefined: working again. */
  readonly schedule: (pausedUntil: Date | undefined) => void;
  readonly stop: () => void;
}

const PLAIN_INTERVAL_MS = 10_000;
const SPINNER_INTERVAL_MS = 100;

// `workedMs`: the time since the run began, less its pauses outside --schedule.
const line = (tally: Tally, workedMs: number, uploading: boolean): string => {
  const seconds = Math.max(workedMs / 1000, 1e-3);
  const dicom = tally.classes.dicom.files;
  const others = tally.files - dicom;
  const verb = uploading ? 'delivered' : 'found';
  return (
    `${tally.files} files classified, ${dicom} DICOM ${verb} (${(tally.dicomBytes / 1e6).toFixed(1)} MB), ${others} not uploaded` +
    // The rate counts what this run read and sent itself, not what the journal or the target's listing settled.
    ` · this run: ${(tally.thisRun / seconds).toFixed(0)} instances/s, ${(tally.thisRunBytes / 1e6 / seconds).toFixed(1)} MB/s`
  );
};

// What --follow adds to the line once the bulk copy is done.
const followPart = ({ behindChanges, lagSeconds, followedInstances, deletions, vanishedChanges }: FollowState): string => {
  const gone = deletions + vanishedChanges === 0 ? '' : `, deletions seen on the source: ${deletions} instances, ${vanishedChanges} changes`;
  return `following: ${behindChanges} changes behind, lag ${lagSeconds === null ? 'unknown' : `${lagSeconds}s`} (${followedInstances} new instances${gone})`;
};

// A terminal a spinner can redraw: one that reports its width and is not 'dumb' (at 0 columns
// ora's redraw never ends: it wrote escape codes without end and the run stalled).
const canAnimate = (stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean => stream.isTTY && stream.columns > 0 && env['TERM'] !== 'dumb';

// Picks the display: an ora spinner on a terminal, a plain line every 10 s otherwise, or nothing.
// `color`: the spinner may be coloured (color.ts decides; off when left out).
export const createProgress = (options: { quiet: boolean; stream: NodeJS.WriteStream; uploading: boolean; color?: boolean; intervalMs?: number; env?: NodeJS.ProcessEnv }): Progress => {
  const startedAt = Date.now();
  if (options.quiet) return { update: () => undefined, follow: () => undefined, schedule: () => undefined, stop: () => undefined };
  let last = 0;
  let tally: Tally | undefined;
  let following: FollowState | undefined;
  const pause = { until: undefined as Date | undefined, since: 0, totalMs: 0 };
  const workedMs = (): number => Date.now() - startedAt - pause.totalMs - (pause.until === undefined ? 0 : Date.now() - pause.since);
  const pausePart = (): string | undefined => (pause.until === undefined ? undefined : `paused until ${describeMoment(pause.until)} (outside the --schedule windows)`);
  const text = (): string =>
    [tally === undefined ? undefined : line(tally, workedMs(), options.uploading), following === undefined ? undefined : followPart(following), pausePart()].filter((part) => part !== undefined).join(' · ');
  // A pause begins or ends: its time is left out of the rates.
  const schedule = (until: Date | undefined): void => {
    if (until === undefined && pause.until !== undefined) pause.totalMs += Date.now() - pause.since;
    else if (until !== undefined && pause.until === undefined) pause.since = Date.now();
    pause.until = until;
  };
  // Both displays keep the last counts and lag, and show them as they can.
  const showing = (show: () => void, stop: () => void, now: (until: Date | undefined) => void): Progress => ({
    update: (now) => {
      tally = now;
      show();
    },
    follow: (state) => {
      following = state;
      show();
    },
    schedule: (until) => {
      schedule(until);
      now(until);
    },
    stop,
  });
  if (canAnimate(options.stream, options.env ?? process.env)) {
    // ora (and what it draws with) is loaded only for a terminal: a scripted run does not pay for it.
    let spinner: Ora | undefined;
    let stopped = false;
    void import('ora').then(({ default: ora }) => {
      // discardStdin off: ora would put stdin in raw mode, where a typed Ctrl-C never becomes SIGINT.
      // What was said before it was loaded (a pause from the first file on) shows at once. ora
      // colours its spinner unless told not to (its chalk reads --color in argv as "always").
      const color = options.color === true ? 'cyan' : false;
      if (!stopped) spinner = ora({ stream: options.stream, text: text() || 'walking the source…', discardStdin: false, color }).start();
    });
    const redraw = (): void => {
      if (spinner === undefined || Date.now() - last < SPINNER_INTERVAL_MS) return;
      last = Date.now();
      spinner.text = text();
    };
    const stop = (): void => {
      stopped = true;
      spinner?.stop();
    };
    return showing(redraw, stop, () => {
      if (spinner !== undefined) spinner.text = text();
    });
  }
  last = startedAt;
  const write = (): void => {
    if (Date.now() - last < (options.intervalMs ?? PLAIN_INTERVAL_MS)) return;
    last = Date.now();
    options.stream.write(`${text()}\n`);
  };
  // A pause, and its end, are said at once: no count changes while paused.
  const now = (until: Date | undefined): void => {
    options.stream.write(until === undefined ? 'working again: inside the --schedule windows\n' : `paused until ${describeMoment(until)}: outside the --schedule windows (Ctrl-C stops the run; the next run resumes)\n`);
  };
  return showing(write, () => undefined, now);
};
