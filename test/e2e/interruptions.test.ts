// Week-long runs: the importer killed or interrupted, the target restarted, refusing or full, and
// a slow target; every time nothing is lost and the next run finishes the job.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import { FAILURES_IN_A_ROW } from '../../src/run/failure-streak.js';
import { resolveOptions, runImport, type Summary } from '../../src/index.js';
import { instanceMd5s, listInstances, orthancsOfThisFile, startOrthanc, uploadToOrthanc, waitForInstances, type RunningOrthanc } from '../helpers/orthanc.js';
import { exitOf, runCli, spawnCli } from '../helpers/run-cli.js';
import { startScriptedServer, stored } from '../helpers/scripted-server.js';
import { md5File } from '../helpers/tree.js';

const COUNT = 240;
let folder: string;
let expectedMd5s: string[];
const start = orthancsOfThisFile();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oi-many-'));
  const files = await generateDicoms({ out: folder, count: COUNT, rows: 64, cols: 64, patients: 4, studies: 2, series: 3, seed: 41, prefix: 'RES' });
  expectedMd5s = (await Promise.all(files.map((file) => md5File(file)))).sort();
});

const targetMd5s = async (orthanc: RunningOrthanc): Promise<string[]> => [...(await instanceMd5s(orthanc)).values()].sort();

const summaryOf = async (reportPath: string): Promise<Summary> => (JSON.parse(await readFile(reportPath, 'utf8')) as { summary: Summary }).summary;

// The same files as an Orthanc storage with its index (index mode: per-study completeness), built once.
let storage: Promise<string> | undefined;
const indexStorage = (): Promise<string> =>
  (storage ??= (async () => {
    const source = await start();
    for (const name of (await readdir(folder)).sort()) await uploadToOrthanc(source, join(folder, name));
    await source.stop();
    return source.storageDir;
  })());

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
    expect(resumed.statuses.stored + resumed.statuses.alreadyThere).toBe(COUNT - resumed.resumed - resumed.alreadyOnTarget);
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

  it('Ctrl-C in index mode: no study is called complete, and the report says exit code 130 as the process does', async () => {
    const source = await indexStorage();
    const target = await start();
    const dir = await mkdtemp(join(tmpdir(), 'oi-j-'));
    const reportPath = join(dir, 'report.json');
    const child = spawnCli([source, target.url, '--concurrency', '1', '--journal', join(dir, 'j.sqlite'), '--report', reportPath, '--quiet']);
    const exited = exitOf(child);
    await waitForInstances(target, 30);
    child.kill('SIGINT');
    const { code, stdout } = await exited;
    expect(code).toBe(130);
    expect(stdout).toMatch(/^ {2}studies: \d+ begun, incomplete or not checked \(the run stopped early\)$/m);
    expect(stdout).not.toMatch(/studies complete/);
    const summary = await summaryOf(reportPath);
    expect(summary).toMatchObject({ interrupted: true, exitCode: 130, studies: { complete: 0, incomplete: [], notChecked: true } });
    expect(summary.instances).toBeLessThan(COUNT);
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
      // stdout still has the summary of what was done before the stop
      expect(failed.stdout).toMatch(/target answers: 5 stored/);
      expect(failed.stdout).toMatch(/the run stopped early: .*HTTP 401/);
      // The report is still complete: what was done, and why the run stopped.
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: { interrupted: boolean; warnings: string[]; statuses: { stored: number } } };
      expect(report.summary.interrupted).toBe(true);
      expect(report.summary).toMatchObject({ exitCode: 3 });
      expect(report.summary.statuses.stored).toBe(5);
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

  it('507 storage full: exit 3 with a clear message, and the report says 3 too', async () => {
    const server = await startScriptedServer((_index, _request, response) => response.writeHead(507).end());
    try {
      const reportPath = join(await mkdtemp(join(tmpdir(), 'oi-507-')), 'report.json');
      const { code, stderr } = await runCli([folder, server.url, '--no-verify', '--report', reportPath]);
      expect(code).toBe(3);
      expect(stderr).toMatch(/target is full \(HTTP 507/);
      expect(await summaryOf(reportPath)).toMatchObject({ interrupted: true, exitCode: 3 });
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
    expect(stderr).toContain(`orthanc-import: The target ${server.url} stopped answering`);
    expect(stderr).toMatch(/still away after 2 s \(--retry-timeout\)/);
  });
});

describe('a target that fails every upload the same way', () => {
  it(`stops the run after ${FAILURES_IN_A_ROW} failures in a row of one cause, naming it (exit 3), instead of failing every file`, async () => {
    // Orthanc 1.10.1's verbatim answer to every upload once the disk of its SQLite index is full
    // (index and storage on a 256 KiB tmpfs; its log says "SQLite error code 13", SQLITE_FULL).
    const sqliteFull = '{ "HttpError" : "Internal Server Error", "HttpStatus" : 500, "Message" : "SQLite: Cannot run a cached statement", "Method" : "POST", "OrthancError" : "SQLite: Cannot run a cached statement", "OrthancStatus" : 1009, "Uri" : "/instances" }';
    const server = await startScriptedServer((_index, request, response) => {
      if (request.method === 'POST' && request.url.endsWith('/instances')) response.writeHead(500, { 'content-type': 'application/json' }).end(sqliteFull);
      else if (request.url.endsWith('/tools/lookup')) response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      else response.writeHead(404).end(); // the failed instance is not on the target
    });
    try {
      const reportPath = join(await mkdtemp(join(tmpdir(), 'oi-streak-')), 'report.json');
      const { code, stderr } = await runCli([folder, server.url, '--retries', '0', '--concurrency', '1', '--report', reportPath]);
      expect(code).toBe(3);
      expect(stderr).toMatch(/50 uploads in a row failed the same way: gave up after 1 attempts: HTTP 500 SQLite: Cannot run a cached statement \(Orthanc could not write its index database: is the disk of its index full\?\)/);
      expect(server.requests.filter((request) => request.method === 'POST' && request.url.endsWith('/instances'))).toHaveLength(FAILURES_IN_A_ROW);
      const summary = await summaryOf(reportPath);
      expect(summary).toMatchObject({ interrupted: true, exitCode: 3 });
      expect(summary.classes.failed.files).toBe(FAILURES_IN_A_ROW - 1);
    } finally {
      await server.close();
    }
  });
});

describe('a full target disk (a real Orthanc whose storage is on a small tmpfs)', () => {
  let mountPoint: string;
  let refused: string | undefined;

  beforeAll(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'oi-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      refused = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message;
    }
  });

  afterAll(() => {
    if (refused === undefined) execFileSync('umount', [mountPoint]);
  });

  it('stops at once (exit 3, "the target\'s disk is full"), the journal intact; once space is freed the same command resumes', async (context) => {
    if (refused !== undefined) context.skip(`mount -t tmpfs was refused (${refused}): the full-disk test needs root`);
    // Orthanc 1.10.1's verbatim answer to an upload once its storage disk is full (its index elsewhere):
    // HTTP 500 { "HttpError" : "Internal Server Error", "HttpStatus" : 500, "Message" : "Cannot write to file",
    //   "Method" : "POST", "OrthancError" : "Cannot write to file", "OrthancStatus" : 14, "Uri" : "/instances" }
    // (no Details); 507 comes only from its own MaximumStorageSize limit in Reject mode.
    const target = await startOrthanc({ storageDir: mountPoint, config: { IndexDirectory: await mkdtemp(join(tmpdir(), 'oi-full-index-')) } });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'oi-j-'));
      const args = [folder, target.url, '--journal', join(dir, 'j.sqlite')];
      const full = await runCli([...args, '--report', join(dir, 'full.json')]);
      if (full.code !== 3) console.log(full.stdout, full.stderr);
      expect(full.code).toBe(3);
      expect(full.stderr).toMatch(/The target's disk is full: Orthanc answered HTTP 500 "Cannot write to file"/);
      const stopped = await summaryOf(join(dir, 'full.json'));
      expect(stopped).toMatchObject({ interrupted: true, exitCode: 3 });
      expect(stopped.classes.failed.files).toBe(0);
      const before = (await listInstances(target)).length;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(COUNT);

      execFileSync('mount', ['-o', 'remount,size=64m', mountPoint]);
      const again = await runCli([...args, '--report', join(dir, 'again.json')]);
      expect(again.code).toBe(0);
      const resumed = await summaryOf(join(dir, 'again.json'));
      // What the stopped run recorded is not sent again: the journal kept it.
      expect(resumed.resumed).toBeGreaterThan(0);
      expect(resumed.resumed).toBeLessThanOrEqual(before);
      expect(resumed.statuses.stored + resumed.statuses.alreadyThere + resumed.resumed + resumed.alreadyOnTarget).toBe(COUNT);
      expect(await targetMd5s(target)).toEqual(expectedMd5s);
    } finally {
      await target.stop();
    }
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
      expect(summary.statuses.stored).toBe(COUNT);
      expect(peak).toBe(3);
    } finally {
      await server.close();
    }
  });
});
