// Colour on the console: whether to use it (--color, NO_COLOR, FORCE_COLOR, TERM=dumb, a terminal
// or not), and the few styles the CLI uses. Text bound for a file or a pipe stays plain unless forced.

/** --color: auto (the default) decides from the environment and the stream; always and never decide. */
export type ColorMode = 'auto' | 'always' | 'never';

export const COLOR_MODES: readonly ColorMode[] = ['auto', 'always', 'never'];

/** The styles the CLI writes with; each returns its text unchanged when colour is off. */
export interface Palette {
  readonly enabled: boolean;
  /** A `warning: …` line. */
  readonly warning: (text: string) => string;
  /** An `orthanc-import: …` line (the run stopped, or the command line was refused). */
  readonly error: (text: string) => string;
  /** A title, e.g. the summary's first line. */
  readonly bold: (text: string) => string;
}

// Why: one decision for every stream, in this order: --color always|never as given; FORCE_COLOR
// (set and not empty: '0' or 'false' turn colour off, anything else on, even off a terminal; it
// wins over NO_COLOR, as in Node itself); NO_COLOR set and not empty (no-color.org); TERM=dumb;
// else colour only on a terminal.
export const colorEnabled = (mode: ColorMode, stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean => {
  if (mode !== 'auto') return mode === 'always';
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
};

// SGR sequences, each closed by its own reset so that styles nest and a line ends plain.
const style =
  (enabled: boolean, open: number, close: number) =>
  (text: string): string =>
    enabled && text !== '' ? `\u001B[${String(open)}m${text}\u001B[${String(close)}m` : text;

// Why: the styles for one stream, decided once (see colorEnabled).
export const createPalette = (enabled: boolean): Palette => ({
  enabled,
  warning: style(enabled, 33, 39),
  error: style(enabled, 31, 39),
  bold: style(enabled, 1, 22),
});
