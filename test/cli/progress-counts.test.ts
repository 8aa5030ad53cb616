import { describe, expect, it } from 'vitest';
import { ProgressCounts, progressKind } from '../../src/cli/progress-counts.js';
import type { FileOutcome } from '../../src/core/types.js';

const outcome = (fields: Partial<FileOutcome>): FileOutcome => ({ path: 'p', size: 1, fileClass: 'dicom', ...fields });

describe('progressKind', () => {
  it('tells delivered, skipped on purpose, not DICOM and errors apart', () => {
    expect(progressKind(outcome({ status: 'stored' }))).toBe('delivered');
    expect(progressKind(outcome({ status: 'already-there', onTarget: true }))).toBe('skipped');
    expect(progressKind(outcome({ status: 'stored', resumed: true }))).toBe('skipped');
    expect(progressKind(outcome({ status: 'dropped' }))).toBe('error');
    for (const fileClass of ['pixel-data-cache', 'json-summary', 'excluded', 'orphan'] as const) expect(progressKind(outcome({ fileClass }))).toBe('skipped');
    expect(progressKind(outcome({ fileClass: 'not-dicom' }))).toBe('not-dicom');
    for (const fileClass of ['rejected', 'failed', 'corrupt', 'too-deep', 'corrupt-source', 'missing', 'conflict', 'absent'] as const) expect(progressKind(outcome({ fileClass }))).toBe('error');
    // An earlier run's error, replayed from the journal, is still an error.
    expect(progressKind(outcome({ fileClass: 'corrupt', resumed: true }))).toBe('error');
  });

  it('counts them', () => {
    const counts = new ProgressCounts();
    for (const one of [outcome({ status: 'stored' }), outcome({ fileClass: 'not-dicom' }), outcome({ fileClass: 'rejected' }), outcome({ fileClass: 'excluded' }), outcome({ status: 'stored' })]) counts.add(one);
    expect({ delivered: counts.delivered, skipped: counts.skipped, notDicom: counts.notDicom, errors: counts.errors }).toEqual({ delivered: 2, skipped: 1, notDicom: 1, errors: 1 });
  });
});
