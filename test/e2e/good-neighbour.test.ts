// A good neighbour on a real Orthanc: --bwlimit and --schedule deliver and verify everything; a run
// started outside its windows waits, says until when, and stops cleanly on Ctrl-C (the next run resumes).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import { heldTarget } from '../helpers/scripted-server.js';
import { instanceMd5s, listInstances, orthancsOfThisFile } from '../helpers/orthanc.js';
import { exitOf, runCli, spawnCli } from '../helpers/run-cli.js';
import { runOnTerminal } from '../helpers/terminal.js';
import { md5File } from '../helpers/tree.js';

const start = orthancsOfThisFile();
let folder: string;
let expectedMd5s: string[];

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const hhmm = (date: Date): string => `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
// Every day, from an hour ago to two hours from now (across midnight when run near it): open now.
const openNow = (): string => `${hhmm(new Date(Date.now() - 3600_000))}-${hhmm(new Date(Date.now() + 2 * 3600_000))}`;
// The whole day after tomorrow: closed now.
const closedNow = (): string => DAYS[(new Date().getDay() + 2) % 7] ?? 'Sun';

const journalIn = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-gn-')), 'j.sqlite');

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oi-gn-'));
  const small = await generateDicoms({ out: folder, count: 30, rows: 64, cols: 64, patients: 2, studies: 2, series: 2, seed: 13, prefix: 'GN' });
  // Bodies of 2 MB: many pieces each, several in flight at once.
  const large = await generateDicoms({ out: folder, count: 3, start: 30, rows: 1024, cols: 1024, seed: 14, prefix: 'GNL' });
  expectedMd5s = (await Promise.all([...small, ...large].map((file) => md5File(file)))).sort();
});


describe('good neighbour', () => {
  it('delivers and verifies everything under --bwlimit inside an open --schedule', async () => {
    const target = await start();
    const { code, stdout, stderr } = await runCli([folder, target.url, '--bwlimit', '4M', '--schedule', openNow(), '--journal', await journalIn(), '-c', '4']);
    expect(stderr).not.toMatch(/paused until/);
    expect(code).toBe(0);
    expect(stdout).toContain('verified on the target by this run: 33 of 33 delivered instances (33 MD5 read back)');
    expect(stdout).toContain('paused outside the --schedule windows: 0.0s');
    expect([...(await instanceMd5s(target)).values()].sort()).toEqual(expectedMd5s);
  });

  it('outside the windows waits and says until when; Ctrl-C stops it cleanly, and the next run delivers everything', async () => {
    const target = await start();
    const journal = await journalIn();
    const child = spawnCli([folder, target.url, '--schedule', closedNow(), '--journal', journal]);
    const exited = exitOf(child);
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/paused until \w{3} 00:00: outside the --schedule windows/.test(stderr)) resolve();
      });
    });
    child.kill('SIGINT');
    const { code, stdout } = await exited;
    expect(code).toBe(130);
    expect(stdout).toMatch(/INTERRUPTED/);
    expect(stdout).toMatch(/paused outside the --schedule windows: \d+(\.\d)?s/);
    expect(await listInstances(target)).toEqual([]);
    const again = await runCli([folder, target.url, '--journal', journal]);
    expect(again.code).toBe(0);
    expect([...(await instanceMd5s(target)).values()].sort()).toEqual(expectedMd5s);
  });

  it('shows the pause on a real terminal, where a typed Ctrl-C stops the run', async () => {
    const { server, release } = await heldTarget();
    try {
      const run = runOnTerminal([folder, server.url, '--schedule', closedNow(), '--journal', await journalIn()], { columns: 200 });
      await run.waitFor(/paused until \w{3} 00:00 \(outside the --schedule windows\)/);
      run.type('\x03');
      const { code, output } = await run.exited;
      expect(code).toBe(130);
      expect(output).toMatch(/INTERRUPTED/);
      expect(server.requests.filter((request) => request.method === 'POST')).toEqual([]);
    } finally {
      release();
      await server.close();
    }
  });

  it.each([
    [['--bwlimit', '10Mbit'], "Expected --bwlimit to be bytes per second, optionally with a k, M or G suffix (10M = 10 MiB/s), got '10Mbit'"],
    [['--schedule', 'Mon-Fry 19:00-07:00'], "--schedule 'Mon-Fry 19:00-07:00': 'Fry' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"],
  ])('refuses %j in one line, exit 2', async (args, message) => {
    const { code, stderr } = await runCli([folder, 'http://127.0.0.1:1', ...args]);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`orthanc-import: ${message}`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
