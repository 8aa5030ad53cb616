// The help text's layout: sections (apart by a blank line) of entries (an argument, an option, an
// example, an exit code), the entries one subcommand takes, and the whole wrapped to a width. The
// text is written by hand (args.ts HELP) in two columns; this keeps the first column and re-flows the second.

const indentOf = (line: string): number => line.length - line.trimStart().length;
const isCommand = (line: string): boolean => /^ *orthanc-import\b/.test(line);
const isHeader = (line: string): boolean => indentOf(line) === 0 && line.endsWith(':');
// An entry begins at two spaces ('  -u, --username', '  source', '  0', an example), or at an
// option without a short form ('      --dry-run'); its deeper lines continue it.
const beginsEntry = (line: string): boolean => indentOf(line) === 2 || /^ {6}--/.test(line);

const sectionsOf = (text: string): string[][] => text.replace(/\n$/, '').split('\n\n').map((section) => section.split('\n'));
const textOf = (sections: readonly (readonly string[])[]): string => `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;

// A section's header (if any) and its entries.
const entriesOf = (lines: readonly string[]): { header: string[]; entries: string[][] } => {
  const header: string[] = [];
  const entries: string[][] = [];
  for (const line of lines) {
    const last = entries.at(-1);
    if (beginsEntry(line)) entries.push([line]);
    else if (last === undefined) header.push(line);
    else last.push(line);
  }
  return { header, entries };
};

/** The long option an entry documents ('no-verify' for '      --no-verify'), or undefined. */
export const optionOf = (entry: readonly string[]): string | undefined => /^ +(?:-\w, )?--([\w-]+)/.exec(entry[0] ?? '')?.[1];

/** An example's command line, or undefined. */
export const commandOf = (entry: readonly string[]): string | undefined => (isCommand(entry[0] ?? '') ? entry[0]?.trim() : undefined);

// Why: a subcommand's help is the general one with its own head (usage and description) and only
// the entries it takes; a section left without entries goes. `from`: the first section kept.
export const selectHelp = (help: string, head: string, from: string, keep: (entry: readonly string[]) => boolean): string => {
  const sections = sectionsOf(help);
  const start = sections.findIndex((lines) => lines[0] === from);
  const kept = sections.slice(Math.max(start, 0)).flatMap((lines) => {
    const { header, entries } = entriesOf(lines);
    if (entries.length === 0) return [lines];
    const chosen = entries.filter(keep);
    return chosen.length === 0 ? [] : [[...header, ...chosen.flat()]];
  });
  return textOf([...sectionsOf(head), ...kept]);
};

/** The least room a description is given beside its first column; below it, it goes under it. */
const MIN_ROOM = 28;
/** The indentation of a description under its first column (narrow terminals). */
const STACKED_HANG = 8;
const NARROWEST = 20;

// Shell words, a quoted one whole ('X-Api-Key: 123'), an option with its value ('-u admin').
const shellWords = (line: string): string[] => line.trim().match(/(?:-\S+ (?!-))?(?:[^\s']+|'[^']*')+/g) ?? [];

// A word longer than the room is cut after its slashes (a path, a URL) where that helps.
const pieces = (word: string, room: number): string[] => {
  if (word.length <= room) return [word];
  const parts: string[] = [];
  for (const segment of word.split(/(?<=\/)/)) {
    const last = parts.length - 1;
    const previous = parts[last];
    if (previous !== undefined && previous.length + segment.length <= room) parts[last] = previous + segment;
    else parts.push(segment);
  }
  return parts;
};

// Greedy fill: the first line starts with `first` (an indentation, or a first column), the others with `hang` spaces.
const fill = (words: readonly string[], first: string, hang: number, width: number, suffix = ''): string[] => {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words.flatMap((word) => pieces(word, width - hang - suffix.length))) {
    const candidate = empty ? line + word : `${line} ${word}`;
    if (candidate.length + suffix.length > width && !(empty && line.trim() === '')) {
      lines.push(empty ? line.trimEnd() : line + suffix);
      line = ' '.repeat(hang) + word;
    } else {
      line = candidate;
    }
    empty = false;
  }
  return [...lines, line];
};

// An entry's two columns: the first (indentation, label, gap), and the text.
const columnsOf = (line: string): RegExpExecArray | null => (indentOf(line) > 0 ? /^( *\S(?:.*?\S)? {2,})(\S.*)$/.exec(line) : null);

// One paragraph (an entry's text, a command, a paragraph of prose) laid out in `width` columns;
// `column`: where the section's descriptions begin, for an entry whose text is one line.
const reflow = (paragraph: readonly string[], width: number, column: number | undefined): string[] => {
  const [first = '', ...rest] = paragraph;
  if (paragraph.every((line) => line.length <= width)) return [...paragraph];
  const indent = indentOf(first);
  if (isCommand(first)) return fill(shellWords(first), ' '.repeat(indent), indent + 4, width, ' \\');
  const columns = columnsOf(first);
  const label = columns?.[1] ?? ' '.repeat(indent);
  const hang = rest[0] === undefined ? Math.min(column ?? label.length, label.length) : indentOf(rest[0]);
  // A line written to end at a slash (a path cut in two) joins the next without a space.
  const words = [columns?.[2] ?? first, ...rest].map((line) => line.trim()).join(' ').replaceAll('/ ', '/').split(' ');
  if (width - hang >= MIN_ROOM || columns === null) return fill(words, label, hang, width);
  const stacked = Math.min(hang, STACKED_HANG);
  return [label.trimEnd(), ...fill(words, ' '.repeat(stacked), stacked, width)];
};

// Where a paragraph ends: a command or a header stands alone; an entry begins a new one; prose at
// the margin goes on at the margin, an entry on its deeper lines.
const continues = (paragraph: readonly string[], line: string): boolean => {
  const first = paragraph[0] ?? '';
  if (isCommand(first) || isHeader(first) || isCommand(line) || isHeader(line) || beginsEntry(line)) return false;
  return indentOf(line) > indentOf(first) || (indentOf(line) === 0 && indentOf(first) === 0);
};

// Why: a help that fits the terminal it is shown on: every paragraph with a line wider than
// `width` is re-flowed (descriptions beside their option, under it when too narrow; commands
// cut with ' \' so they still paste); the others stay as written. Undefined: as written.
export const wrapHelp = (text: string, width: number | undefined): string => {
  if (width === undefined) return text;
  const columns = Math.max(width, NARROWEST);
  return textOf(
    sectionsOf(text).map((lines) => {
      const paragraphs: string[][] = [];
      for (const line of lines) {
        const last = paragraphs.at(-1);
        if (last !== undefined && continues(last, line)) last.push(line);
        else paragraphs.push([line]);
      }
      // The narrowest first column of the section is where its descriptions begin (a wider label pushes its own line's text further).
      const starts = paragraphs.flatMap(([first = '']) => (isCommand(first) ? [] : [columnsOf(first)?.[1]?.length ?? Number.POSITIVE_INFINITY]));
      const column = Math.min(...starts);
      return paragraphs.flatMap((paragraph) => reflow(paragraph, columns, Number.isFinite(column) ? column : undefined));
    }),
  );
};

// Why: the width to wrap the help to: a terminal's own; off a terminal, COLUMNS when it is set
// (a caller's explicit wish), else none: a pipe or a file gets the text as written, the same
// everywhere, every option on its line for grep.
export const helpWidth = (stream: { readonly isTTY?: boolean; readonly columns?: number }, env: NodeJS.ProcessEnv = process.env): number | undefined => {
  if (stream.isTTY === true && stream.columns !== undefined && stream.columns > 0) return stream.columns;
  const columns = Number(env['COLUMNS']);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
};
