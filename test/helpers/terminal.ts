// Runs the built command line on a real pseudo-terminal (util-linux `script`), as a person at a
// terminal would: what it draws, and what a key typed there does.
import { spawn } from 'node:child_process';
import { CLI } from './run-cli.js';

export interface TerminalRun {
  /** Types bytes on the terminal's keyboard (0x03 is Ctrl-C). */
  type(bytes: string): void;
  /** Resolves once the terminal shows text matching the pattern. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Everything the terminal showed so far. */
  output(): string;
  /** The command's exit code (script -e passes it on) and all it showed. */
  readonly exited: Promise<{ readonly code: number | null; readonly output: string }>;
}

const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

// Why: Ctrl-C, 0 columns and TERM=dumb only exist on a terminal; a pipe cannot show them.
export const runOnTerminal = (args: readonly string[], options: { columns: number; env?: Record<string, string> }): TerminalRun => {
  const command = `stty cols ${options.columns} rows 24; exec ${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', XDG_STATE_HOME: process.env['XDG_STATE_HOME'] ?? '', TERM: 'xterm-256color', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let shown = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
    for (const wake of waiters) wake();
  });
  const exited = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.end();
      for (const wake of waiters) wake();
      resolve({ code, output: shown });
    });
  });
  const waitFor = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(shown)) {
          waiters.delete(check);
          resolve();
        } else if (child.exitCode !== null) {
          waiters.delete(check);
          reject(new Error(`the terminal never showed ${String(pattern)}; it showed:\n${shown}`));
        }
      };
      waiters.add(check);
      check();
    });
  const type = (bytes: string): void => {
    child.stdin.write(bytes);
  };
  return { type, waitFor, output: () => shown, exited };
};
