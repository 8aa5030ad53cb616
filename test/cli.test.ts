// The command line from the outside: exit codes, messages, and secrets that never show.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_NAMES } from '../src/cli-args.js';
import { startOrthanc, type RunningOrthanc } from './helpers/orthanc.js';
import { runCli } from './helpers/run-cli.js';
import { startScriptedServer, stored } from './helpers/scripted-server.js';
import { snapshotTree } from './helpers/tree.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
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
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(manifest.version);
  });

  it.each([
    [[], /source/],
    [[SAMPLE_DICOM, '--bogus'], /Unknown option '--bogus'/],
    [[SAMPLE_DICOM, '--concurrency', 'many'], /Expected --concurrency to be a number, got 'many'/],
    [[SAMPLE_DICOM, '--index', 'x', '--no-index'], /either --index FILE or --no-index/],
    [[join(FIXTURES, 'does-not-exist')], /does-not-exist \(ENOENT\)/],
    [[SAMPLE_DICOM, 'ftp://127.0.0.1/'], /http:\/\/ or https:\/\//],
    [[SAMPLE_DICOM, 'http://127.0.0.1:1', '--concurrency', '0'], /--concurrency/],
    [[SAMPLE_DICOM, 'http://127.0.0.1:1', '--header', 'no colon'], /Name: value/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
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
    expect(stdout).toMatch(/would be uploaded/);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as { summary: { dryRun: boolean; target: null } };
    expect(report.summary).toMatchObject({ dryRun: true, target: null });
    expect(await snapshotTree(SAMPLE_STORAGE)).toEqual(before);
    expect(existsSync(join(SAMPLE_STORAGE, 'index-wal'))).toBe(false);
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
      expect(result.stdout).toContain('0 instances (0.0 MB decoded) delivered');
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
      expect(stdout).toMatch(/rejected\s+1 files/);
      const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as { notUploaded: { path: string; class: string; orthancDetails: string }[] };
      expect(report.notUploaded).toEqual([expect.objectContaining({ path: 'one.dcm', class: 'rejected', orthancDetails: 'scripted refusal' })]);
    } finally {
      await server.close();
    }
  });
});
