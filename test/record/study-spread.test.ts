import { describe, expect, it } from 'vitest';
import { StudySpreadTally } from '../../src/record/study-spread.js';

describe('StudySpreadTally', () => {
  it('gives the median and largest span of the studies, in seconds and as shares of the run', () => {
    const spread = new StudySpreadTally();
    // A: 0 to 4 s; B: 1 to 2 s (given out of order); C: one instance; D: same UID as A, another patient.
    for (const [patient, study, at] of [['P', 'A', 0], ['P', 'B', 2_000], ['P', 'A', 4_000], ['P', 'B', 1_000], ['P', 'C', 3_000], ['Q', 'A', 5_000], ['Q', 'A', 8_000]] as const) spread.arrived(patient, study, at);
    expect(spread.summary(10)).toEqual({ studies: 4, medianSpanSeconds: 2, largestSpanSeconds: 4, medianShare: 0.2, largestShare: 0.4 });
  });

  it('says nothing when nothing arrived', () => {
    expect(new StudySpreadTally().summary(5)).toBeUndefined();
  });
});
