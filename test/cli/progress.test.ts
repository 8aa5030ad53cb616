// Progress for people: periodic plain lines when the output is not a terminal (or one that cannot
// show a spinner), nothing when quiet; on a real terminal, Ctrl-C stops the run.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import { Tally } from '../../src/record/report.js';
import { heldTarget } from '../helpers/scripted-server.js';
import { hasColour, runOnTerminal, withoutColours } from '../helpers/terminal.js';

const SAMPLE_DICOM = fileURLToPath(new URL('../../fixtures/dicom', import.meta.url));

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

const tallyWith = (dicom: number, others: number): Tally => {
  const tally = new Tally();
  for (let i = 0; i < dicom; i++) tally.add({ path: `d${i}`, size: 100, fileClass: 'dicom', decodedSize: 1_000_000, status: 'stored' });
  for (let i = 0; i < others; i++) tally.add({ path: `o${i}`, size: 10, fileClass: 'not-dicom', reason: 'junk' });
  return tally;
};

describe('createProgress', () => {
  it('writes a plain line per interval when the output is not a terminal', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, uploading: true, intervalMs: 20 });
    progress.update(tallyWith(1, 0)); // too soon: nothing yet
    expect(written).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    progress.update(tallyWith(3, 2));
    progress.stop();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^5 files classified, 3 DICOM delivered \(3\.0 MB\), 2 not uploaded · this run: \d+ instances\/s/);
  });

  it('counts in its rate only what this run sent, not what the journal or the target listing settled', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, uploading: true, intervalMs: 1 });
    const tally = new Tally();
    for (let i = 0; i < 500; i++) tally.add({ path: `r${i}`, size: 100, fileClass: 'dicom', decodedSize: 1_000_000, status: 'stored', verified: 'md5', resumed: true });
    for (let i = 0; i < 500; i++) tally.add({ path: `t${i}`, size: 100, fileClass: 'dicom', decodedSize: 1_000_000, status: 'already-there', verified: 'size', onTarget: true });
    await new Promise((resolve) => setTimeout(resolve, 5));
    progress.update(tally);
    progress.stop();
    expect(written[0]).toMatch(/1000 DICOM delivered \(1000\.0 MB\), 0 not uploaded · this run: 0 instances\/s, 0\.0 MB\/s/);
  });

  it('adds, once following, how far behind the source the run is', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, uploading: true, intervalMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    progress.update(tallyWith(2, 0));
    await new Promise((resolve) => setTimeout(resolve, 5));
    progress.follow({ behindChanges: 120, lagSeconds: 42, followedInstances: 7, deletions: 0, vanishedChanges: 0 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    progress.follow({ behindChanges: 0, lagSeconds: null, followedInstances: 9, deletions: 1, vanishedChanges: 3 });
    progress.stop();
    expect(written).toHaveLength(3);
    expect(written[0]).not.toContain('following');
    expect(written[1]).toMatch(/^2 files classified, 2 DICOM delivered .* · following: 120 changes behind, lag 42s \(7 new instances\)\n$/);
    expect(written[2]).toMatch(/ · following: 0 changes behind, lag unknown \(9 new instances, deletions seen on the source: 1 instances, 3 changes\)\n$/);
  });

  it('says at once when the run pauses outside --schedule and when it works again, and shows the pause in its line', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: false, stream, uploading: true, intervalMs: 1 });
    progress.schedule(new Date(2026, 11, 7, 19, 0));
    await new Promise((resolve) => setTimeout(resolve, 5));
    progress.update(tallyWith(2, 0));
    progress.schedule(undefined);
    progress.stop();
    expect(written).toEqual([
      'paused until Mon 19:00: outside the --schedule windows (Ctrl-C stops the run; the next run resumes)\n',
      expect.stringMatching(/^2 files classified, 2 DICOM delivered .* · paused until Mon 19:00 \(outside the --schedule windows\)\n$/) as unknown as string,
      'working again: inside the --schedule windows\n',
    ]);
  });

  it('writes nothing with --quiet', async () => {
    const { stream, written } = fakeStream(false);
    const progress = createProgress({ quiet: true, stream, uploading: false, intervalMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    progress.update(tallyWith(1, 1));
    progress.stop();
    expect(written).toEqual([]);
  });
});

const journalIn = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-tty-')), 'j.sqlite');

describe('on a real terminal', () => {
  it('a Ctrl-C typed while the spinner shows stops the run as SIGINT does: in-flight finished, summary, exit 130', async () => {
    const { server, release, firstUpload } = await heldTarget();
    try {
      const run = runOnTerminal([SAMPLE_DICOM, server.url, '--concurrency', '1', '--no-verify', '--journal', await journalIn()], { columns: 100 });
      await firstUpload;
      await run.waitFor(/walking the source|files classified/); // the spinner is up
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
      await run.waitFor(/walking the source|files classified/); // the spinner is up (fails at once if the run ended)
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
});
