// The help, laid out for the terminal it is shown on: the first column kept, the descriptions
// re-flowed; a subcommand's part of it. On a real terminal too (script, tmux).
import { describe, expect, it } from 'vitest';
import { HELP, helpText } from '../../src/cli/args.js';
import { helpWidth, selectHelp, wrapHelp } from '../../src/cli/help-layout.js';
import { plainText, runOnTerminal, screenOnTerminal } from '../helpers/terminal.js';

const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');
// What a text says, whatever its layout (commands cut with ' \', paths cut after a slash).
const content = (text: string): string => text.replace(/ \\\n|\s/g, '');

describe('wrapHelp', () => {
  it('leaves the help as written when no width is known, or when it fits', () => {
    expect(wrapHelp(HELP, undefined)).toBe(HELP);
    expect(wrapHelp(HELP, 200)).toBe(HELP);
  });

  it.each([100, 80, 60, 44])('fits every line of the help in %i columns, saying the same', (width) => {
    for (const text of [HELP, helpText('check')]) {
      const wrapped = wrapHelp(text, width);
      expect(lines(wrapped).filter((line) => line.length > width)).toEqual([]);
      expect(content(wrapped)).toBe(content(text));
    }
  });

  it('keeps the option column and re-flows the description beside it', () => {
    const wrapped = lines(wrapHelp(HELP, 60));
    const at = wrapped.indexOf('  -c, --concurrency N     Uploads in flight, fixed (default:');
    expect(wrapped.slice(at, at + 4)).toEqual([
      '  -c, --concurrency N     Uploads in flight, fixed (default:',
      '                          from 4 into an Orthanc, growing',
      '                          while the throughput grows, back',
      '                          when it does not or puts fail)',
    ]);
    // An option wider than the column keeps its text beside it, and continues at the column.
    expect(wrapped).toContain('      --source-header \'N: v\'  Extra request header to the');
    expect(wrapped[wrapped.indexOf('      --source-header \'N: v\'  Extra request header to the') + 1]).toBe('                          Orthanc source, repeatable');
  });

  it('puts a description under its option when the terminal leaves it too little room beside', () => {
    const wrapped = lines(wrapHelp(HELP, 44));
    const at = wrapped.indexOf('  -c, --concurrency N');
    expect(wrapped.slice(at, at + 3)).toEqual(['  -c, --concurrency N', '        Uploads in flight, fixed (default:', '        from 4 into an Orthanc, growing']);
  });

  it('cuts a command with a backslash, so that it still pastes, an option beside its value', () => {
    const text = 'Examples:\n  orthanc-import ./dicoms https://pacs.example/orthanc -u admin -H \'X-Api-Key: 123\'\n      Import a raw folder\n';
    expect(wrapHelp(text, 60)).toBe(
      "Examples:\n  orthanc-import ./dicoms https://pacs.example/orthanc \\\n      -u admin -H 'X-Api-Key: 123'\n      Import a raw folder\n",
    );
  });

  it('re-flows prose and exit codes at their own margins, a line cut after a slash joined again', () => {
    const text = 'Exit codes:\n  0    every DICOM instance was delivered and verified (inventory: every file sound)\n  2    bad usage\n\nFrom the URL, else ORTHANC_SOURCE_USERNAME/\nORTHANC_SOURCE_PASSWORD, never printed.\n';
    expect(wrapHelp(text, 40)).toBe(
      'Exit codes:\n  0    every DICOM instance was\n       delivered and verified\n       (inventory: every file sound)\n  2    bad usage\n\nFrom the URL, else\nORTHANC_SOURCE_USERNAME/\nORTHANC_SOURCE_PASSWORD, never printed.\n',
    );
  });

  it('cuts a word wider than the room after a slash', () => {
    expect(wrapHelp('  target    a URL http(s)://[user:pass@]host:port[/prefix] of an Orthanc\n', 44)).toBe('  target    a URL http(s)://\n            [user:pass@]host:port[/prefix]\n            of an Orthanc\n');
  });
});

describe('helpWidth', () => {
  it("takes a terminal's width; off a terminal, COLUMNS when set; else none", () => {
    expect(helpWidth({ isTTY: true, columns: 72 }, { COLUMNS: '100' })).toBe(72);
    expect(helpWidth({ isTTY: false }, { COLUMNS: '100' })).toBe(100);
    expect(helpWidth({ isTTY: true, columns: 0 }, {})).toBeUndefined(); // a terminal that does not say
    expect(helpWidth({ isTTY: false }, {})).toBeUndefined();
    expect(helpWidth({ isTTY: false }, { COLUMNS: 'wide' })).toBeUndefined();
  });
});

describe('selectHelp', () => {
  it('puts a head before the sections from the one named, keeping the entries chosen and dropping a section left empty', () => {
    const help = 'usage\n\nAbout.\n\nOptions:\n  -a, --all       All\n      --bee B     Bee\n                  more bee\n\nOther:\n      --cee       Cee\n\nEnd.\n';
    expect(selectHelp(help, 'head\n', 'Options:', (entry) => !entry.join('\n').includes('--bee') && !entry.join('\n').includes('--cee'))).toBe(
      'head\n\nOptions:\n  -a, --all       All\n\nEnd.\n',
    );
  });
});

describe('on a real terminal', () => {
  it('wraps the help to a terminal of 60 columns (stty cols 60), its option column kept', async () => {
    const { code, output } = await runOnTerminal(['--help'], { columns: 60 }).exited;
    expect(code).toBe(0);
    const shown = lines(plainText(output));
    expect(shown.filter((line) => line.length > 60)).toEqual([]);
    expect(shown).toContain('  -c, --concurrency N     Uploads in flight, fixed (default:');
    expect(content(plainText(output))).toBe(content(HELP));
  });

  it('shows no line the terminal had to wrap (tmux, 60 columns, wrapped lines joined)', async () => {
    const { code, screen } = await screenOnTerminal(['help', 'check'], { columns: 60, joined: true });
    expect(code).toBe(0);
    expect(lines(screen).filter((line) => line.length > 60)).toEqual([]);
    expect(screen).toContain('orthanc-import check <source> <target> [options]');
    expect(screen).not.toContain('--dry-run');
  });

  it('writes the help as written when piped, even from a narrow terminal', async () => {
    const { output } = await runOnTerminal(['--help'], { columns: 60, redirect: '| cat' }).exited;
    expect(plainText(output)).toBe(HELP);
  });
});
