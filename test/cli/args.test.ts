import { describe, expect, it } from 'vitest';
import { HELP, readArguments, UsageError, type CliArgs } from '../../src/cli/args.js';
import { runCli } from '../helpers/run-cli.js';

const run = (argv: string[]): Extract<CliArgs, { kind: 'run' }> => {
  const args = readArguments(argv);
  if (args.kind !== 'run') throw new Error(`expected a run, got ${args.kind}`);
  return args;
};

describe('readArguments', () => {
  it('reads the source, the target and the check subcommand', () => {
    expect(run(['/storage'])).toMatchObject({ check: false, source: '/storage', target: undefined });
    expect(run(['/storage', 'http://h:8042'])).toMatchObject({ check: false, source: '/storage', target: 'http://h:8042' });
    expect(run(['check', '/storage', 'http://h:8042'])).toMatchObject({ check: true, source: '/storage', target: 'http://h:8042' });
  });

  it('answers --help and --version before anything else', () => {
    expect(readArguments(['--help'])).toEqual({ kind: 'help' });
    expect(readArguments(['-h', '/storage'])).toEqual({ kind: 'help' });
    expect(readArguments(['--version'])).toEqual({ kind: 'version' });
  });

  it('reads negations, repeated options, short flags and numbers', () => {
    const args = run(['/s', 'http://h', '--no-verify', '--no-skip-existing', '-H', 'A: 1', '--header', 'B: 2', '-c', '8', '--retry-timeout', '30', '-q', '--patient-id', 'p1', '--patient-id', 'p2']);
    expect(args.values.verify).toBe(false);
    expect(args.values['skip-existing']).toBe(false);
    expect(args.values.header).toEqual(['A: 1', 'B: 2']);
    expect(args.values.quiet).toBe(true);
    expect(args.values['patient-id']).toEqual(['p1', 'p2']);
    expect(args.numbers).toMatchObject({ concurrency: 8, retryTimeout: 30, workers: undefined, retries: undefined });
  });

  it('leaves options that were not given undefined, for the library to default', () => {
    const args = run(['/s']);
    expect(args.values.verify).toBeUndefined();
    expect(args.values['skip-existing']).toBeUndefined();
    expect(args.index).toBeUndefined();
  });

  it('reads --verify full and --verify=full, the word full never becoming a positional', () => {
    for (const argv of [['/s', '--verify', 'full', 'dicomweb+http://h/dicom-web'], ['/s', 'dicomweb+http://h/dicom-web', '--verify=full']]) {
      const args = run(argv);
      expect(args).toMatchObject({ verifyFull: true, source: '/s', target: 'dicomweb+http://h/dicom-web' });
      expect(args.values.verify).toBe(true);
    }
    expect(run(['/s', 'http://h', '--verify'])).toMatchObject({ verifyFull: false, target: 'http://h' });
    expect(run(['/s', 'full'])).toMatchObject({ verifyFull: false, target: 'full' });
  });

  it('takes --index FILE or --no-index, not both', () => {
    expect(run(['/s', '--index', '/elsewhere/index']).index).toBe('/elsewhere/index');
    expect(run(['/s', '--no-index']).index).toBe(false);
    expect(() => readArguments(['/s', '--no-index', '--index', 'x'])).toThrow(/either --index FILE or --no-index/);
  });

  it('keeps arguments after -- as they are', () => {
    expect(run(['--', '--no-index'])).toMatchObject({ source: '--no-index', index: undefined });
  });

  it.each([
    [['/s', '--bogus'], /^Unknown option '--bogus'$/],
    [['/s', '--report'], /--report/],
    [['/s', '--workers', 'two'], /Expected --workers to be a number, got 'two'/],
    [['/s', '--retries', ''], /Expected --retries to be a number/],
    [[], /Expected a source folder, file or Orthanc URL/],
    [['/s', 'http://h', 'extra'], /Expected <source> \[target\], got 3 arguments/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => readArguments(argv)).toThrow(UsageError);
    expect(() => readArguments(argv)).toThrow(message);
  });

  it('reads --wire-compression MODE', () => {
    expect(run(['./storage', 'http://new:8042', '--wire-compression', 'gzip']).values['wire-compression']).toBe('gzip');
    expect(HELP).toContain('--wire-compression M');
  });

  it('reads --follow and --until-idle SECONDS', () => {
    expect(run(['http://old:8042', 'http://new:8042', '--follow']).values.follow).toBe(true);
    expect(run(['http://old:8042', 'http://new:8042', '--until-idle', '30']).numbers.untilIdle).toBe(30);
    expect(() => readArguments(['http://old:8042', '--until-idle', 'soon'])).toThrow("Expected --until-idle to be a number, got 'soon'");
  });

  it('exits 2 with one line when --follow cannot apply (a folder as the source, check)', async () => {
    const folder = await runCli(['/var/lib/orthanc/db-v6', 'http://127.0.0.1:1', '--follow']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe('orthanc-import: --follow only applies to a running Orthanc as the source (an http:// or https:// URL), not to /var/lib/orthanc/db-v6\n');
    const check = await runCli(['check', 'http://127.0.0.1:1', 'http://127.0.0.1:2', '--until-idle', '30']);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/^orthanc-import: --until-idle \(which means --follow\) copies what the source stores from now on, and check uploads nothing: leave --until-idle out\n$/);
  });
});
