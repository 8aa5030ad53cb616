import { describe, expect, it } from 'vitest';
import { formatSummary, Tally, type Summary } from '../../src/record/report.js';
import { FILE_CLASSES, type FileOutcome } from '../../src/core/types.js';

const startedAt = new Date('2024-01-02T03:04:05.000Z');

const summarize = (tally: Tally, target: string | null = 'http://host:8042'): Summary =>
  tally.summarize({ source: '/src', target, startedAt, elapsedSeconds: 2, warnings: [], check: false });

const outcome = (fileClass: FileOutcome['fileClass'], size: number, extra: Partial<FileOutcome> = {}): FileOutcome => ({
  path: `/src/${fileClass}-${size}`,
  size,
  fileClass,
  ...extra,
});

describe('Tally', () => {
  it('counts files and on-disk bytes per class, decoded bytes and statuses', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 100, { decodedSize: 250, status: 'stored' }));
    tally.add(outcome('dicom', 50, { status: 'already-there' }));
    tally.add(outcome('dicom', 10, { decodedSize: 20, status: 'dropped' }));
    tally.add(outcome('not-dicom', 7));
    tally.add(outcome('json-summary', 3));
    tally.add(outcome('json-summary', 4));
    tally.add(outcome('pixel-data-cache', 9));

    expect(tally.files).toBe(7);
    const summary = summarize(tally);
    expect(summary.classes.dicom).toEqual({ files: 3, bytes: 160 });
    expect(summary.classes['not-dicom']).toEqual({ files: 1, bytes: 7 });
    expect(summary.classes['json-summary']).toEqual({ files: 2, bytes: 7 });
    expect(summary.classes['pixel-data-cache']).toEqual({ files: 1, bytes: 9 });
    expect(summary.classes.corrupt).toEqual({ files: 0, bytes: 0 });
    expect(summary.statuses).toEqual({ stored: 1, alreadyThere: 1, dropped: 1 });
    expect(summary.instances).toBe(3);
    expect(summary.dicomBytes).toBe(250 + 50 + 20);
    expect(summary.exitCode).toBe(0);
    expect(summary.source).toBe('/src');
    expect(summary.target).toBe('http://host:8042');
    expect(summary.dryRun).toBe(false);
    expect(summary.startedAt).toBe('2024-01-02T03:04:05.000Z');
    expect(summary.elapsedSeconds).toBe(2);
    expect(summary.instancesPerSecond).toBe(1.5);
  });

  it('has every class in the summary', () => {
    expect(Object.keys(summarize(new Tally()).classes).sort()).toEqual([...FILE_CLASSES].sort());
  });

  it('returns a summary that later adds do not change', () => {
    const tally = new Tally();
    const summary = summarize(tally);
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    expect(summary.classes.dicom.files).toBe(0);
    expect(summary.statuses.stored).toBe(0);
  });

  it.each(['rejected', 'failed', 'corrupt'] as const)('gives exit code 1 when a file is %s', (fileClass) => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    tally.add(outcome(fileClass, 1));
    expect(summarize(tally).exitCode).toBe(1);
  });

  it('gives exit code 0 for skipped but harmless classes', () => {
    const tally = new Tally();
    for (const fileClass of ['dicom', 'json-summary', 'pixel-data-cache', 'not-dicom'] as const) tally.add(outcome(fileClass, 1));
    expect(summarize(tally).exitCode).toBe(0);
  });

  it('gives the exit code of an interrupted run (130) or of the failure that stopped it', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    const base = { source: '/src', target: 'http://host:8042', startedAt, elapsedSeconds: 2, warnings: [], check: false };
    expect(tally.summarize({ ...base, interrupted: true }).exitCode).toBe(130);
    expect(tally.summarize({ ...base, interrupted: true, stoppedWith: 3 }).exitCode).toBe(3);
    tally.add(outcome('failed', 1));
    expect(tally.summarize({ ...base, interrupted: true }).exitCode).toBe(130);
  });

  it('says a source without any DICOM instance is most likely the wrong folder, with exit code 1', () => {
    {
      const tally = new Tally();
      tally.add(outcome('not-dicom', 7));
      for (const target of ['http://host:8042', null]) {
        const summary = summarize(tally, target);
        expect(summary.exitCode).toBe(1);
        expect(summary.warnings).toEqual(['no DICOM found in /src: is it the right folder?']);
        const text = formatSummary(summary);
        expect(text).toContain('  warning: no DICOM found in /src: is it the right folder?');
        expect(text).not.toContain('see the report');
      }
    }
    expect(summarize(new Tally()).exitCode).toBe(1);
  });

  it('does not call a running Orthanc a folder, nor say it holds no DICOM when its filters matched none', () => {
    const base = { source: 'http://old:8042', target: 'http://new:8042', startedAt, elapsedSeconds: 2, warnings: [], check: false };
    const plain = new Tally().summarize(base);
    expect(plain).toMatchObject({ exitCode: 1, warnings: ['no DICOM instance in http://old:8042: is it the right server?'] });
    const filtered = new Tally().summarize({ ...base, filter: 'Modality MR' });
    expect(filtered).toMatchObject({ exitCode: 1, warnings: ['no DICOM instance of http://old:8042 matches the filters (Modality MR)'] });
    const text = formatSummary(filtered);
    expect(text).toContain('  filters: Modality MR (asked of the source: what it left out is not counted)');
    expect(text).not.toContain('no DICOM found');
    expect(formatSummary(new Tally().summarize({ ...base, source: '/src', filter: 'Modality MR' }))).toContain('  filters: Modality MR (everything else is counted as excluded)');
  });

  it('says none were found beyond the files rather than "0 carried" when the instances had no user extras', () => {
    const base = { source: '/src', target: 'http://new:8042', startedAt, elapsedSeconds: 2, warnings: [], check: false };
    const none = formatSummary(new Tally().summarize({ ...base, extras: { instances: 9, carried: 0, notCarried: 0, failed: 0, lost: {} } }));
    expect(none).toContain('  beyond the files (user metadata, attachments, labels): none on the 9 instances delivered or their parents\n');
    const some = formatSummary(new Tally().summarize({ ...base, extras: { instances: 9, carried: 0, notCarried: 2, failed: 0, lost: {} } }));
    expect(some).toContain('beyond the files (user metadata, attachments, labels): 0 carried for 9 instances and their parents, 2 not carried');
  });

  it('says where the adaptive limit of uploads in flight went, and nothing when it was fixed', () => {
    const base = { source: '/src', target: 'http://new:8042', startedAt, elapsedSeconds: 2, warnings: [], check: false };
    const adapted = new Tally().summarize({ ...base, uploadsInFlight: { start: 4, largest: 13, final: 9 } });
    expect(adapted.uploadsInFlight).toEqual({ start: 4, largest: 13, final: 9 });
    expect(formatSummary(adapted)).toContain('  uploads in flight: adapted from 4, up to 13, 9 at the end (--concurrency N fixes it)\n');
    expect(formatSummary(new Tally().summarize(base))).not.toContain('uploads in flight');
  });

  it('does not call a source without DICOM the wrong folder when it holds instances in any form', () => {
    for (const fileClass of ['rejected', 'conflict', 'excluded', 'missing', 'corrupt-source'] as const) {
      const tally = new Tally();
      tally.add(outcome(fileClass, 1));
      expect(summarize(tally).warnings).toEqual([]);
    }
  });

  it('counts in the rates only the instances this run sent itself', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { decodedSize: 4_000_000, status: 'stored', verified: 'md5' }));
    tally.add(outcome('dicom', 1, { decodedSize: 9_000_000, status: 'stored', verified: 'md5', resumed: true }));
    tally.add(outcome('dicom', 1, { decodedSize: 9_000_000, status: 'already-there', verified: 'size', onTarget: true }));
    const summary = summarize(tally);
    expect(summary).toMatchObject({ instances: 3, instancesThisRun: 1, instancesPerSecond: 0.5, megabytesPerSecond: 2 });
    expect(formatSummary(summary)).toContain('3 instances (21.0 MiB decoded) delivered in 2.0s: 1 of them by this run, 0.5 instances/s, 1.91 MiB/s');
  });

  it('notes the time paused outside --schedule, which the rates leave out', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { decodedSize: 4_000_000, status: 'stored', verified: 'md5' }));
    const base = { source: '/src', target: 'http://host:8042', startedAt, warnings: [], check: false };
    const summary = tally.summarize({ ...base, elapsedSeconds: 47_002, pausedSeconds: 47_000 });
    expect(summary).toMatchObject({ elapsedSeconds: 47_002, pausedSeconds: 47_000, instancesPerSecond: 0.5, megabytesPerSecond: 2 });
    expect(formatSummary(summary)).toContain('  paused outside the --schedule windows: 13h 03m 20s (the rates leave that time out)');
    expect(formatSummary(tally.summarize({ ...base, elapsedSeconds: 2, pausedSeconds: 0 }))).toContain('  paused outside the --schedule windows: 0.0s');
    expect(summarize(tally).pausedSeconds).toBeUndefined();
    expect(formatSummary(summarize(tally))).not.toContain('paused');
  });

  it('gives no rate when this run sent nothing', () => {
    const tally = new Tally();
    for (let i = 0; i < 14_878; i++) tally.add(outcome('dicom', 1, { status: 'stored', verified: 'md5', resumed: true }));
    const summary = summarize(tally);
    expect(summary).toMatchObject({ instancesThisRun: 0, instancesPerSecond: 0, megabytesPerSecond: 0 });
    expect(formatSummary(summary)).toMatch(/14,878 instances \(14\.5 KiB decoded\) delivered in 2\.0s: none of them by this run$/m);
  });

  it('counts an upload whose answer was lost, found on the target, apart from the target answers', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored', verified: 'md5' }));
    tally.add(outcome('dicom', 1, { status: 'stored', verified: 'md5', answerLost: true }));
    const summary = summarize(tally);
    expect(summary).toMatchObject({ statuses: { stored: 1 }, answersLost: 1, verified: 2, exitCode: 0 });
    expect(formatSummary(summary)).toContain('target answers: 1 stored, 0 already there, 0 dropped, 1 answer lost (found on the target with the same bytes)');
  });

  it('counts the bytes this run\'s uploads carried against the decoded bytes, gzip or not; none from the journal', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 900, { decodedSize: 1_000_000, status: 'stored', wireBytes: 400_000, wireEncoding: 'gzip' }));
    tally.add(outcome('dicom', 500, { decodedSize: 500_000, status: 'stored', wireBytes: 500_000 }));
    tally.add(outcome('dicom', 700, { decodedSize: 700_000, status: 'stored', wireBytes: 300_000, wireEncoding: 'gzip', resumed: true }));
    const summary = summarize(tally);
    expect(summary.wire).toEqual({ instances: 2, sentBytes: 900_000, decodedBytes: 1_500_000, gzipInstances: 1 });
    expect(formatSummary(summary)).toContain('  on the wire: 878.9 KiB sent for 1.43 MiB decoded (1 of 2 instances as gzip)');
  });

  it('says nothing of the wire when no upload was gzip, nor has a wire field when nothing was sent', () => {
    const plain = new Tally();
    plain.add(outcome('dicom', 5, { decodedSize: 5, status: 'stored', wireBytes: 5 }));
    expect(summarize(plain).wire).toEqual({ instances: 1, sentBytes: 5, decodedBytes: 5, gzipInstances: 0 });
    expect(formatSummary(summarize(plain))).not.toContain('on the wire');
    expect(summarize(new Tally()).wire).toBeUndefined();
  });

  it('is a dry run when there is no target', () => {
    expect(summarize(new Tally(), null).dryRun).toBe(true);
  });
});

describe('formatSummary', () => {
  it('mentions each non-empty class and leaves empty ones out (dicom always shown)', () => {
    const tally = new Tally();
    tally.add(outcome('json-summary', 1));
    tally.add(outcome('corrupt', 2_000_000));
    const text = formatSummary(summarize(tally));
    expect(text).toContain('json-summary');
    expect(text).toContain('JSON summaries (dicom-as-json)');
    expect(text).toMatch(/corrupt\s+1 file \s+1\.91 MiB on disk/);
    expect(text).toMatch(/dicom\s+0 files/);
    expect(text).not.toContain('pixel-data-cache');
    expect(text).not.toContain('not-dicom');
    expect(text).not.toContain('rejected by the target');
    expect(text).toContain('see the report');
  });

  it('lists every class when all are present', () => {
    const tally = new Tally();
    for (const fileClass of FILE_CLASSES) tally.add(outcome(fileClass, 1));
    const text = formatSummary(summarize(tally));
    for (const fileClass of FILE_CLASSES) expect(text).toContain(fileClass);
  });

  it('shows target answers and warns about dropped instances on an import', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    tally.add(outcome('dicom', 1, { status: 'dropped' }));
    const text = formatSummary(summarize(tally));
    expect(text).toContain('Imported /src into http://host:8042');
    expect(text).toContain('1 stored, 0 already there, 1 dropped');
    expect(text).toMatch(/instances were dropped by the target \(a filter there\)/);
    expect(text).not.toContain('see the report');
  });

  it('claims an MD5 neither for a check by presence (a DICOMweb server) nor for instances seen there by presence', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'already-there', verified: 'presence', onTarget: true }));
    const imported = formatSummary(summarize(tally));
    expect(imported).toContain('1 presence only (no MD5 compared: the target tells none, as a DICOMweb server without --verify full, or transcodes)');
    expect(imported).toContain("1 instance not sent: the target already held it (seen there by this run: see 'verified' above)");
    expect(imported).not.toContain('MD5 read back');
    const checked = formatSummary(tally.summarize({ source: '/src', target: 'dicomweb+http://host/dicom-web', startedAt, elapsedSeconds: 2, warnings: [], check: true }));
    expect(checked).toContain('1 instance (1 B decoded) on the target, checked');
    tally.add(outcome('absent', 1));
    const missing = formatSummary(tally.summarize({ source: '/src', target: 'dicomweb+http://host/dicom-web', startedAt, elapsedSeconds: 2, warnings: [], check: true }));
    expect(missing).toContain('the target does NOT hold every source instance: see the report');
    expect(missing).not.toContain('MD5');
    const byMd5 = new Tally();
    byMd5.add(outcome('dicom', 1, { status: 'already-there', verified: 'md5', onTarget: true }));
    expect(formatSummary(byMd5.summarize({ source: '/src', target: 'http://host:8042', startedAt, elapsedSeconds: 2, warnings: [], check: true }))).toContain('on the target with the same MD5, checked');
  });

  it('a check of a recovery folder writes nothing, and says nothing of files written', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { verified: 'md5', onTarget: true }));
    const context = { source: '/src', target: '/out', startedAt, elapsedSeconds: 2, warnings: [], recovery: true };
    expect(formatSummary(tally.summarize({ ...context, check: false }))).toContain('files: 0 written');
    const checked = formatSummary(tally.summarize({ ...context, check: true }));
    expect(checked).toContain('on the target with the same MD5, checked');
    expect(checked).not.toContain('written');
  });

  it('a recovery says how this run saw each delivered file in the folder, those of an earlier run included', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored', verified: 'md5', onTarget: true, decodedSize: 1 }));
    tally.add(outcome('dicom', 2, { status: 'stored', verified: 'size', onTarget: true, decodedSize: 2, resumed: true }));
    const text = formatSummary(tally.summarize({ source: '/src', target: '/out', startedAt, elapsedSeconds: 2, warnings: [], recovery: true, check: false }));
    expect(text).toContain('verified in the folder by this run: 2 of 2 delivered instances (1 MD5 read back, 1 size only');
  });

  it('groups the thousands of the study counts', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    const text = formatSummary({ ...summarize(tally), studies: { total: 1_234_568, complete: 999, incomplete: [] } });
    expect(text).toContain('studies complete on the target: 999/1,234,568');
    const arrived = formatSummary({ ...summarize(tally), studies: { total: 3, complete: 3, incomplete: [], completedByThisRun: { studies: 2, medianSpanSeconds: 2, largestSpanSeconds: 4 } } });
    expect(arrived).toContain('studies complete on the target: 3/3; 2 completed by this run, each arriving over 2.0s (median), 4.0s at most (first instance to last)');
    const marks = { name: 'ImportComplete', marked: 2, present: 1, failed: 1 };
    const marked = formatSummary({ ...summarize(tally), studies: { total: 3, complete: 3, incomplete: [], marks } });
    expect(marked).toContain('studies marked complete (metadata ImportComplete): 2 marked now, 1 marked before, 1 NOT marked (see the warnings)');
  });

  it('names the incomplete studies and why, five of them, the rest left to the report', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    const incomplete = Array.from({ length: 7 }, (_, i) => ({ studyId: `id${i}`, ...(i === 0 ? { studyInstanceUid: '1.2.840.1' } : {}), expected: 1_200, verified: 1_198, why: { rejected: 1, 'corrupt-source': 1 } }));
    const text = formatSummary({ ...summarize(tally), studies: { total: 9, complete: 2, incomplete } });
    expect(text).toContain('    incomplete: study 1.2.840.1 (id0), 1,198 of 1,200 verified: 1 rejected, 1 corrupt-source\n    incomplete: study id1, 1,198');
    expect(text).toContain('    incomplete: study id4,');
    expect(text).not.toContain('study id5');
    expect(text).toContain('    and 2 more incomplete studies: see the report (--report FILE.json)');
  });

  it('says how spread the studies of a walked folder were', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    const text = formatSummary({ ...summarize(tally), studySpread: { studies: 1_200, medianSpanSeconds: 3, largestSpanSeconds: 7_260, medianShare: 0.004, largestShare: 0.95 } });
    expect(text).toContain('  studies this run stored into: 1,200, each arriving over 3.0s (median, 0.4% of the run), 2h 01m 00s at most (95%); a folder is sent in its own order, not a study at a time');
  });

  it('claims no study complete for a run that stopped early', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1, { status: 'stored' }));
    const text = formatSummary({ ...summarize(tally), interrupted: true, studies: { total: 32, complete: 0, incomplete: [], notChecked: true } });
    expect(text).toContain('studies: 32 begun, incomplete or not checked (the run stopped early)');
    expect(text).not.toContain('studies complete');
  });

  it('words an inventory differently and shows no target answers', () => {
    const tally = new Tally();
    tally.add(outcome('dicom', 1));
    const text = formatSummary(summarize(tally, null));
    expect(text).toContain('Inventory of /src');
    expect(text).toMatch(/^ {2}1 instance \(1 B decoded\) found in 2\.0s: read at [\d.]+ instances\/s, [\d.]+ B\/s; nothing was uploaded$/m);
    expect(text).not.toContain('would be uploaded');
    expect(text).not.toContain('target answers');
  });

  it('--follow: keeps what following saw in the JSON summary, and says it in one line, deletions as not propagated', () => {
    const follow = { behindChanges: 0, lagSeconds: 0, followedInstances: 12, deletions: 1, vanishedChanges: 4 };
    const summary = new Tally().summarize({ source: 'http://old:8042', target: 'http://new:8042', startedAt, elapsedSeconds: 2, warnings: [], check: false, follow });
    expect(JSON.parse(JSON.stringify(summary))).toMatchObject({ follow });
    expect(formatSummary(summary)).toContain(
      "  followed: 12 new instances named by the source's change log; deleted on the source, not propagated: 1 instances named by its log, 4 changes gone from its log",
    );
    expect(summarize(new Tally())).not.toHaveProperty('follow');
  });
});
