// The journal on its own: durable records (short ones in index mode), identity, restart, torn writes.
import { copyFileSync, existsSync, statSync, truncateSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exitCodeFor, ImporterError } from '../../src/core/errors.js';
import { defaultJournalPath, isFinal, Journal } from '../../src/record/journal.js';
import type { FileOutcome } from '../../src/core/types.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { heldTarget } from '../helpers/scripted-server.js';

const SAMPLE_DICOM = fileURLToPath(new URL('../../fixtures/dicom', import.meta.url));

const identity = { source: '/data/storage', target: 'http://127.0.0.1:8042' };
const delivered: FileOutcome = { path: 'a/b', size: 10, fileClass: 'dicom', status: 'stored', verified: 'md5', instanceId: 'x' };
const refusalOf = (open: () => unknown): ImporterError => {
  try {
    open();
  } catch (error) {
    if (error instanceof ImporterError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};
const newPath = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-journal-')), 'journal.sqlite');

describe('Journal', () => {
  it('gives back what was recorded, across reopenings', async () => {
    const path = await newPath();
    const journal = Journal.open(path, identity, { restart: false });
    journal.record('uuid:1', delivered);
    journal.record('uuid:1', { ...delivered, status: 'already-there' }); // the latest outcome wins
    journal.close();
    const again = Journal.open(path, identity, { restart: false });
    expect(again.lookup('uuid:1')).toEqual({ ...delivered, status: 'already-there' });
    expect(again.lookup('uuid:2')).toBeUndefined();
    again.close();
  });

  it('keeps only what the index does not say (index mode), and gives the whole outcome back with it', async () => {
    const path = await newPath();
    const journal = Journal.open(path, identity, { restart: false });
    const known: Partial<FileOutcome> = { path: 'a/b', size: 10, encoding: 'zlib', decodedSize: 30, instanceId: 'x', patientId: 'P' };
    const onTarget: FileOutcome = { ...known, path: 'a/b', size: 10, fileClass: 'dicom', status: 'already-there', verified: 'size', onTarget: true };
    journal.record('uuid:short', onTarget, known);
    const otherId: FileOutcome = { ...onTarget, instanceId: 'y' }; // a field that differs is kept
    journal.record('uuid:differs', otherId, known);
    const lacking: FileOutcome = { path: 'a/b', size: 10, fileClass: 'corrupt-source', reason: 'cut' }; // lacks fields the index gives
    journal.record('uuid:lacking', lacking, known);
    const moved: FileOutcome = { ...onTarget, path: 'elsewhere' };
    journal.record('uuid:moved', moved, known);
    journal.close();
    const again = Journal.open(path, identity, { restart: false });
    expect(again.lookup('uuid:short', known)).toEqual(onTarget);
    // the instance ID and decoded size stay, so that a later run can confirm it on the target without the index
    expect(again.lookup('uuid:short')).toEqual({ fileClass: 'dicom', status: 'already-there', verified: 'size', onTarget: true, instanceId: 'x', decodedSize: 30 });
    expect(again.lookup('uuid:differs', known)).toEqual(otherId);
    expect(again.lookup('uuid:lacking', known)).toEqual(lacking); // recorded whole: nothing added back
    expect(again.lookup('uuid:moved', known)).toEqual(moved);
    again.close();
  });

  it('keeps the output path and decoded size of a recovered file in a short record, and streams every record back', async () => {
    const path = await newPath();
    const journal = Journal.open(path, identity, { restart: false });
    const known: Partial<FileOutcome> = { path: 'a/b', size: 10, encoding: 'raw', decodedSize: 10, instanceId: 'x' };
    const recovered: FileOutcome = { ...known, path: 'a/b', size: 10, fileClass: 'dicom', status: 'stored', verified: 'md5', output: 'P/1.dcm' };
    journal.record('uuid:recovered', recovered, known);
    for (let n = 0; n < 1500; n++) journal.record(`file:${n}`, { ...delivered, path: `f${n}` });
    const outcomes = [...journal.outcomes()];
    expect(outcomes).toHaveLength(1501);
    expect(outcomes.find((outcome) => outcome.output !== undefined)).toMatchObject({ output: 'P/1.dcm', decodedSize: 10 });
    journal.close();
  });

  it('commits what was recorded by the end of the event-loop turn, without waiting for close', async () => {
    const path = await newPath();
    const journal = Journal.open(path, identity, { restart: false });
    journal.record('uuid:7', delivered);
    await new Promise((resolve) => setImmediate(resolve));
    // The files as a kill would leave them (the journal is locked while open: copied, then reopened).
    const copy = `${path}.copy`;
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    const reader = Journal.open(copy, identity, { restart: false });
    expect(reader.lookup('uuid:7')).toEqual(delivered);
    reader.close();
    journal.close();
  });

  it('refuses a journal of another source or target, and --restart empties it', async () => {
    const path = await newPath();
    const journal = Journal.open(path, identity, { restart: false });
    journal.record('uuid:1', delivered);
    journal.close();
    let refusal: unknown;
    try {
      Journal.open(path, { ...identity, target: 'http://elsewhere:8042' }, { restart: false });
    } catch (error) {
      refusal = error;
    }
    expect(refusal instanceof ImporterError && refusal.code === 'E_JOURNAL').toBe(true);
    expect((refusal as Error).message).toMatch(/belongs to another run .*--restart/);
    const restarted = Journal.open(path, { ...identity, target: 'http://elsewhere:8042' }, { restart: true });
    expect(restarted.lookup('uuid:1')).toBeUndefined();
    restarted.close();
  });

  it('keeps every committed record when the last write was torn (a killed process)', async () => {
    const path = await newPath();
    const journal = Journal.open(path, identity, { restart: false });
    for (let index = 0; index < 25; index++) journal.record(`uuid:${index}`, delivered);
    journal.flush(); // one commit
    for (let index = 25; index < 50; index++) journal.record(`uuid:${index}`, delivered);
    journal.flush(); // a second commit, whose tail the "crash" tears
    // Copy the database and its write-ahead log as a kill -9 would leave them, then tear the log's tail.
    const crashed = `${path}.crashed`;
    copyFileSync(path, crashed);
    expect(existsSync(`${path}-wal`)).toBe(true);
    copyFileSync(`${path}-wal`, `${crashed}-wal`);
    journal.close();
    truncateSync(`${crashed}-wal`, statSync(`${crashed}-wal`).size - 100);
    const reopened = Journal.open(crashed, identity, { restart: false });
    const kept = Array.from({ length: 50 }, (_, index) => reopened.lookup(`uuid:${index}`)).filter((outcome) => outcome !== undefined);
    expect(kept.length).toBeGreaterThanOrEqual(25); // at most the torn (last) commit is lost
    expect(kept.every((outcome) => outcome.fileClass === 'dicom')).toBe(true);
    reopened.close();
  });

  it('vouches for the last complete run, with its report lines in order, until a run starts or --restart', async () => {
    const path = await newPath();
    const journal = Journal.open(path, identity, { restart: false });
    expect(journal.completeRun()).toBeUndefined();
    const lines = Array.from({ length: 1300 }, (_, i) => JSON.stringify({ path: `f${i}`, class: 'pixel-data-cache' }));
    for (const line of lines) journal.recordReportLine(line);
    const summary = { startedAt: '2026-01-01T00:00:00.000Z' } as unknown as Parameters<Journal['finishRun']>[0]['summary'];
    journal.finishRun({ fingerprint: 'f1', summary });
    journal.close();
    const again = Journal.open(path, identity, { restart: false });
    expect(again.completeRun()).toEqual({ fingerprint: 'f1', summary });
    // Several lines per stored row, joined as the report's array needs them.
    expect([...again.reportLines()].join(',\n')).toBe(lines.join(',\n'));
    again.startRun();
    expect(again.completeRun()).toBeUndefined();
    expect([...again.reportLines()]).toEqual([]);
    again.recordReportLine(lines[0] ?? '');
    again.finishRun({ fingerprint: 'f2', summary });
    again.close();
    const restarted = Journal.open(path, identity, { restart: true });
    expect(restarted.completeRun()).toBeUndefined();
    expect([...restarted.reportLines()]).toEqual([]);
    restarted.close();
  });

  it('puts the default journal under XDG_STATE_HOME, one per source and target', () => {
    const one = defaultJournalPath(identity, { XDG_STATE_HOME: '/state' });
    expect(one).toMatch(/^\/state\/orthanc-import\/journal-[0-9a-f]{16}\.sqlite$/);
    expect(defaultJournalPath({ ...identity, target: 'http://other:1' }, { XDG_STATE_HOME: '/state' })).not.toBe(one);
  });
});

describe('one run per journal', () => {
  it('refuses a second opening while the first holds it, with E_JOURNAL_LOCKED (exit 2)', async () => {
    const path = await newPath();
    const first = Journal.open(path, identity, { restart: false });
    const refused = refusalOf(() => Journal.open(path, identity, { restart: false }));
    expect(refused.code).toBe('E_JOURNAL_LOCKED');
    expect(exitCodeFor(refused.code)).toBe(2);
    expect(refused.message).toContain(path);
    first.close();
    Journal.open(path, identity, { restart: false }).close(); // released by close
  });

  it('refuses a second CLI run of the same job naming the PID of the first; after kill -9 of the first, the next run proceeds', async () => {
    const { server, release, firstUpload } = await heldTarget();
    try {
      const path = await newPath();
      const args = [SAMPLE_DICOM, server.url, '--no-verify', '--concurrency', '1', '--journal', path, '--quiet'];
      const first = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
      const firstExit = new Promise<NodeJS.Signals | null>((resolve) => first.once('exit', (_code, signal) => { resolve(signal); }));
      await firstUpload; // the first run holds the journal, its first upload held by the target
      const second = await runCli(args);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`The journal ${path} is in use by process ${String(first.pid)}`);
      expect(second.stderr).not.toMatch(/unexpected/);
      first.kill('SIGKILL');
      expect(await firstExit).toBe('SIGKILL');
      release();
      const third = await runCli(args);
      expect(third.stderr).toBe('');
      expect(third.code).toBe(0);
      expect(third.stdout).toMatch(/Imported/);
    } finally {
      await server.close();
    }
  });
});

describe('isFinal', () => {
  it('treats delivered-and-verified and stable classes as done, failures and conflicts as to retry', () => {
    expect(isFinal(delivered, true)).toBe(true);
    expect(isFinal({ ...delivered, verified: undefined }, true)).toBe(false);
    expect(isFinal({ ...delivered, verified: undefined }, false)).toBe(true);
    for (const fileClass of ['pixel-data-cache', 'json-summary', 'not-dicom', 'orphan', 'corrupt', 'corrupt-source'] as const) {
      expect(isFinal({ path: 'p', size: 1, fileClass }, true)).toBe(true);
    }
    for (const fileClass of ['failed', 'rejected', 'conflict', 'missing', 'absent'] as const) {
      expect(isFinal({ path: 'p', size: 1, fileClass }, true)).toBe(false);
    }
  });
});

