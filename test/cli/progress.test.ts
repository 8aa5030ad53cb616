// Progress for people: periodic plain lines when the output is not a terminal (or one that cannot
// show a spinner), nothing when quiet; on a real terminal, Ctrl-C stops the run.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgress, type Progress } from '../../src/cli/progress.js';
import type { FileOutcome } from '../../src/core/types.js';
import { Tally } from '../../src/record/report.js';
import { heldTarget } from '../helpers/scripted-server.js';
import { hasColour, runOnTerminal, withoutColours } from '../helpers/terminal.js';
import { orthancsOfThisFile } from '../helpers/orthanc.js';
import { runCli } from '../helpers/run-cli.js';
import { SAMPLE_STORAGE } from '../helpers/storages.js';

const SAMPLE_DICOM = fileURLToPath(new URL('../../fixtures/dicom', import.meta.url));
const startOrthanc = orthancsOfThisFile();

const fakeStream = (isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } => {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      callback();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY });
  return { stream, written };
};

const STORED = { size: 100, fileClass: 'dicom', decodedSize: 1_000_000, status: 'stored' } as const;

/** Feeds outcomes to the progress as the run would, with the tally they make. */
const feed = (progress: Progress, tally: Tally, outcomes: readonly FileOutcome[]): void => {
  for (const outcome of outcomes) {
    tally.add(outcome);
    tally.items++;
    progress.update(outcome, tally);
  }
};

const dicoms = (count: number, prefix = 'd'): FileOutcome[] => Array.from({ length: count }, (_, i) => ({ path: `${prefix}${i}`, ...STORED }));
const junk = (count: number): FileOutcome[] => Array.from({ length: count }, (_, i) => ({ path: `o${i}`, size: 10, fileClass: 'not-dicom', reason: 'junk' }));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TIMESTAMP = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';

describe('createProgress', () => {
  it('writes a timestamped line per --stats interval off a terminal: how far, rates, and what became of the files', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'delivered', statsMs: 20 });
    const tally = new Tally();
    feed(progress, tally, dicoms(1)); // too soon: nothing yet
    expect(written).toEqual([]);
    await sleep(30);
    feed(progress, tally, [...dicoms(2, 'e'), ...junk(2)]);
    progress.stop();
    expect(written).toHaveLength(1);
    // The first update past the interval drew it: the second file.
    expect(written[0]).toMatch(new RegExp(`^${TIMESTAMP} 2 files done · [\\d.]+/s average, [\\d.]+ [KMG]iB/s · delivered 2 \\(1\\.91 MiB\\)\\n$`));
  });

  it('gives the total, the share done, what is left and an ETA once the source says how many items it has', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'delivered', statsMs: 1 });
    progress.total({ items: 14_000, unit: 'instances', final: true });
    await sleep(5);
    feed(progress, new Tally(), [{ path: 'c', size: 1, fileClass: 'pixel-data-cache' }, ...dicoms(1)]);
    await sleep(5);
    progress.total({ items: 14_000, unit: 'instances', final: true }); // draws the line once more
    progress.stop();
    expect(written.at(-1)).toMatch(/ 2\/14,000 instances \(0\.0%\), 13,998 left · ETA (\d+[smhd] ?)+ · .* · delivered 1 \(976\.6 KiB\), skipped 1\n$/);
  });

  it('says how many files a walk has found so far, and no ETA, until the count is whole', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'found', statsMs: 1 });
    progress.total({ items: 3_400, unit: 'files', final: false });
    await sleep(5);
    feed(progress, new Tally(), dicoms(1));
    progress.stop();
    expect(written.at(-1)).toMatch(/ 1 of 3,400 files found so far · [\d.]+\/s average/);
    expect(written.at(-1)).not.toMatch(/ETA/);
  });

  it('counts in its bytes rate only what this run sent, and calls what the journal or the target had skipped', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'delivered', statsMs: 1 });
    await sleep(5);
    const earlier = (i: number): FileOutcome => ({ path: `r${i}`, ...STORED, verified: 'md5', resumed: true });
    const there = (i: number): FileOutcome => ({ path: `t${i}`, ...STORED, status: 'already-there', verified: 'size', onTarget: true });
    feed(progress, new Tally(), [...Array.from({ length: 500 }, (_, i) => earlier(i)), ...Array.from({ length: 500 }, (_, i) => there(i))]);
    await sleep(5);
    progress.total({ items: 1_000, unit: 'instances', final: true }); // draws the line once more
    progress.stop();
    expect(written.at(-1)).toMatch(/ 1,000\/1,000 instances \(100\.0%\), 0 left · [\d.]+\/s average, 0 B\/s · delivered 0 \(953\.7 MiB\), skipped 1,000\n$/);
  });

  it('prints the first errors as they happen, path and reason, and counts the rest for the report', () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'delivered', statsMs: 0, errorsShown: 2, reportPath: '/tmp/run.json' });
    const bad = (i: number): FileOutcome => ({ path: `bad${i}`, size: 1, fileClass: 'rejected', reason: `the target answered 400 (${i})` });
    feed(progress, new Tally(), [bad(1), ...dicoms(1), { path: 'gone', size: 0, fileClass: 'missing', reason: 'not on disk' }, bad(3), bad(4)]);
    progress.stop();
    expect(written).toEqual(['error: bad1 (rejected: the target answered 400 (1))\n', 'error: gone (missing: not on disk)\n', 'and 2 more errors: see the report /tmp/run.json\n']);
  });

  it('with -v, a line per file and every error', () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'delivered', statsMs: 0, verbose: true, errorsShown: 0 });
    feed(progress, new Tally(), [...dicoms(1), ...junk(1), { path: 'x', ...STORED, status: 'already-there', onTarget: true }, { path: 'bad', size: 1, fileClass: 'corrupt', reason: 'cut short' }]);
    progress.stop();
    expect(written).toEqual(['delivered: d0\n', 'not DICOM: o0 (not-dicom: junk)\n', 'skipped: x (dicom: already on the target)\n', 'error: bad (corrupt: cut short)\n']);
  });

  it('adds, once following, how far behind the source the run is', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'delivered', statsMs: 1 });
    const tally = new Tally();
    await sleep(5);
    feed(progress, tally, dicoms(2));
    await sleep(5);
    progress.follow({ behindChanges: 120, lagSeconds: 42, followedInstances: 7, deletions: 0, vanishedChanges: 0 });
    await sleep(5);
    progress.follow({ behindChanges: 0, lagSeconds: null, followedInstances: 9, deletions: 1, vanishedChanges: 3 });
    progress.stop();
    expect(written.filter((line) => line.includes('following'))).toHaveLength(2);
    expect(written[0]).not.toContain('following');
    expect(written.at(-2)).toMatch(/ · delivered 2 \(1\.91 MiB\) · following: 120 changes behind, lag 42s \(7 new instances\)\n$/);
    expect(written.at(-1)).toMatch(/ · following: 0 changes behind, lag unknown \(9 new instances, deletions seen on the source: 1 instance, 3 changes\)\n$/);
  });

  it('says at once when the run pauses outside --schedule and when it works again, and shows the pause in its line', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, delivered: 'delivered', statsMs: 1 });
    progress.schedule(new Date(2026, 11, 7, 19, 0));
    await sleep(5);
    // One file: one line, however slowly the machine goes past the 1 ms interval.
    feed(progress, new Tally(), dicoms(1));
    progress.schedule(undefined);
    progress.stop();
    expect(written).toEqual([
      'paused until Mon 19:00: outside the --schedule windows (Ctrl-C stops the run; the next run resumes)\n',
      expect.stringMatching(/ 1 file done · .* · paused until Mon 19:00 \(outside the --schedule windows\)\n$/) as unknown as string,
      'working again: inside the --schedule windows\n',
    ]);
  });

  it('writes nothing with --quiet but the lines given to note (warnings)', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: true, stream, delivered: 'found', statsMs: 1 });
    await sleep(5);
    feed(progress, new Tally(), [...dicoms(1), { path: 'bad', size: 1, fileClass: 'corrupt', reason: 'cut short' }]);
    progress.note('warning: something');
    progress.stop();
    expect(written).toEqual(['warning: something\n']);
  });
});

const journalIn = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-tty-')), 'j.sqlite');

describe('on a real terminal', () => {
  it('a Ctrl-C typed while the spinner shows stops the run as SIGINT does: in-flight finished, summary, exit 130', async () => {
    const { server, release, firstUpload } = await heldTarget();
    try {
      const run = runOnTerminal([SAMPLE_DICOM, server.url, '--concurrency', '1', '--no-verify', '--journal', await journalIn()], { columns: 100 });
      await firstUpload;
      await run.waitFor(/walking the source| done · | found so far| left · /); // the spinner is up
      run.type('\x03');
      await run.waitFor(/SIGINT: finishing the files in flight/);
      release();
      const { code, output } = await run.exited;
      expect(code).toBe(130);
      expect(output).toMatch(/INTERRUPTED/);
    } finally {
      await server.close();
    }
  });

  it.each<[string, string[], Record<string, string>, boolean]>([
    ['by default', [], {}, true],
    ['not with NO_COLOR=1', [], { NO_COLOR: '1' }, false],
    ['not with --color never', ['--color', 'never'], {}, false],
  ])('colours the spinner %s (ora would, whatever NO_COLOR, unless told)', async (_name, args, env, coloured) => {
    const { server, release, firstUpload } = await heldTarget();
    try {
      const run = runOnTerminal([SAMPLE_DICOM, server.url, '--concurrency', '1', '--no-verify', '--journal', await journalIn(), ...args], { columns: 100, env });
      await run.waitFor(/walking the source| done · | found so far| left · /); // the spinner is up (fails at once if the run ended)
      await firstUpload;
      release();
      const { code, output } = await run.exited;
      expect(code).toBe(0);
      expect(output.includes('\u001B[?25l')).toBe(true); // a spinner, which hides the cursor
      if (coloured) expect(output).toContain('\u001B[36m'); // ora's cyan frame
      else expect(hasColour(output)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['a terminal of 0 columns', 0, {}],
    ['TERM=dumb', 100, { TERM: 'dumb' }],
  ])('%s gets plain lines, not a spinner, and the run ends', async (_name, columns, env) => {
    const { server, release, firstUpload } = await heldTarget();
    try {
      const run = runOnTerminal([SAMPLE_DICOM, server.url, '--concurrency', '1', '--no-verify', '--journal', await journalIn()], { columns, env });
      await firstUpload;
      release();
      const { code, output } = await run.exited;
      expect(code).toBe(0);
      // No cursor movement, no erased lines, no hidden cursor: what a spinner draws with (colours may be).
      expect(withoutColours(output).includes('\u001b[')).toBe(false);
      expect(output).not.toMatch(/walking the source/);
      expect(output.length).toBeLessThan(10_000);
      expect(output).toMatch(/9 DICOM instances? delivered|delivered and verified|Imported/);
    } finally {
      await server.close();
    }
  });

  it('shows the total, the share done and an ETA in the spinner, and -v lines above it, importing a storage into a real Orthanc', async () => {
    const target = await startOrthanc();
    // About 100 KB at 20 KiB/s: a few seconds in which the spinner shows the run going.
    const run = runOnTerminal([SAMPLE_STORAGE, target.url, '--bwlimit', '20k', '--concurrency', '1', '-v', '--journal', await journalIn()], { columns: 200 });
    await run.waitFor(/\d+\/\d+ instances \(\d+\.\d%\), \d+ left · ETA (unknown|[\dsmh ]+) · /);
    const { code, output } = await run.exited;
    expect(code).toBe(0);
    expect(output).toMatch(/delivered: [0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f-]{36}\r?\n/); // -v: one line per instance
    expect(output).toMatch(/skipped: .*\(pixel-data-cache/);
    expect(output).toMatch(/Imported /);
  });
});

describe('off a terminal', () => {
  it('writes a timestamped line every --stats interval, with the total and the share done', async () => {
    const target = await startOrthanc();
    const { code, stderr } = await runCli([SAMPLE_STORAGE, target.url, '--bwlimit', '20k', '--concurrency', '1', '--stats', '1s', '--journal', await journalIn()]);
    expect(code).toBe(0);
    const lines = stderr.split('\n').filter((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /.test(line));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/ \d+\/\d+ instances \(\d+\.\d%\), \d+ left · (ETA [^·]+ · )?[\d.]+\/s (now, [\d.]+\/s )?average, .* · delivered \d+ \(/);
    expect(stderr).not.toContain('\u001b[');
  });

  it('refuses a --stats that is not a duration, in one line', async () => {
    const { code, stderr } = await runCli([SAMPLE_DICOM, '--stats', 'often']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^orthanc-import: Expected --stats to be a duration such as 1s, 30s, 2m or 500ms, got 'often'\n/);
  });
});
