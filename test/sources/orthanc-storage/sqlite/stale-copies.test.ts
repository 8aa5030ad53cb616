// The private index copy of a run killed with kill -9 does not stay in $TMPDIR for ever: the next
// run removes it, and never the copy of a run still alive.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../../helpers/run-cli.js';
import { heldTarget } from '../../../helpers/scripted-server.js';
import { SAMPLE_STORAGE } from '../../../helpers/storages.js';

const copiesIn = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((name) => name.startsWith('oi-index-'));

describe('index copies of killed runs', () => {
  it('are removed by the next run once their owner is dead (a real kill -9), and kept while it lives', async () => {
    const { server, release, firstUpload } = await heldTarget();
    try {
      const temp = await mkdtemp(join(tmpdir(), 'oi-tmpdir-'));
      const env = { PATH: process.env['PATH'] ?? '', TMPDIR: temp, XDG_STATE_HOME: temp };
      const killed = spawn(process.execPath, [CLI, SAMPLE_STORAGE, server.url, '--no-verify', '--concurrency', '1', '--quiet'], { env, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => killed.once('exit', (_code, signal) => { resolve(signal); }));
      await firstUpload; // mid-run: its copy is open
      const copies = await copiesIn(temp);
      expect(copies).toEqual([expect.stringMatching(new RegExp(`^oi-index-${String(killed.pid)}-`))]);

      const whileAlive = await runCli([SAMPLE_STORAGE, '--quiet'], env);
      expect(whileAlive.code).toBe(0);
      expect(await copiesIn(temp)).toEqual(copies); // its own copy gone, the live run's kept

      killed.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(await copiesIn(temp)).toEqual(copies); // kill -9: nothing removed it
      release();
      const next = await runCli([SAMPLE_STORAGE, '--quiet'], env);
      expect(next.code).toBe(0);
      expect(await copiesIn(temp)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
