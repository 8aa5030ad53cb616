import { describe, expect, it } from 'vitest';
import { StudyTally } from '../../src/record/studies.js';

describe('StudyTally', () => {
  it('calls a study complete when every instance the run took on was verified', () => {
    const studies = new StudyTally();
    for (const [study, verified] of [['A', true], ['A', true], ['B', true], ['B', false]] as const) {
      studies.expect(study);
      if (verified) studies.add(study);
    }
    expect(studies.summary()).toEqual({ total: 2, complete: 1, incomplete: [{ studyId: 'B', expected: 2, verified: 1, why: {} }] });
  });

  it('claims no study complete when the run stopped early: it saw only part of each', () => {
    const studies = new StudyTally();
    studies.expect('A');
    studies.add('A');
    expect(studies.summary(true)).toEqual({ total: 1, complete: 0, incomplete: [], notChecked: true });
  });

  it('says how many complete studies this run delivered into, and over how long each arrived', () => {
    const studies = new StudyTally();
    // A: two arrivals 4 s apart; B: one arrival and one found already there; C: found there only;
    // D: incomplete, an arrival 60 s long does not count.
    for (const [study, at] of [['A', 1_000], ['A', 5_000], ['B', 2_000], ['B', undefined], ['C', undefined], ['D', 0], ['D', 60_000]] as const) {
      studies.expect(study);
      studies.add(study, at);
    }
    studies.expect('D');
    expect(studies.summary()).toEqual({
      total: 4,
      complete: 3,
      incomplete: [{ studyId: 'D', expected: 3, verified: 2, why: {} }],
      completedByThisRun: { studies: 2, medianSpanSeconds: 2, largestSpanSeconds: 4 },
    });
  });

  it('says why a study is incomplete: what became of each instance it lacks, and its UID', () => {
    const studies = new StudyTally();
    for (let i = 0; i < 5; i++) studies.expect('E');
    studies.add('E');
    studies.miss('E', 'rejected', undefined);
    studies.miss('E', 'corrupt-source', '1.2.3');
    studies.miss('E', 'rejected', '1.2.4');
    studies.miss('E', 'dropped', undefined);
    expect(studies.summary().incomplete).toEqual([{ studyId: 'E', studyInstanceUid: '1.2.3', expected: 5, verified: 1, why: { rejected: 2, 'corrupt-source': 1, dropped: 1 } }]);
  });
});
