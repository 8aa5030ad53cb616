import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../src/core/errors.js';
import { DEFAULT_CONCURRENCY, defaultWorkers, resolveOptions, type ImportInput } from '../../src/core/options.js';
import { DEFAULT_TLS } from '../../src/targets/http/tls.js';

const codeOf = (input: ImportInput): string | undefined => {
  try {
    resolveOptions(input);
  } catch (error) {
    if (isImporterError(error)) return error.code;
    throw error;
  }
  return undefined;
};

describe('resolveOptions', () => {
  it('fills the defaults', () => {
    const options = resolveOptions({ source: '/data/orthanc' });
    expect(options).toEqual({
      source: '/data/orthanc',
      target: undefined,
      output: undefined,
      concurrency: DEFAULT_CONCURRENCY,
      adaptiveConcurrency: true,
      wireCompression: 'auto',
      sourceCredentials: { username: undefined, password: undefined, headers: [] },
      sourceConcurrency: 4,
      sourceDownload: 'compressed-data',
      workers: undefined,
      retries: 4,
      retryDelayMs: 250,
      retryTimeoutMs: 600_000,
      journalPath: undefined,
      restart: false,
      skipExisting: true,
      signal: undefined,
      filter: { patientIds: [], studyUids: [], accessions: [], modalities: [], studyDate: undefined },
      reportPath: undefined,
      indexPath: undefined,
      useIndex: true,
      includeOrphans: false,
      studiesInFlight: 2,
      markComplete: undefined,
      followSymlinks: false,
      verify: true,
      verifyFull: false,
      check: false,
      allowRecycling: false,
      maxDecodedSize: 32 * 1024 ** 3,
      inlineLimit: 4 * 1024 ** 2,
      tls: DEFAULT_TLS,
      warnings: [],
    });
    expect(DEFAULT_CONCURRENCY).toBe(4);
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('decodes on the main thread by default only on 2 cores or fewer, in a run that uploads', () => {
    expect(defaultWorkers(true, 1)).toBe(0);
    expect(defaultWorkers(true, 2)).toBe(0);
    expect(defaultWorkers(false, 2)).toBe(1);
    expect(defaultWorkers(false, 1)).toBe(1);
    expect(defaultWorkers(true, 4)).toBe(3);
    expect(defaultWorkers(false, 64)).toBe(8);
    expect(resolveOptions({ source: 's', workers: 0 }).workers).toBe(0);
    expect(() => resolveOptions({ source: 's', workers: -1 })).toThrow(/--workers.*>= 0/);
  });

  it('takes --mark-complete NAME for an import into an Orthanc, and refuses it anywhere else', () => {
    expect(resolveOptions({ source: 's', target: 'http://127.0.0.1:1', markComplete: 'ImportComplete' }).markComplete).toBe('ImportComplete');
    expect(() => resolveOptions({ source: 's', target: 'http://127.0.0.1:1', markComplete: 'a/b' })).toThrow("--mark-complete takes a metadata name of letters, digits, _ and -, got 'a/b'");
    expect(() => resolveOptions({ source: 's', target: 'http://127.0.0.1:1', check: true, markComplete: 'Done' })).toThrow(/delivers none \(an inventory or a check\)/);
    expect(() => resolveOptions({ source: 's', markComplete: 'Done' })).toThrow(/delivers none/);
    expect(() => resolveOptions({ source: 's', target: 'http://127.0.0.1:1', verify: false, markComplete: 'Done' })).toThrow(/--no-verify verifies none/);
    expect(() => resolveOptions({ source: 's', target: 'dicomweb+http://127.0.0.1:1/dicom-web', markComplete: 'Done' })).toThrow(/only an Orthanc target has/);
    expect(() => resolveOptions({ source: 's', target: '/tmp/folder', markComplete: 'Done' })).toThrow(/only an Orthanc target has/);
    expect(() => resolveOptions({ source: 'http://127.0.0.1:2', target: 'http://127.0.0.1:1', follow: true, markComplete: 'Done' })).toThrow(/cannot follow a source: a study marked complete could still grow there/);
    expect(() => resolveOptions({ source: 'http://127.0.0.1:2', target: 'http://127.0.0.1:1', untilIdle: 60, markComplete: 'Done' })).toThrow(/cannot follow a source/);
  });

  it('keeps given values', () => {
    const options = resolveOptions({ source: 's', concurrency: 9, workers: 2, retries: 0, retryDelayMs: 0, inlineLimit: 0, maxDecodedSize: 10, reportPath: 'r.json' });
    expect(options).toMatchObject({ concurrency: 9, adaptiveConcurrency: false, workers: 2, retries: 0, retryDelayMs: 0, inlineLimit: 0, maxDecodedSize: 10, reportPath: 'r.json' });
  });

  it('takes --wire-compression auto, gzip or none, and refuses another word; gzip only for an Orthanc target', () => {
    expect(resolveOptions({ source: 's', wireCompression: 'gzip' }).wireCompression).toBe('gzip');
    expect(resolveOptions({ source: 's', target: 'http://127.0.0.1:8042', wireCompression: 'none' }).wireCompression).toBe('none');
    expect(codeOf({ source: 's', wireCompression: 'deflate' as ImportInput['wireCompression'] })).toBe('E_USAGE');
    expect(codeOf({ source: 's', target: './out', wireCompression: 'gzip' })).toBe('E_USAGE');
    expect(codeOf({ source: 's', target: 'dicomweb+http://127.0.0.1:8042/dicom-web', wireCompression: 'gzip' })).toBe('E_USAGE');
    expect(resolveOptions({ source: 's', target: './out', wireCompression: 'auto' }).wireCompression).toBe('auto');
  });

  it('refuses --concurrency 0 and non-integers with E_USAGE', () => {
    expect(codeOf({ source: 's', concurrency: 0 })).toBe('E_USAGE');
    expect(codeOf({ source: 's', concurrency: 1.5 })).toBe('E_USAGE');
    expect(codeOf({ source: 's', concurrency: Number.NaN })).toBe('E_USAGE');
    expect(codeOf({ source: 's', workers: 1.5 })).toBe('E_USAGE');
    expect(codeOf({ source: 's', retries: -1 })).toBe('E_USAGE');
    expect(codeOf({ source: 's', maxDecodedSize: 0 })).toBe('E_USAGE');
  });

  it('refuses --report and --report-csv naming one file (each would overwrite the other), takes two', () => {
    expect(codeOf({ source: 's', reportPath: 'out/r.json', reportCsvPath: './out/../out/r.json' })).toBe('E_USAGE');
    expect(resolveOptions({ source: 's', reportPath: 'r.json', reportCsvPath: 'r.csv' })).toMatchObject({ reportPath: 'r.json', reportCsvPath: 'r.csv' });
  });

  it('refuses an empty source', () => {
    expect(codeOf({ source: '' })).toBe('E_USAGE');
  });

  it('parses the target through its backend (credentials: test/targets/http/endpoint.test.ts)', () => {
    const options = resolveOptions({ source: 's', target: 'http://host:8042/orthanc/', username: 'u', password: 'p', headers: ['X-Api-Key: k'] });
    expect(options.target?.display).toBe('http://host:8042/orthanc');
    expect(options.target?.identity).toBe('http://host:8042/orthanc');
    expect(options.target?.recovery).toBe(false);
  });

  it('drops the target on a dry run (even one that would not parse)', () => {
    expect(resolveOptions({ source: 's', target: 'http://host:8042', dryRun: true }).target).toBeUndefined();
    expect(resolveOptions({ source: 's', target: 'ftp://nowhere', dryRun: true }).target).toBeUndefined();
    expect(codeOf({ source: 's', target: 'ftp://nowhere' })).toBe('E_USAGE');
  });

  it('refuses --layout and --overwrite with an Orthanc URL or without a target, saying why', () => {
    const message = (input: ImportInput): string => {
      try {
        resolveOptions(input);
      } catch (error) {
        if (isImporterError(error)) return `${error.code}: ${error.message}`;
      }
      return 'accepted';
    };
    expect(message({ source: 's', target: 'http://127.0.0.1:8042', layout: 'flat' })).toMatch(/^E_USAGE: --layout only applies to a recovery into a folder, not to an Orthanc URL/);
    expect(message({ source: 's', target: 'http://127.0.0.1:8042', overwrite: true })).toMatch(/^E_USAGE: --overwrite only applies/);
    expect(message({ source: 's', layout: 'flat', overwrite: true })).toMatch(/^E_USAGE: --layout and --overwrite only apply to a recovery into a folder, and no target folder was given/);
    expect(message({ source: 's', target: './out', layout: 'flat', overwrite: true })).toBe('accepted');
    expect(message({ source: 's', target: 'http://127.0.0.1:8042', overwrite: false })).toBe('accepted');
  });

  it('refuses a target typed like a host instead of making it a folder', () => {
    expect(codeOf({ source: 's', target: '127.0.0.1:8042' })).toBe('E_USAGE');
    expect(resolveOptions({ source: 's', target: './127.0.0.1:8042' }).target?.display).toMatch(/\/127\.0\.0\.1:8042$/);
    expect(resolveOptions({ source: 's', target: './127.0.0.1:8042' }).target?.recovery).toBe(true);
  });

  it('follows a URL source into a target; --until-idle means --follow, in seconds', () => {
    expect(resolveOptions({ source: 'http://old:8042', target: 'http://new:8042' }).follow).toBeUndefined();
    expect(resolveOptions({ source: 'http://old:8042', target: 'http://new:8042', follow: true }).follow).toEqual({ untilIdleMs: undefined });
    expect(resolveOptions({ source: 'https://old/orthanc', target: '/mnt/copy', untilIdle: 30 }).follow).toEqual({ untilIdleMs: 30_000 });
    expect(resolveOptions({ source: 'http://old:8042', target: 'http://new:8042', follow: true, untilIdle: 0 }).follow).toEqual({ untilIdleMs: 0 });
  });

  it.each([
    [{ source: '/var/lib/orthanc/db-v6', target: 'http://new:8042', follow: true }, '--follow only applies to a running Orthanc as the source (an http:// or https:// URL), not to /var/lib/orthanc/db-v6'],
    [{ source: '/var/lib/orthanc/db-v6', target: 'http://new:8042', untilIdle: 30 }, '--until-idle (which means --follow) only applies to a running Orthanc'],
    [{ source: 'http://old:8042', target: 'http://new:8042', check: true, follow: true }, 'check uploads nothing: leave --follow out'],
    [{ source: 'http://old:8042', target: 'http://new:8042', dryRun: true, untilIdle: 5 }, 'into a target: give one, without --dry-run'],
    [{ source: 'http://old:8042', follow: true }, '--follow copies what the source stores from now on into a target'],
    [{ source: 'http://old:8042', target: 'http://new:8042', untilIdle: -1 }, 'Expected `--until-idle` to be an integer >= 0'],
  ])('refuses --follow where it cannot apply: %j', (input, message) => {
    expect(codeOf(input)).toBe('E_USAGE');
    expect(() => resolveOptions(input)).toThrow(message);
  });

  it('gives the target side one --bwlimit bucket, and refuses it where nothing is uploaded', () => {
    const options = resolveOptions({ source: 's', target: 'http://127.0.0.1:8042', bwlimit: '10M' });
    expect(options.throttle?.bytesPerSecond).toBe(10 * 1024 * 1024);
    expect(resolveOptions({ source: 's', target: 'dicomweb+http://127.0.0.1:8042/dicom-web', bwlimit: 4096 }).throttle?.bytesPerSecond).toBe(4096);
    expect(resolveOptions({ source: 's', target: 'http://127.0.0.1:8042' }).throttle).toBeUndefined();
    expect(() => resolveOptions({ source: 's', target: 'http://127.0.0.1:8042', bwlimit: '10Mbit' })).toThrow(/Expected --bwlimit to be bytes per second/);
    for (const input of [{ source: 's' }, { source: 's', target: './out' }, { source: 's', target: 'http://127.0.0.1:8042', check: true }, { source: 's', target: 'http://127.0.0.1:8042', dryRun: true }]) {
      expect(() => resolveOptions({ ...input, bwlimit: '1M' })).toThrow(/--bwlimit caps the uploads to an Orthanc or DICOMweb target, and this run sends none/);
    }
  });

  it('parses --schedule before the run, refusing a malformed one', () => {
    expect(resolveOptions({ source: 's', schedule: 'Sat-Sun' }).schedule?.windows).toHaveLength(1);
    expect(codeOf({ source: 's', schedule: 'Mon-Fry' })).toBe('E_USAGE');
  });

  it('takes --ca and --insecure for an https:// target or source (the check applies to both ends), with its warning', () => {
    const insecure = resolveOptions({ source: 'https://old:8042', target: 'http://new:8042', insecure: true });
    expect(insecure.tls.insecure).toBe(true);
    expect(insecure.warnings).toEqual(['certificate checks are off (--insecure): anyone on the path could read or alter what is sent']);
    expect(resolveOptions({ source: 's', target: 'DICOMweb+HTTPS://pacs/dicom-web', insecure: true }).tls.insecure).toBe(true);
    // A dry run leaves its target aside: nothing connects to it.
    expect(codeOf({ source: 's', target: 'https://new:8042', dryRun: true, insecure: true })).toBe('E_USAGE');
    expect(codeOf({ source: 's', target: 'https://new:8042', caPath: '/nonexistent/ca.pem' })).toBe('E_USAGE');
  });
});
