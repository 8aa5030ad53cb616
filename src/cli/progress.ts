// How the CLI shows a run in progress: a spinner line on a terminal, plain timestamped lines
// elsewhere (every --stats interval), the first errors as they happen, and with -v a line per file.
import type { Ora } from 'ora';
import type { FollowState, SourceCount } from '../core/events.js';
import { describeMoment } from '../core/schedule.js';
import type { FileOutcome } from '../core/types.js';
import { formatCount } from '../core/units.js';
import type { Tally } from '../record/report.js';
import { ProgressCounts, type ProgressKind } from './progress-counts.js';
import { progressLine, timestamp } from './progress-line.js';
import { RateWindow } from './rate-window.js';

/** How the CLI shows a run in progress. */
export interface Progress {
  /** A file is done: its outcome, and the run's counts now. */
  readonly update: (outcome: FileOutcome, tally: Tally) => void;
  /** How many items the source gives, or has found so far. */
  readonly total: (count: SourceCount) => void;
  /** --follow, once the bulk copy is done: how far behind the source the run is. */
  readonly follow: (state: FollowState) => void;
  /** --schedule: paused until this moment; undefined: working again. */
  readonly schedule: (pausedUntil: Date | undefined) => void;
  /** A line of its own (a warning, a message): above the spinner on a terminal. */
  readonly note: (line: string) => void;
  /** Ends the display, with the errors not shown counted. */
  readonly stop: () => void;
}

/** How the progress is shown. */
export interface ProgressOptions {
  readonly quiet: boolean;
  readonly stream: NodeJS.WriteStream;
  /** What a delivered instance is called: delivered, found (an inventory), on the target (a check). */
  readonly delivered: string;
  /** --stats: a plain line this often (0: none); on a terminal, lines above the spinner when given. */
  readonly statsMs?: number | undefined;
  /** -v: a line per file. */
  readonly verbose?: boolean;
  /** Errors shown as they happen before the rest are only counted (all of them with -v). */
  readonly errorsShown?: number;
  /** Where the report goes (--report), to point the errors not shown at it. */
  readonly reportPath?: string | undefined;
  /** The spinner may be coloured (color.ts decides; off when left out). */
  readonly color?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** The plain line's default interval off a terminal. */
export const DEFAULT_STATS_MS = 10_000;
const SPINNER_INTERVAL_MS = 100;
const DEFAULT_ERRORS_SHOWN = 5;

// A terminal a spinner can redraw: one that reports its width and is not 'dumb' (at 0 columns
// ora's redraw never ends: it wrote escape codes without end and the run stalled).
const canAnimate = (stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean => stream.isTTY && stream.columns > 0 && env['TERM'] !== 'dumb';

const KIND_WORDS: Readonly<Record<ProgressKind, string>> = { delivered: 'delivered', skipped: 'skipped', 'not-dicom': 'not DICOM', error: 'error' };

// A file's line: what became of it, its path, and why (-v, and the first errors).
const fileLine = (kind: ProgressKind, outcome: FileOutcome, delivered: string): string => {
  const what = kind === 'delivered' ? delivered : KIND_WORDS[kind];
  const why = outcome.reason ?? (outcome.onTarget === true ? 'already on the target' : outcome.resumed === true ? 'done in an earlier run' : undefined);
  const detail = kind === 'error' || kind === 'skipped' || kind === 'not-dicom' ? ` (${outcome.fileClass}${why === undefined ? '' : `: ${why}`})` : '';
  return `${what}: ${outcome.path}${detail}`;
};

// --quiet: nothing but the lines given to note (the warnings).
const quietly = (stream: NodeJS.WriteStream): Progress => ({
  update: () => undefined,
  total: () => undefined,
  follow: () => undefined,
  schedule: () => undefined,
  note: (line) => stream.write(`${line}\n`),
  stop: () => undefined,
});

// Why: picks the display (a spinner on a terminal, plain lines elsewhere, nothing when quiet) and
// keeps what both draw from: the counts, the source's total, the rates, --follow's lag, pauses.
export const createProgress = (options: ProgressOptions): Progress => {
  if (options.quiet) return quietly(options.stream);
  const startedAt = Date.now();
  const counts = new ProgressCounts();
  const window = new RateWindow();
  const errorsShown = options.verbose === true ? Number.POSITIVE_INFINITY : (options.errorsShown ?? DEFAULT_ERRORS_SHOWN);
  let errors = 0;
  let tally: Tally | undefined;
  let total: SourceCount | undefined;
  let following: FollowState | undefined;
  const pause = { until: undefined as Date | undefined, since: 0, totalMs: 0 };
  const workedMs = (): number => Date.now() - startedAt - pause.totalMs - (pause.until === undefined ? 0 : Date.now() - pause.since);
  const text = (): string => {
    window.sample(Date.now(), tally?.items ?? 0, tally?.thisRunBytes ?? 0);
    return progressLine({ tally, counts, total, workedSeconds: workedMs() / 1000, current: window.rate(), following, pausedUntil: pause.until, delivered: options.delivered });
  };
  const terminal = canAnimate(options.stream, options.env ?? process.env);
  let spinner: Ora | undefined;
  let stopped = false;
  // A line of its own: above the spinner on a terminal (cleared, written, drawn again).
  const say = (line: string): void => {
    spinner?.clear();
    options.stream.write(`${line}\n`);
    spinner?.render();
  };
  if (terminal) {
    // ora (and what it draws with) is loaded only for a terminal: a scripted run does not pay for it.
    void import('ora').then(({ default: ora }) => {
      // discardStdin off: ora would put stdin in raw mode, where a typed Ctrl-C never becomes SIGINT.
      // ora colours its spinner unless told not to (its chalk reads --color in argv as "always").
      const color = options.color === true ? 'cyan' : false;
      if (!stopped) spinner = ora({ stream: options.stream, text: tally === undefined && total === undefined ? 'walking the source…' : text(), discardStdin: false, color }).start();
    });
  }
  // Plain lines: off a terminal every --stats (default 10 s); on a terminal only when --stats was given.
  const statsMs = options.statsMs ?? (terminal ? 0 : DEFAULT_STATS_MS);
  let lastStats = startedAt;
  let lastDrawn = 0;
  const show = (): void => {
    const now = Date.now();
    if (statsMs > 0 && now - lastStats >= statsMs) {
      lastStats = now;
      say(`${timestamp(new Date(now))} ${text()}`);
    }
    if (spinner !== undefined && now - lastDrawn >= SPINNER_INTERVAL_MS) {
      lastDrawn = now;
      spinner.text = text();
    }
  };
  return {
    update: (outcome, now) => {
      tally = now;
      const kind = counts.add(outcome);
      if (kind === 'error' && ++errors <= errorsShown) say(fileLine(kind, outcome, options.delivered));
      else if (options.verbose === true) say(fileLine(kind, outcome, options.delivered));
      show();
    },
    total: (count) => {
      total = count;
      show();
    },
    follow: (state) => {
      following = state;
      show();
    },
    note: say,
    schedule: (until) => {
      // A pause begins or ends: its time is left out of the rates, and the current rate starts again.
      if (until === undefined && pause.until !== undefined) pause.totalMs += Date.now() - pause.since;
      else if (until !== undefined && pause.until === undefined) pause.since = Date.now();
      pause.until = until;
      window.reset();
      if (spinner !== undefined) spinner.text = text();
      else if (!terminal) say(until === undefined ? 'working again: inside the --schedule windows' : `paused until ${describeMoment(until)}: outside the --schedule windows (Ctrl-C stops the run; the next run resumes)`);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      spinner?.stop();
      spinner = undefined;
      const hidden = errors - errorsShown;
      if (hidden > 0) options.stream.write(`and ${formatCount(hidden)} more ${hidden === 1 ? 'error' : 'errors'}: see ${options.reportPath === undefined ? 'the report (--report FILE.json)' : `the report ${options.reportPath}`}\n`);
    },
  };
};
