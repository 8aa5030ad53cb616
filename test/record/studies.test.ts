import { describe, expect, it } from 'vitest';
import { StudyTally } from '../../src/record/studies.js';

describe('StudyTally', () => {
  it('calls a study complete when every instance the run took on was verified', () => {
    const studies = new StudyTally();
    for (const [study, verified] of [['A', true], ['A', true], ['B', true], ['B', false]] as const) {
      studies.expect(study);
      if (verified) studies.add(study);
    }
    expect(studies.summary()).toEqual({ total: 2, complete: 1, incomplete: [{ studyId: 'B', expected: 2, verified: 1 }] });
  });

  it('claims no study complete when the run stopped early: it saw only part of each', () => {
    const studies = new StudyTally();
    studies.expect('A');
    studies.add('A');
    expect(studies.summary(true)).toEqual({ total: 1, complete: 0, incomplete: [], notChecked: true });
  });
});
