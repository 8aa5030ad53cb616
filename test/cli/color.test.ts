// Colour: decided once per stream from --color, FORCE_COLOR, NO_COLOR, TERM and whether the stream
// is a terminal; seen on a real terminal, and absent from whatever goes to a pipe.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { colorEnabled, createPalette, type ColorMode } from '../../src/cli/color.js';
import { hasColour, plainText, runOnTerminal } from '../helpers/terminal.js';

const SAMPLE_DICOM = fileURLToPath(new URL('../../fixtures/dicom', import.meta.url));
const terminal = { isTTY: true };
const pipe = { isTTY: false };

describe('colorEnabled', () => {
  it.each<[string, ColorMode, { isTTY: boolean }, NodeJS.ProcessEnv, boolean]>([
    ['a terminal', 'auto', terminal, {}, true],
    ['a pipe or a file', 'auto', pipe, {}, false],
    ['NO_COLOR=1 on a terminal', 'auto', terminal, { NO_COLOR: '1' }, false],
    ['NO_COLOR set but empty', 'auto', terminal, { NO_COLOR: '' }, true],
    ['TERM=dumb', 'auto', terminal, { TERM: 'dumb' }, false],
    ['FORCE_COLOR=1 on a pipe', 'auto', pipe, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR set but empty', 'auto', pipe, { FORCE_COLOR: '' }, false],
    ['FORCE_COLOR=0 on a terminal', 'auto', terminal, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=false on a terminal', 'auto', terminal, { FORCE_COLOR: 'false' }, false],
    ['FORCE_COLOR=1 beside NO_COLOR=1', 'auto', pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    ['FORCE_COLOR=1 with TERM=dumb', 'auto', pipe, { FORCE_COLOR: '1', TERM: 'dumb' }, true],
    ['--color always on a pipe, NO_COLOR=1', 'always', pipe, { NO_COLOR: '1' }, true],
    ['--color never on a terminal, FORCE_COLOR=1', 'never', terminal, { FORCE_COLOR: '1' }, false],
  ])('%s', (_name, mode, stream, env, expected) => {
    expect(colorEnabled(mode, stream, env)).toBe(expected);
  });
});

describe('createPalette', () => {
  it('wraps text in SGR codes each closed by its own reset, only when enabled', () => {
    const on = createPalette(true);
    expect(on.warning('warning: x')).toBe('\u001B[33mwarning: x\u001B[39m');
    expect(on.error('orthanc-import: x')).toBe('\u001B[31morthanc-import: x\u001B[39m');
    expect(on.bold('Imported')).toBe('\u001B[1mImported\u001B[22m');
    expect(on.warning('')).toBe('');
    const off = createPalette(false);
    expect([off.warning('w'), off.error('e'), off.bold('b'), String(off.enabled)]).toEqual(['w', 'e', 'b', 'false']);
  });
});

const RED_REFUSAL = "\u001B[31morthanc-import: unknown option '--concurency': did you mean --concurrency?\u001B[39m";

describe('on a real terminal', () => {
  it('writes a refusal in red, and the hint after it plain', async () => {
    const { code, output } = await runOnTerminal([SAMPLE_DICOM, '--concurency', '3'], { columns: 100 }).exited;
    expect(code).toBe(2);
    expect(output).toContain(`${RED_REFUSAL}\r\nRun orthanc-import --help for the options.\r\n`);
  });

  it.each<[string, readonly string[], Record<string, string>, string | undefined]>([
    ['NO_COLOR=1', [], { NO_COLOR: '1' }, undefined],
    ['--color never', ['--color', 'never'], {}, undefined],
    ['--no-color', ['--no-color'], {}, undefined],
    ['FORCE_COLOR=0', [], { FORCE_COLOR: '0' }, undefined],
    ['TERM=dumb', [], { TERM: 'dumb' }, undefined],
    ['its output piped', [], {}, '2>&1 | cat'],
  ])('writes no colour with %s', async (_name, args, env, redirect) => {
    const { output } = await runOnTerminal([SAMPLE_DICOM, '--concurency', '3', ...args], { columns: 100, env, redirect }).exited;
    expect(plainText(output)).toContain("orthanc-import: unknown option '--concurency': did you mean --concurrency?\n");
    expect(hasColour(output)).toBe(false);
  });

  it.each([
    ['FORCE_COLOR=1', [], { FORCE_COLOR: '1' }],
    ['--color always', ['--color', 'always'], {}],
  ])('colours a piped refusal when forced with %s', async (_name, args, env) => {
    const { output } = await runOnTerminal([SAMPLE_DICOM, '--concurency', '3', ...args], { columns: 100, env, redirect: '2>&1 | cat' }).exited;
    expect(output).toContain(RED_REFUSAL);
  });

  it('colours a warning in yellow and the summary title in bold; NO_COLOR, neither', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'oi-color-'));
    const coloured = await runOnTerminal([empty], { columns: 100 }).exited;
    expect(coloured.code).toBe(1);
    expect(coloured.output).toContain(`\u001B[33mwarning: no DICOM found in ${empty}: is it the right folder?\u001B[39m`);
    expect(coloured.output).toContain(`\u001B[1mInventory of ${empty}\u001B[22m`);
    const plain = await runOnTerminal([empty], { columns: 100, env: { NO_COLOR: '1' } }).exited;
    expect(plain.output).toContain(`warning: no DICOM found in ${empty}`);
    expect(hasColour(plain.output)).toBe(false);
  });
});
