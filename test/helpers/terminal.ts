// Runs the built command line on a real pseudo-terminal, as a person at a terminal would: with
// util-linux `script` (every byte it wrote, keys typed on its keyboard) or tmux (the final screen).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI } from './run-cli.js';

/** The terminal a command runs on. */
export interface TerminalOptions {
  /** Its width (stty cols; tmux -x). */
  readonly columns: number;
  /** Its height (default 24). */
  readonly rows?: number;
  /** Added to PATH, HOME, XDG_STATE_HOME and TERM=xterm-256color (and replacing them): nothing else is inherited. */
  readonly env?: Record<string, string>;
  /** Shell text after the command, e.g. '2>&1 | cat': on a terminal, its output piped. */
  readonly redirect?: string;
  readonly cwd?: string;
}

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

// The command line, its environment set with env -i (the shell around it sees none of it).
const commandLine = (args: readonly string[], options: TerminalOptions): string => {
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', XDG_STATE_HOME: process.env['XDG_STATE_HOME'] ?? '', TERM: 'xterm-256color', ...options.env };
  const assignments = Object.entries(env).map(([name, value]) => quote(`${name}=${value}`));
  return `env -i ${assignments.join(' ')} ${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')} ${options.redirect ?? ''}`;
};

// eslint-disable-next-line no-control-regex -- SGR: what colours (and bold) are written with
const SGR = /\u001B\[[0-9;]*m/g;

/** The bytes without colours (SGR sequences); other escape sequences (cursor, erase) stay. */
export const withoutColours = (bytes: string): string => bytes.replace(SGR, '');

/** Whether the bytes hold any colour (or bold). */
export const hasColour = (bytes: string): boolean => withoutColours(bytes) !== bytes;

/** Text as a person reads it off the terminal: without escape sequences, lines ending in \n. */
export const plainText = (bytes: string): string =>
  // eslint-disable-next-line no-control-regex -- escape sequences are what is removed
  bytes.replace(/\u001B\[[0-9;?]*[A-Za-z]|\u001B\][^\u0007]*\u0007/g, '').replaceAll('\r\n', '\n');

// Why: Ctrl-C, 0 columns, TERM=dumb and colour only exist on a terminal; a pipe cannot show them.
// Every byte the command wrote (escape sequences, \r\n) is kept.
export const runOnTerminal = (args: readonly string[], options: TerminalOptions): TerminalRun => {
  // exec: the command is the terminal's foreground process itself, as when typed at a shell prompt.
  const command = `stty cols ${options.columns} rows ${options.rows ?? 24}; exec ${commandLine(args, options)}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' }, stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
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

const run = promisify(execFile);

// Why: what a terminal shows once the command is done (its scrollback too), drawn by a real
// terminal emulator (tmux): a spinner's last frame, a line the terminal had to wrap. `styles`
// keeps the colours as escape sequences; `joined` joins the lines the terminal wrapped, so a line
// wider than the terminal shows as one.
export const screenOnTerminal = async (
  args: readonly string[],
  options: TerminalOptions & { readonly styles?: boolean; readonly joined?: boolean; readonly timeoutMs?: number },
): Promise<{ readonly code: number; readonly screen: string }> => {
  const dir = await mkdtemp(join(tmpdir(), 'orthanc-import-tmux-'));
  const tmux = (...words: string[]): Promise<{ stdout: string }> =>
    run('tmux', ['-S', join(dir, 'socket'), '-f', '/dev/null', ...words], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' }, timeout: options.timeoutMs ?? 30_000 });
  // The pane stays open once the command is done (until the server is killed), for its screen to be read.
  const signal = `tmux -S ${quote(join(dir, 'socket'))}`;
  const script = `${options.cwd === undefined ? '' : `cd ${quote(options.cwd)}; `}${commandLine(args, options)}; echo $? > ${quote(join(dir, 'code'))}; ${signal} wait-for -S done; ${signal} wait-for never`;
  try {
    await tmux('new-session', '-d', '-s', 'run', '-x', String(options.columns), '-y', String(options.rows ?? 24), script);
    await tmux('wait-for', 'done');
    const flags = [...(options.styles === true ? ['-e'] : []), ...(options.joined === true ? ['-J'] : [])];
    const { stdout } = await tmux('capture-pane', '-p', '-S', '-', '-E', '-', ...flags, '-t', 'run');
    const code = Number((await readFile(join(dir, 'code'), 'utf8')).trim());
    return { code, screen: `${stdout.replace(/\n+$/, '')}\n` };
  } finally {
    await tmux('kill-server').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
};
