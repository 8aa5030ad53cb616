import { describe, expect, it } from 'vitest';
import { HELP, helpText, OPTION_NAMES, readArguments, requestedColor, UsageError, type CliArgs } from '../../src/cli/args.js';
import { runCli } from '../helpers/run-cli.js';

const run = (argv: string[], exists?: (path: string) => boolean): Extract<CliArgs, { kind: 'run' }> => {
  const args = readArguments(argv, exists);
  if (args.kind !== 'run') throw new Error(`expected a run, got ${args.kind}`);
  return args;
};

describe('readArguments', () => {
  it('reads the source, the target and the check subcommand', () => {
    expect(run(['/storage'])).toMatchObject({ check: false, source: '/storage', target: undefined });
    expect(run(['/storage', 'http://h:8042'])).toMatchObject({ check: false, source: '/storage', target: 'http://h:8042' });
    expect(run(['check', '/storage', 'http://h:8042'])).toMatchObject({ check: true, source: '/storage', target: 'http://h:8042' });
  });

  it('answers --help and --version (-V) before anything else', () => {
    expect(readArguments(['--help'])).toEqual({ kind: 'help', topic: 'all' });
    expect(readArguments(['-h', '/storage'])).toEqual({ kind: 'help', topic: 'all' });
    expect(readArguments(['--version'])).toEqual({ kind: 'version' });
    expect(readArguments(['-V'])).toEqual({ kind: 'version' });
    expect(readArguments(['/storage', '-V'])).toEqual({ kind: 'version' });
  });

  it('answers help, help check, check --help and check -h', () => {
    expect(readArguments(['help'])).toEqual({ kind: 'help', topic: 'all' });
    expect(readArguments(['help', 'check'])).toEqual({ kind: 'help', topic: 'check' });
    expect(readArguments(['check', '--help'])).toEqual({ kind: 'help', topic: 'check' });
    expect(readArguments(['check', '/s', 'http://h', '-h'])).toEqual({ kind: 'help', topic: 'check' });
    expect(() => readArguments(['help', 'chek'])).toThrow("Expected help or help check, got 'help chek': did you mean check?");
    expect(() => readArguments(['help', 'check', 'more'])).toThrow("Expected help or help check, got 'help check more'");
  });

  it("check's help is check's: its usage, the options it takes, its examples", () => {
    const check = helpText('check');
    expect(check.startsWith('orthanc-import check <source> <target> [options]\n\nUpload nothing')).toBe(true);
    for (const taken of ['--username', '--header', '--concurrency', '--index', '--no-index', '--verify full', '--report', '--layout', '--study-date', '--color', '--quiet', 'Exit codes:']) {
      expect(check).toContain(taken);
    }
    for (const refused of ['dry-run', 'journal', 'restart', 'no-skip-existing', 'mark-complete', 'no-verify', 'overwrite', 'follow', 'until-idle', 'bwlimit', 'schedule']) {
      expect(check).not.toMatch(new RegExp(`--${refused}(?![\\w-])`));
    }
    expect(check).not.toContain('Good neighbour');
    expect(check).not.toContain('/mnt/recovered --layout flat');
    expect(check).toContain('  orthanc-import check /var/lib/orthanc/db-v6 http://127.0.0.1:8042\n      Prove the target holds every source instance, same MD5\n');
    // Each of its lines is one of the general help's, but for its head.
    const general = new Set(HELP.split('\n'));
    expect(check.slice(check.indexOf('Arguments:')).split('\n').filter((line) => !general.has(line))).toEqual([]);
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
    [['/s', '--bogus'], /^unknown option '--bogus'$/],
    [['/s', '--report'], /--report/],
    [['/s', '--workers', 'two'], /Expected --workers to be a number, got 'two'/],
    [['/s', '--retries', ''], /Expected --retries to be a number/],
    [[], /Expected a source folder, file or Orthanc URL/],
    [['/s', 'http://h', 'extra'], /Expected <source> \[target\], got 3 arguments/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => readArguments(argv)).toThrow(UsageError);
    expect(() => readArguments(argv)).toThrow(message);
  });

  it.each([
    [['/s', '--concurency', '3'], "unknown option '--concurency': did you mean --concurrency?"],
    [['/s', '--concurency=3'], "unknown option '--concurency': did you mean --concurrency?"],
    [['/s', '--quite'], "unknown option '--quite': did you mean --quiet?"],
    [['/s', '--no-verfy'], "unknown option '--no-verfy': did you mean --no-verify?"],
    [['/s', '--no-idnex'], "unknown option '--no-idnex': did you mean --no-index?"],
    [['/s', '--Retries', '3'], "unknown option '--Retries': did you mean --retries?"],
    [['/s', '--studydate', '2020'], "unknown option '--studydate': did you mean --study-date?"],
    [['/s', '-W', '2'], "unknown option '-W': did you mean -w?"],
    [['/s', '-C', '4'], "unknown option '-C': did you mean -c?"],
    [['/s', '-qx'], "unknown option '-x'"],
    [['/s', '-quiet'], "unknown option '-quiet': did you mean --quiet?"],
    [['/s', '-concurrency', '4'], "unknown option '-concurrency': did you mean --concurrency?"],
    [['/s', '--no-concurrency'], "unknown option '--no-concurrency'"],
  ])('refuses %j naming the option meant', (argv, message) => {
    expect(() => readArguments(argv)).toThrow(new UsageError(message));
  });

  it('takes what follows -- as it is, however near an option it looks', () => {
    expect(run(['--', '--concurency'])).toMatchObject({ source: '--concurency' });
  });

  it('refuses a first word near a command that is no file or folder, and takes one that is', () => {
    const none = (): boolean => false;
    expect(() => readArguments(['chek', '/s', 'http://h'], none)).toThrow(new UsageError("'chek' is neither a command nor a file or folder: did you mean check?"));
    expect(() => readArguments(['hlep'], none)).toThrow(new UsageError("'hlep' is neither a command nor a file or folder: did you mean help?"));
    expect(() => readArguments(['checks', '/s', 'http://h'], none)).toThrow(/did you mean check\?/);
    expect(run(['chek', 'http://h'], () => true)).toMatchObject({ check: false, source: 'chek', target: 'http://h' });
    expect(run(['/var/lib/orthanc/db-v6'], none)).toMatchObject({ source: '/var/lib/orthanc/db-v6' });
    expect(run(['storage'], none)).toMatchObject({ source: 'storage' }); // far from any command: the run says it is missing
  });

  it('takes --color auto|always|never and --no-color, refusing anything else', () => {
    expect(run(['/s', '--color', 'always']).values.color).toBe('always');
    expect(run(['/s', '--no-color']).values.color).toBeUndefined();
    expect(() => readArguments(['/s', '--color', 'allways'])).toThrow(new UsageError("Expected --color to be auto, always or never, got 'allways': did you mean always?"));
    expect(() => readArguments(['/s', '--color', 'yes'])).toThrow(new UsageError("Expected --color to be auto, always or never, got 'yes'"));
    expect(() => readArguments(['/s', '--no-color', '--color', 'always'])).toThrow(new UsageError('Expected either --color WHEN or --no-color, not both'));
  });

  it.each([
    [['/s'], 'auto'],
    [['/s', '--color', 'never'], 'never'],
    [['/s', '--color=always'], 'always'],
    [['/s', '--no-color'], 'never'],
    [['/s', '--color', 'always', '--color', 'never'], 'never'], // the last one, as parseArgs reads it
    [['/s', '--color', 'bogus'], 'auto'],
    [['/s', '--bogus', '--color', 'never'], 'never'], // a refused command line too
    [['--', '--no-color'], 'auto'],
  ])('reads the colour asked for in %j: %s', (argv, mode) => {
    expect(requestedColor(argv)).toBe(mode);
  });

  it('documents every option in the help', () => {
    for (const option of OPTION_NAMES.filter((name) => !['skip-existing', 'verify'].includes(name))) expect(HELP).toContain(`--${option}`);
    expect(HELP).toContain('  -V, --version');
  });

  it('exits 2 with one line naming the option meant, then where the options are', async () => {
    const { code, stdout, stderr } = await runCli(['/var/lib/orthanc/db-v6', '--concurency', '8']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("orthanc-import: unknown option '--concurency': did you mean --concurrency?\nRun orthanc-import --help for the options.\n");
    const command = await runCli(['chek', '/var/lib/orthanc/db-v6', 'http://127.0.0.1:1']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe("orthanc-import: 'chek' is neither a command nor a file or folder: did you mean check?\nRun orthanc-import --help for the options.\n");
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
