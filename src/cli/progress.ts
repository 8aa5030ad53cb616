import type { Ora } from 'ora';
import type { FollowState } from '../core/events.js';
import type { Tally } from '../record/report.js';

/** How the CLI shows a run in progress. */
export interface Progress {
  readonly update: (tally: Tally) => void;
  /** --follow, once the bulk copy is done: how far behind the source the run is. */
  readonly follow: (state: FollowState) => void;
  readonly stop: () => void;
}

const PLAIN_INTERVAL_MS = 10_000;
const SPINNER_INTERVAL_MS = 100;

const line = (tally: Tally, startedAt: number, uploading: boolean): string => {
  const seconds = Math.max((Date.now() - startedAt) / 1000, 1e-3);
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
  return ` · following: ${behindChanges} changes behind, lag ${lagSeconds === null ? 'unknown' : `${lagSeconds}s`} (${followedInstances} new instances${gone})`;
};

// A terminal a spinner can redraw: one that reports its width and is not 'dumb' (at 0 columns
// ora's redraw never ends: it wrote escape codes without end and the run stalled).
const canAnimate = (stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean => stream.isTTY && stream.columns > 0 && env['TERM'] !== 'dumb';

// Picks the display: an ora spinner on a terminal, a plain line every 10 s otherwise, or nothing.
export const createProgress = (options: { quiet: boolean; stream: NodeJS.WriteStream; uploading: boolean; intervalMs?: number; env?: NodeJS.ProcessEnv }): Progress => {
  const startedAt = Date.now();
  if (options.quiet) return { update: () => undefined, follow: () => undefined, stop: () => undefined };
  let last = 0;
  let tally: Tally | undefined;
  let following: FollowState | undefined;
  const text = (): string => `${tally === undefined ? '' : line(tally, startedAt, options.uploading)}${following === undefined ? '' : followPart(following)}`;
  // Both displays keep the last counts and lag, and show them as they can.
  const showing = (show: () => void, stop: () => void): Progress => ({
    update: (now) => {
      tally = now;
      show();
    },
    follow: (state) => {
      following = state;
      show();
    },
    stop,
  });
  if (canAnimate(options.stream, options.env ?? process.env)) {
    // ora (and what it draws with) is loaded only for a terminal: a scripted run does not pay for it.
    let spinner: Ora | undefined;
    let stopped = false;
    void import('ora').then(({ default: ora }) => {
      // discardStdin off: ora would put stdin in raw mode, where a typed Ctrl-C never becomes SIGINT.
      if (!stopped) spinner = ora({ stream: options.stream, text: 'walking the source…', discardStdin: false }).start();
    });
    const redraw = (): void => {
      if (spinner === undefined || Date.now() - last < SPINNER_INTERVAL_MS) return;
      last = Date.now();
      spinner.text = text();
    };
    return showing(redraw, () => {
      stopped = true;
      spinner?.stop();
    });
  }
  last = startedAt;
  const write = (): void => {
    if (Date.now() - last < (options.intervalMs ?? PLAIN_INTERVAL_MS)) return;
    last = Date.now();
    options.stream.write(`${text()}\n`);
  };
  return showing(write, () => undefined);
};
