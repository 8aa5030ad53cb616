// An index that cannot be read ends the run with exit 2 and a message naming the file and why,
// never "unexpected error".
import { chmod, cp, mkdir, mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/run-cli.js';
import { SAMPLE_STORAGE } from '../../../helpers/storages.js';

const storageCopy = async (): Promise<string> => {
  const dir = join(await mkdtemp(join(tmpdir(), 'oi-bad-index-')), 'storage');
  await cp(SAMPLE_STORAGE, dir, { recursive: true });
  return dir;
};

const expectRefused = async (args: readonly string[], message: string | RegExp): Promise<void> => {
  const { code, stdout, stderr } = await runCli([...args, '--quiet']);
  expect(stderr).not.toMatch(/unexpected error/);
  expect(stderr).toMatch(message);
  expect(code).toBe(2);
  expect(stdout).toBe('');
};

// root reads and writes anything: the CLI then runs as nobody (setpriv), the storage readable to it.
const runAsAnotherUser = async (storage: string): Promise<{ code: number | null; stderr: string }> => {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) for (const folder of [tmpdir(), join(storage, '..')]) await chmod(folder, 0o711);
  const node = asRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath] : [process.execPath];
  return runCli([storage, '--quiet'], {}, { node });
};

describe('an unreadable index', () => {
  it('refuses an index that is not SQLite, naming it', async () => {
    const storage = await storageCopy();
    await writeFile(join(storage, 'index'), 'this is not a database, just text that is long enough to be a header '.repeat(100));
    await expectRefused([storage], `orthanc-import: ${join(storage, 'index')} is not a readable SQLite database: file is not a database`);
  });

  it('refuses a truncated index, naming it', async () => {
    const storage = await storageCopy();
    await truncate(join(storage, 'index'), 8192);
    await expectRefused([storage], new RegExp(`^orthanc-import: ${join(storage, 'index')} is not a readable (SQLite database|Orthanc index): .*malformed`));
  });

  it('refuses --index naming a directory, naming it', async () => {
    const storage = await storageCopy();
    const folder = join(storage, 'not-a-file');
    await mkdir(folder);
    await expectRefused([storage, '--index', folder], `The Orthanc index ${folder} is not a file`);
  });

  it('refuses an index this user may not read (EACCES), naming it', async () => {
    const storage = await storageCopy();
    await chmod(join(storage, 'index'), 0o000);
    const { code, stderr } = await runAsAnotherUser(storage);
    expect(stderr).toBe(`orthanc-import: Cannot read the Orthanc index ${join(storage, 'index')} (EACCES)\n`);
    expect(code).toBe(2);
  });

  it('reads an index this user may only read (mode 0444): the private copy is made writable', async () => {
    const storage = await storageCopy();
    await chmod(join(storage, 'index'), 0o444);
    const { code, stderr } = await runAsAnotherUser(storage);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
