// The command line from the outside: exit codes, messages, and secrets that never show.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_NAMES } from '../../src/cli/args.js';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.js';
import { runCli } from '../helpers/run-cli.js';
import { startScriptedServer, stored } from '../helpers/scripted-server.js';
import { snapshotTree } from '../helpers/tree.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const SAMPLE_STORAGE = join(FIXTURES, 'sample-storage');
const SAMPLE_DICOM = join(FIXTURES, 'dicom');
const SECRET = 'pa55-Secret-word';

const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

describe('usage', () => {
  it('documents every option and the exit codes in --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const option of OPTION_NAMES.filter((name) => !['skip-existing', 'verify'].includes(name))) {
      expect(stdout).toContain(`--${option}`);
    }
    // The two options that are on by default are documented by their negation.
    expect(stdout).toContain('--no-skip-existing');
    expect(stdout).toContain('--no-verify');
    expect(stdout).toContain('Exit codes');
    expect(stdout).toContain('Examples');
  });

  it('prints the version of package.json with --version', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(manifest.version);
  });

  it.each([
    [[], /source/],
    [[SAMPLE_DICOM, '--bogus'], /unknown option '--bogus'/],
    [[SAMPLE_DICOM, '--concurrency', 'many'], /Expected --concurrency to be a number, got 'many'/],
    [[SAMPLE_DICOM, '--index', 'x', '--no-index'], /either --index FILE or --no-index/],
    [[join(FIXTURES, 'does-not-exist')], /does-not-exist \(ENOENT\)/],
    [[SAMPLE_DICOM, 'ftp://127.0.0.1/'], /http:\/\/ or https:\/\//],
    [[SAMPLE_DICOM, 'http://127.0.0.1:1', '--concurrency', '0'], /--concurrency/],
    [[SAMPLE_DICOM, 'http://127.0.0.1:1', '--header', 'no colon'], /Name: value/],
    [[SAMPLE_DICOM, 'http://127.0.0.1:1', '--layout', 'flat'], /--layout only applies to a recovery into a folder, not to an Orthanc URL/],
    [[SAMPLE_DICOM, '--overwrite'], /--overwrite only applies to a recovery into a folder, and no target folder was given/],
    [[SAMPLE_DICOM, '--study-date', '2021-02-30..2021-03-31'], /^orthanc-import: Expected --study-date to name days of the calendar, got '2021-02-30' in '2021-02-30\.\.2021-03-31'\n/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('mistakes refused before the run', () => {
  it.each(['127.0.0.1:8042', 'localhost:8042', 'pacs.example.org', 'pacs:8042/orthanc'])('refuses the target %j (exit 2, the URL suggested) and creates no folder', async (target) => {
    const cwd = await mkdtemp(join(tmpdir(), 'oi-cwd-'));
    const { code, stdout, stderr } = await runCli([SAMPLE_DICOM, target], {}, { cwd });
    expect(code).toBe(2);
    expect(stderr).toContain(`did you mean http://${target}?`);
    expect(stderr).toContain('a recovery folder is written ./');
    expect(stdout).toBe('');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('names the journal once as the run begins, on stderr (not with --quiet; no journal, no line)', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'oi-cwd-'));
    const state = join(cwd, 'state');
    const run = await runCli([SAMPLE_DICOM, './recovered'], { XDG_STATE_HOME: state }, { cwd });
    expect(run.code).toBe(0);
    const named = run.stderr.split('\n').filter((line) => line.startsWith('journal: '));
    expect(named).toHaveLength(1);
    const [, path = ''] = /^journal: (\S+) \(the same command resumes\)$/.exec(named[0] ?? '') ?? [];
    expect(path.startsWith(join(state, 'orthanc-import', 'journal-'))).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(run.stdout).not.toContain('journal:');
    const quiet = await runCli([SAMPLE_DICOM, './recovered', '--quiet'], { XDG_STATE_HOME: state }, { cwd });
    expect(quiet.stderr).not.toContain('journal:');
    const inventory = await runCli([SAMPLE_DICOM], { XDG_STATE_HOME: state }, { cwd });
    expect(inventory.stderr).not.toContain('journal:');
  });

  it('recovers into a folder written as a path', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'oi-cwd-'));
    const { code } = await runCli([SAMPLE_DICOM, './recovered', '--quiet', '--journal', join(cwd, 'j.sqlite')], {}, { cwd });
    expect(code).toBe(0);
    expect((await readdir(join(cwd, 'recovered'))).length).toBeGreaterThan(0);
  });

  it.each([
    ['a directory', (dir: string): string => dir, /\(it is a directory: give a file name\)/],
    ['a path whose folder is missing', (dir: string): string => join(dir, 'no', 'r.json'), /\(its folder .*no does not exist\)/],
  ])('refuses a --report naming %s before the source is read or the target asked', async (_name, reportPath, reason) => {
    const server = await startScriptedServer((_index, _request, response) => { stored(response); });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'oi-report-'));
      // The source does not exist: the report is refused first, so the source was not even looked at.
      const { code, stderr } = await runCli([join(dir, 'no-source'), server.url, '--report', reportPath(dir)]);
      expect(code).toBe(2);
      expect(stderr).toMatch(reason);
      expect(stderr).toMatch(/^orthanc-import: Cannot write the report /);
      expect(server.requests).toEqual([]);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('no secret in any output', () => {
  it.each([
    [`http://admin:my/${SECRET}@127.0.0.1:80800`, 2],
    [`http://u:${SECRET}@[bad`, 2],
    [`http://u:%E0%A4%A${SECRET}@127.0.0.1:1`, 2],
    [`admin:${SECRET}@127.0.0.1:8042`, 2],
  ])('keeps the password of %j out of the error', async (target, exitCode) => {
    const { code, stdout, stderr } = await runCli([SAMPLE_DICOM, target]);
    expect(code).toBe(exitCode);
    expect(stderr).toMatch(/^orthanc-import: Expected /);
    expect(stdout + stderr).not.toContain(SECRET);
  });

  it('keeps a password with a space (https://user:pa ss@h) out of the error, the report and the journal', async () => {
    const server = await startScriptedServer((_index, _request, response) => { stored(response); });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'oi-secret-'));
      const journal = join(dir, 'j.sqlite');
      const report = join(dir, 'r.json');
      const target = server.url.replace('//', `//user:pa ss${SECRET}@`);
      const { code, stdout, stderr } = await runCli([SAMPLE_DICOM, target, '--no-verify', '--journal', journal, '--report', report]);
      expect(code).toBe(0);
      expect(server.requests.find((request) => request.url.endsWith('/system'))?.headers.authorization).toBe(`Basic ${Buffer.from(`user:pa ss${SECRET}`).toString('base64')}`);
      expect(stdout + stderr).not.toContain(SECRET);
      for (const file of await readdir(dir)) expect((await readFile(join(dir, file))).includes(SECRET)).toBe(false);
      const unreachable = await runCli([SAMPLE_DICOM, `https://user:pa ss${SECRET}@127.0.0.1:${await closedPort()}`]);
      expect(unreachable.code).toBe(3);
      expect(unreachable.stdout + unreachable.stderr).not.toContain(SECRET);
    } finally {
      await server.close();
    }
  });
});

describe('inventory (no target)', () => {
  it('classifies the bundled sample storage, uploads nothing and leaves it untouched', async () => {
    const before = await snapshotTree(SAMPLE_STORAGE);
    const dir = await mkdtemp(join(tmpdir(), 'oi-cli-'));
    const { code, stdout } = await runCli([SAMPLE_STORAGE, '--report', join(dir, 'r.json')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Inventory of/);
    expect(stdout).toMatch(/pixel-data-cache\s+\d+ files/);
    expect(stdout).toMatch(/instances \([\d.]+ [KMG]iB decoded\) found in [\d.]+s: read at .*; nothing was uploaded$/m);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as { summary: { dryRun: boolean; target: null } };
    expect(report.summary).toMatchObject({ dryRun: true, target: null });
    expect(await snapshotTree(SAMPLE_STORAGE)).toEqual(before);
    expect(existsSync(join(SAMPLE_STORAGE, 'index-wal'))).toBe(false);
  });

  it('takes --study-date in ISO dates as in DICOM dates, open ends too', async () => {
    const dicom = await runCli([SAMPLE_DICOM, '--study-date', '..20191231', '--quiet']);
    const iso = await runCli([SAMPLE_DICOM, '--study-date', '..2019-12-31', '--quiet']);
    expect(iso.code).toBe(0);
    expect(iso.stdout).toContain('filters: StudyDate ..20191231');
    expect(iso.stdout).toMatch(/^ {2}excluded +8 files/m);
    const counts = (stdout: string): string[] => stdout.split('\n').filter((line) => /files|patients/.test(line));
    expect(counts(iso.stdout)).toEqual(counts(dicom.stdout));
  });

  it('a report that cannot be written at the end (a full disk: /dev/full) is named in one line, and the summary is still printed', async (context) => {
    if (!existsSync('/dev/full')) context.skip('no /dev/full on this machine');
    const { code, stdout, stderr } = await runCli([SAMPLE_DICOM, '--report', '/dev/full', '--quiet']);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^Inventory of /);
    expect(stdout).toMatch(/instances \([\d.]+ [KMG]iB decoded\) found in [\d.]+s: read at .*; nothing was uploaded$/m);
    expect(stderr.trim()).toMatch(/^orthanc-import: Cannot write the report \/dev\/full \(ENOSPC\)$/);
    expect(existsSync('/dev/full.entries.tmp')).toBe(false);
  });
});

// A folder of junk (and an empty one): most likely not the folder the user meant.
const foldersWithoutDicom = async (): Promise<string[]> => {
  const junk = await mkdtemp(join(tmpdir(), 'oi-junk-'));
  await writeFile(join(junk, 'notes.txt'), 'not an image');
  await mkdir(join(junk, 'sub'));
  await writeFile(join(junk, 'sub', 'IMG0001'), Buffer.alloc(4096, 7));
  return [junk, await mkdtemp(join(tmpdir(), 'oi-empty-'))];
};

const expectNoDicom = (source: string, result: { code: number | null; stdout: string; stderr: string }): void => {
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`  warning: no DICOM found in ${source}: is it the right folder?`);
  expect(result.stderr).toContain(`warning: no DICOM found in ${source}: is it the right folder?`);
};

describe('a source without any DICOM instance', () => {
  it('exits 1 with "no DICOM found in SOURCE", in an inventory', async () => {
    for (const source of await foldersWithoutDicom()) expectNoDicom(source, await runCli([source]));
  });
});

describe('targets', () => {
  let orthanc: RunningOrthanc;
  beforeAll(async () => {
    orthanc = await startOrthanc({ auth: { username: 'alice', password: SECRET } });
  });
  afterAll(async () => {
    await orthanc.stop();
  });

  it('exits 3 when nothing listens at the target', async () => {
    const { code, stderr } = await runCli([SAMPLE_DICOM, `http://127.0.0.1:${await closedPort()}`]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/Cannot reach the target .*ECONNREFUSED/);
  });

  it('exits 3 on refused credentials and never prints the password', async () => {
    const { code, stdout, stderr } = await runCli([SAMPLE_DICOM, orthanc.url.replace('//', `//alice:wrong-${SECRET}@`)]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/refused the credentials \(HTTP 401\)/);
    expect(stdout + stderr).not.toContain(SECRET);
  });

  it('takes credentials from the environment and keeps them out of the output', async () => {
    const { code, stdout, stderr } = await runCli([SAMPLE_DICOM, orthanc.url], { ORTHANC_USERNAME: 'alice', ORTHANC_PASSWORD: SECRET });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Imported .* into http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout + stderr).not.toContain(SECRET);
  });

  it('exits 1 with "no DICOM found in SOURCE" for an import of a folder without DICOM, and the report says 1', async () => {
    for (const source of await foldersWithoutDicom()) {
      const reportPath = join(await mkdtemp(join(tmpdir(), 'oi-cli-')), 'r.json');
      const result = await runCli([source, orthanc.url, '--report', reportPath], { ORTHANC_USERNAME: 'alice', ORTHANC_PASSWORD: SECRET });
      expectNoDicom(source, result);
      expect(result.stdout).toContain('0 instances (0 B decoded) delivered');
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as { summary: { exitCode: number; warnings: string[] } };
      expect(report.summary).toMatchObject({ exitCode: 1, warnings: [`no DICOM found in ${source}: is it the right folder?`] });
    }
  });

  it('takes credentials from the URL and prints the URL without them', async () => {
    const { code, stdout, stderr } = await runCli([SAMPLE_DICOM, orthanc.url.replace('//', `//alice:${SECRET}@`), '--quiet']);
    expect(code).toBe(0);
    expect(stdout + stderr).not.toContain(SECRET);
    expect(stdout + stderr).not.toContain('alice:');
  });

  it('sends --header values with every request', async () => {
    const server = await startScriptedServer((_index, _request, response) => { stored(response); });
    try {
      const file = join(await mkdtemp(join(tmpdir(), 'oi-cli-')), 'one.dcm');
      await writeFile(file, await readFile(join(SAMPLE_DICOM, '000000.dcm')));
      const { code } = await runCli([file, server.url, '-H', 'Authorization: Bearer t0ken', '-H', 'X-Api-Key: k']);
      expect(code).toBe(0);
      expect(server.requests.length).toBeGreaterThanOrEqual(2);
      for (const request of server.requests) {
        expect(request.headers.authorization).toBe('Bearer t0ken');
        expect(request.headers['x-api-key']).toBe('k');
      }
    } finally {
      await server.close();
    }
  });

  it('exits 1 when the target rejects a file, and names it in the report', async () => {
    const server = await startScriptedServer((_index, _request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ Message: 'Bad file format', Details: 'scripted refusal' }));
    });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'oi-cli-'));
      await writeFile(join(dir, 'one.dcm'), await readFile(join(SAMPLE_DICOM, '000000.dcm')));
      const { code, stdout } = await runCli([join(dir, 'one.dcm'), server.url, '--report', join(dir, 'r.json')]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/rejected\s+1 file\b/);
      const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as { notUploaded: { path: string; class: string; targetDetails: string }[] };
      expect(report.notUploaded).toEqual([expect.objectContaining({ path: 'one.dcm', class: 'rejected', targetDetails: 'scripted refusal' })]);
    } finally {
      await server.close();
    }
  });
});
