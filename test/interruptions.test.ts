// Week-long runs: the importer killed or interrupted, the target restarted, refusing or full, and
// a slow target; every time nothing is lost and the next run finishes the job.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDicoms } from '../fixtures/make-dicoms.js';
import { resolveOptions, runImport } from '../src/index.js';
import { instanceMd5s, listInstances, orthancJson, orthancsOfThisFile, type RunningOrthanc } from './helpers/orthanc.js';
import { CLI, runCli } from './helpers/run-cli.js';
import { startScriptedServer, stored } from './helpers/scripted-server.js';
import { md5File } from './helpers/tree.js';

const COUNT = 240;
let folder: string;
let expectedMd5s: string[];
const start = orthancsOfThisFile();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oi-many-'));
  const files = await generateDicoms({ out: folder, count: COUNT, rows: 64, cols: 64, patients: 4, studies: 2, series: 3, seed: 41, prefix: 'RES' });
  expectedMd5s = (await Promise.all(files.map((file) => md5File(file)))).sort();
});

const spawnCli = (args: readonly string[]): ChildProcess =>
  spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', XDG_STATE_HOME: process.env['XDG_STATE_HOME'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });

const exitOf = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> =>
  new Promise((resolve) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('exit', (code, signal) => {
      resolve({ code, signal, stdout });
    });
  });

const waitForInstances = async (orthanc: RunningOrthanc, atLeast: number): Promise<void> => {
  for (let i = 0; i < 600; i++) {
    const { CountInstances } = await orthancJson<{ CountInstances: number }>(orthanc, '/statistics');
    if (CountInstances >= atLeast) return;
    await sleep(20);
  }
  throw new Error(`the target never reached ${atLeast} instances`);
};

const targetMd5s = async (orthanc: RunningOrthanc): Promise<string[]> => [...(await instanceMd5s(orthanc)).values()].sort();

describe('interrupted runs resume', () => {
  it('after kill -9 of the importer, the next run completes and sends only what is missing', async () => {
    const target = await start();
    const journal = join(await mkdtemp(join(tmpdir(), 'oi-j-')), 'j.sqlite');
    const child = spawnCli([folder, target.url, '--concurrency', '1', '--journal', journal, '--quiet']);
    const exited = exitOf(child);
    await waitForInstances(target, 40);
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    const before = (await listInstances(target)).length;
    expect(before).toBeLessThan(COUNT);

    const resumed = await runImport(resolveOptions({ source: folder, target: target.url, journalPath: journal }));
    expect(resumed.exitCode).toBe(0);
    expect(resumed.resumed).toBeGreaterThan(0);
    expect(resumed.classes.dicom.files).toBe(COUNT);
    // What was on the target before is not sent again: replayed from the journal, or found in its listing.
    expect(resumed.resumed + resumed.alreadyOnTarget).toBeGreaterThanOrEqual(before);
    expect(resumed.statuses.Success + resumed.statuses.AlreadyStored).toBe(COUNT - resumed.resumed - resumed.alreadyOnTarget);
    expect(await targetMd5s(target)).toEqual(expectedMd5s);
  });

  it('Ctrl-C finishes the files in flight, prints the summary, exits 130; the next run completes', async () => {
    const target = await start();
    const journal = join(await mkdtemp(join(tmpdir(), 'oi-j-')), 'j.sqlite');
    const child = spawnCli([folder, target.url, '--concurrency', '1', '--journal', journal, '--quiet']);
    const exited = exitOf(child);
    await waitForInstances(target, 30);
    child.kill('SIGINT');
    const { code, stdout } = await exited;
    expect(code).toBe(130);
    expect(stdout).toMatch(/INTERRUPTED/);
    const { code: again, stdout: second } = await runCli([folder, target.url, '--journal', journal]);
    expect(again).toBe(0);
    expect(second).toMatch(/files not read again: done in an earlier run/);
    expect(await targetMd5s(target)).toEqual(expectedMd5s);
  });

  it('pauses while the target Orthanc is stopped, and carries on when it is back', async () => {
    const first = await start();
    const child = spawnCli([folder, first.url, '--concurrency', '2', '--quiet']);
    const exited = exitOf(child);
    await waitForInstances(first, 30);
    await first.stop();
    await sleep(1500);
    const second = await start({ storageDir: first.storageDir, port: first.port });
    const { code } = await exited;
    expect(code).toBe(0);
    expect(await targetMd5s(second)).toEqual(expectedMd5s);
  });
});

describe('a target that refuses, fills up or goes away for good stops the run at once', () => {
  it('401 in the middle of a run: exit 3, the journal kept; the next run asks the target, not the journal', async () => {
    let refuse = true;
    const server = await startScriptedServer((index, _request, response) => {
      if (refuse && index >= 5) response.writeHead(401).end();
      else stored(response);
    });
    try {
      const journal = join(await mkdtemp(join(tmpdir(), 'oi-j-')), 'j.sqlite');
      const args = [folder, server.url, '--journal', journal, '--concurrency', '1', '--no-verify'];
      const reportPath = `${journal}.report.json`;
      const failed = await runCli([...args, '--report', reportPath]);
      expect(failed.code).toBe(3);
      expect(failed.stderr).toMatch(/refused the credentials during the run \(HTTP 401\)/);
      // The report is still complete: what was done, and why the run stopped.
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: { interrupted: boolean; warnings: string[]; statuses: { Success: number } } };
      expect(report.summary.interrupted).toBe(true);
      expect(report.summary.statuses.Success).toBe(5);
      expect(report.summary.warnings.join()).toMatch(/the run stopped early: .*HTTP 401/);
      expect(existsSync(`${reportPath}.entries.tmp`)).toBe(false);
      refuse = false;
      const posts = (): number => server.requests.filter((request) => request.method === 'POST').length;
      const before = posts();
      const again = await runCli(args);
      expect(again.code).toBe(0);
      // The journal may spare reading the source, never asking the target: this scripted target
      // lists none of the five it stored, so they are sent again with the rest.
      expect(posts() - before).toBe(COUNT);
    } finally {
      await server.close();
    }
  });

  it('507 storage full: exit 3 with a clear message', async () => {
    const server = await startScriptedServer((_index, _request, response) => response.writeHead(507).end());
    try {
      const { code, stderr } = await runCli([folder, server.url, '--no-verify']);
      expect(code).toBe(3);
      expect(stderr).toMatch(/target is full \(HTTP 507/);
    } finally {
      await server.close();
    }
  });

  it('a target gone for longer than --retry-timeout: exit 3, not thousands of failed files', async () => {
    const server = await startScriptedServer((index, _request, response) => {
      stored(response);
      if (index === 3) void server.close();
    });
    const { code, stderr } = await runCli([folder, server.url, '--retry-timeout', '2', '--concurrency', '1', '--no-verify']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/stopped answering .* still away after 2 s \(--retry-timeout\)/);
  });
});

describe('backpressure', () => {
  it('never has more uploads in flight than --concurrency against a slow target', async () => {
    let inFlight = 0;
    let peak = 0;
    const server = await startScriptedServer((_index, _request, response) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        stored(response);
      }, 15);
    });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'oi-slow-'));
      await mkdir(dir, { recursive: true });
      const summary = await runImport(resolveOptions({ source: folder, target: server.url, concurrency: 3, verify: false, journalPath: join(dir, 'j.sqlite') }));
      expect(summary.statuses.Success).toBe(COUNT);
      expect(peak).toBe(3);
    } finally {
      await server.close();
    }
  });
});
