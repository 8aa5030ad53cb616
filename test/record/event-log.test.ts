import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setImmediate as turn } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ImporterError, isImporterError } from '../../src/core/errors.js';
import type { ImportEvents } from '../../src/core/events.js';
import { resolveOptions } from '../../src/core/options.js';
import type { FileOutcome } from '../../src/core/types.js';
import { EventLog } from '../../src/record/event-log.js';
import { Tally, type Summary } from '../../src/record/report.js';

const SECRET = 'pa55-Secret-word';
/** The built library (npm run build), for a process of its own. */
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const dir = await mkdtemp(join(tmpdir(), 'event-log-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

type Line = Record<string, unknown> & { time: string; run: string; event: string };

const linesOf = async (path: string): Promise<Line[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Line);

const OPTIONS = resolveOptions({
  source: `http://admin:${SECRET}@127.0.0.1:8042/orthanc/`,
  target: `http://alice:${SECRET}@127.0.0.1:8043`,
  password: SECRET,
  headers: [`Authorization: Bearer ${SECRET}`],
  sourcePassword: SECRET,
  sourceHeaders: [`X-Api-Key: ${SECRET}`],
  patientIds: ['P1'],
  concurrency: 3,
});

const summaryOf = (outcomes: readonly FileOutcome[]): Summary => {
  const tally = new Tally();
  for (const outcome of outcomes) tally.add(outcome);
  return tally.summarize({ source: '/src', target: 'http://127.0.0.1:8043', startedAt: new Date(0), elapsedSeconds: 1, warnings: [], check: false });
};

const STORED: FileOutcome = {
  path: 'a.dcm',
  size: 10,
  fileClass: 'dicom',
  status: 'stored',
  verified: 'md5',
  instanceId: 'id-a',
  sopInstanceUid: '1.2.3',
  patientId: 'P1',
  studyInstanceUid: '1.2',
  decodedSize: 12,
  md5: '0123',
};

describe('EventLog', () => {
  it('opens with the run, its version, its PID, its source and target without credentials, and the options without headers', async () => {
    const path = join(dir, 'start.jsonl');
    const log = EventLog.open(path, OPTIONS);
    log.end({ summary: summaryOf([]) });
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(Buffer.from(`alice:${SECRET}`).toString('base64'));
    const [start] = await linesOf(path);
    expect(start).toMatchObject({
      event: 'run-start',
      run: log.run,
      pid: process.pid,
      command: 'import',
      source: 'http://127.0.0.1:8042/orthanc',
      target: 'http://127.0.0.1:8043',
      options: { concurrency: 3, verify: true, filter: 'PatientID P1', report: null },
    });
    expect(start?.time).toMatch(ISO_MS);
    expect(start?.['version']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('writes each event as a line, passing it on, and ends with the summary', async () => {
    const path = join(dir, 'events.jsonl');
    const log = EventLog.open(path, resolveOptions({ source: dir }));
    const seen: string[] = [];
    const inner: ImportEvents = {
      onWarning: (message) => seen.push(`warning ${message}`),
      onInfo: (message) => seen.push(`info ${message}`),
      onOutcome: (outcome) => seen.push(`file ${outcome.path}`),
      onStudyComplete: (study) => seen.push(`study ${study.studyId}`),
      onTarget: (about) => seen.push(`target ${about}`),
      onSchedule: (until) => seen.push(`schedule ${String(until?.getTime())}`),
    };
    const events = log.events(inner);
    const summary = summaryOf([STORED]);
    events.onTarget?.('Orthanc 1.10.1');
    events.onWarning?.('slow target');
    events.onInfo?.('resuming');
    events.onOutcome?.(STORED, new Tally());
    events.onOutcome?.({ path: 'b.txt', size: 3, fileClass: 'not-dicom', reason: 'no DICM preamble' }, new Tally());
    events.onOutcome?.({ path: 'c.dcm', size: 4, fileClass: 'rejected', reason: 'HTTP 400', httpStatus: 400, resumed: true }, new Tally());
    events.onStudyComplete?.({ studyId: 's1', studyInstanceUid: '1.2', patientId: 'P1', instances: 1, marker: 'marked' });
    events.onSchedule?.(new Date(86_400_000));
    events.onSchedule?.(undefined);
    log.end({ summary });
    expect(seen).toEqual(['target Orthanc 1.10.1', 'warning slow target', 'info resuming', 'file a.dcm', 'file b.txt', 'file c.dcm', 'study s1', 'schedule 86400000', 'schedule undefined']);
    const lines = await linesOf(path);
    expect(lines.map((line) => line.event)).toEqual(['run-start', 'target', 'warning', 'info', 'file', 'file', 'file', 'study-complete', 'schedule', 'schedule', 'summary']);
    expect(new Set(lines.map((line) => line.run))).toEqual(new Set([log.run]));
    for (const line of lines) expect(line.time).toMatch(ISO_MS);
    const strip = ({ time: _time, run: _run, ...rest }: Line): Record<string, unknown> => rest;
    expect(lines.slice(1, 4).map(strip)).toEqual([
      { event: 'target', about: 'Orthanc 1.10.1' },
      { event: 'warning', message: 'slow target' },
      { event: 'info', message: 'resuming' },
    ]);
    expect(lines.slice(4, 8).map(strip)).toEqual([
      { event: 'file', path: 'a.dcm', class: 'dicom', status: 'stored', verified: 'md5', instanceId: 'id-a', sopInstanceUid: '1.2.3', patientId: 'P1', studyInstanceUid: '1.2', size: 10, decodedSize: 12 },
      { event: 'file', path: 'b.txt', class: 'not-dicom', size: 3, reason: 'no DICM preamble' },
      { event: 'file', path: 'c.dcm', class: 'rejected', size: 4, reason: 'HTTP 400', httpStatus: 400, resumed: true },
      { event: 'study-complete', studyId: 's1', studyInstanceUid: '1.2', patientId: 'P1', instances: 1, marker: 'marked' },
    ]);
    expect(lines.slice(8, 10).map(strip)).toEqual([
      { event: 'schedule', pausedUntil: '1970-01-02T00:00:00.000Z' },
      { event: 'schedule', pausedUntil: null },
    ]);
    expect(lines.at(-1)?.['summary']).toEqual(JSON.parse(JSON.stringify(summary)));
  });

  it('appends: a second run keeps the first run\'s lines and has its own ID', async () => {
    const path = join(dir, 'append.jsonl');
    await writeFile(path, '{"earlier":"line"}\n');
    const first = EventLog.open(path, resolveOptions({ source: dir }));
    first.end({ summary: summaryOf([]) });
    const second = EventLog.open(path, resolveOptions({ source: dir }));
    second.end({ summary: summaryOf([]) });
    const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines[0]).toBe('{"earlier":"line"}');
    const runs = lines.slice(1).map((line) => (JSON.parse(line) as Line).run);
    expect(runs).toEqual([first.run, first.run, second.run, second.run]);
    expect(first.run).not.toBe(second.run);
  });

  it('ends a run stopped by a failure with the error (code, message, exit code), then its summary', async () => {
    const path = join(dir, 'error.jsonl');
    const log = EventLog.open(path, resolveOptions({ source: dir }));
    const error = new ImporterError('E_TARGET_FULL', 'The target http://127.0.0.1:8043 is full');
    error.summary = summaryOf([STORED]);
    log.end({ error });
    const lines = await linesOf(path);
    expect(lines.map((line) => line.event)).toEqual(['run-start', 'error', 'summary']);
    expect(lines[1]).toMatchObject({ code: 'E_TARGET_FULL', message: 'The target http://127.0.0.1:8043 is full', exitCode: 3 });
    const other = join(dir, 'unexpected.jsonl');
    const again = EventLog.open(other, resolveOptions({ source: dir }));
    again.end({ error: new Error('boom') });
    expect((await linesOf(other)).slice(1).map(({ event, code, message, exitCode }) => ({ event, code, message, exitCode }))).toEqual([{ event: 'error', code: null, message: 'boom', exitCode: 1 }]);
  });

  it('holds at most 64 KiB of lines: past that they are on disk before the turn ends, the rest at its end', async () => {
    const path = join(dir, 'bounded.jsonl');
    const log = EventLog.open(path, resolveOptions({ source: dir }));
    const events = log.events({});
    const sizes: number[] = [];
    for (let i = 0; i < 2000; i++) {
      events.onOutcome?.({ ...STORED, path: `${String(i).padStart(6, '0')}-${'x'.repeat(100)}` }, new Tally());
      sizes.push(statSync(path).size);
    }
    await turn();
    expect((await linesOf(path)).length).toBe(2001);
    // Without a turn of the event loop, what was not on disk yet stayed under 64 KiB (and a line).
    const total = statSync(path).size;
    const lineBytes = (await readFile(path, 'utf8')).split('\n')[1]?.length ?? 0;
    expect(lineBytes).toBeGreaterThan(200);
    expect(total).toBeGreaterThan(2000 * lineBytes);
    // After the i-th line, the lines logged so far are the whole file but the 1999 - i lines yet to come.
    const held = sizes.map((size, i) => total - (1999 - i) * (lineBytes + 1) - size);
    expect(Math.max(...held)).toBeLessThan(64 * 1024 + lineBytes + 1);
    expect(Math.max(...held)).toBeGreaterThan(60 * 1024);
    log.end({ summary: summaryOf([]) });
  });

  it('has every line on disk when the process exits in the same turn (a second Ctrl-C: process.exit)', async () => {
    const path = join(dir, 'exit.jsonl');
    const script = [
      `import { EventLog } from ${JSON.stringify(pathToFileURL(join(DIST, 'src/record/event-log.js')).href)};`,
      `import { resolveOptions } from ${JSON.stringify(pathToFileURL(join(DIST, 'src/core/options.js')).href)};`,
      `const log = EventLog.open(${JSON.stringify(path)}, resolveOptions({ source: '.' }));`,
      `log.events({}).onWarning?.('the last words');`,
      'process.exit(130);',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(130);
    expect((await linesOf(path)).map((line) => [line.event, line['message']])).toEqual([
      ['run-start', undefined],
      ['warning', 'the last words'],
    ]);
  });

  it('refuses a directory or a path whose folder is missing before the run, in one line naming it', () => {
    const refusal = (path: string): string => {
      try {
        EventLog.open(path, resolveOptions({ source: dir }));
      } catch (error) {
        if (isImporterError(error)) return `${error.code}: ${error.message}`;
        throw error;
      }
      return 'opened';
    };
    expect(refusal(dir)).toBe(`E_REPORT: Cannot write the log file ${dir} (it is a directory: give a file name)`);
    expect(refusal(join(dir, 'missing', 'log.jsonl'))).toBe(`E_REPORT: Cannot write the log file ${join(dir, 'missing', 'log.jsonl')} (its folder ${join(dir, 'missing')} does not exist)`);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('on a full disk, warns once and goes on; its end then fails with E_REPORT naming it', async (context) => {
    if (!existsSync('/dev/full')) context.skip('no /dev/full on this machine');
    const warnings: string[] = [];
    const log = EventLog.open('/dev/full', resolveOptions({ source: dir }));
    const events = log.events({ onWarning: (message) => warnings.push(message) });
    events.onOutcome?.(STORED, new Tally());
    await turn();
    events.onOutcome?.(STORED, new Tally());
    await turn();
    expect(warnings).toEqual(['cannot write the log file /dev/full (ENOSPC): no more lines go to it; the run goes on']);
    expect(() => {
      log.end({ summary: summaryOf([]) });
    }).toThrow('Cannot write the log file /dev/full (ENOSPC)');
  });
});
