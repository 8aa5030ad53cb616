// Runs the built command line as a user would, capturing its output and exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// `node` runs node through another command (e.g. setpriv, to run as another user).
// Why: the CLI's contract (output, exit codes, secrets kept out of output) is only visible from outside.
export const runCli = (args: readonly string[], env: Record<string, string> = {}, options: { readonly cwd?: string; readonly node?: readonly string[] } = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const [command = process.execPath, ...prefix] = options.node ?? [process.execPath];
    const child = spawn(command, [...prefix, CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', XDG_STATE_HOME: process.env['XDG_STATE_HOME'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => { resolve({ code, stdout, stderr }); });
  });

// Why: a run to interrupt (kill -9, Ctrl-C) or to outlive a restart is started, not awaited.
export const spawnCli = (args: readonly string[]): ChildProcess =>
  spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', XDG_STATE_HOME: process.env['XDG_STATE_HOME'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });

// Why: how a spawned run ended, with what it printed.
export const exitOf = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
