import { describe, expect, it } from 'vitest';
import { ImporterError } from '../../src/core/errors.js';
import { FAILURES_IN_A_ROW, FailureStreak } from '../../src/run/failure-streak.js';

const SQLITE = 'HTTP 500 SQLite: Cannot run a cached statement';

const failTimes = (streak: FailureStreak, count: number, cause: string): void => {
  for (let i = 0; i < count; i++) streak.add(cause, `gave up after 5 attempts: ${cause}`);
};

describe('FailureStreak', () => {
  it(`stops the run at the ${FAILURES_IN_A_ROW}th failure in a row with the same cause, naming it`, () => {
    const streak = new FailureStreak();
    failTimes(streak, FAILURES_IN_A_ROW - 1, SQLITE);
    expect(() => { failTimes(streak, 1, SQLITE); }).toThrow(
      /^50 uploads in a row failed the same way: gave up after 5 attempts: HTTP 500 SQLite.*is the disk of its index full\?.*run the same command again to resume$/,
    );
    try {
      failTimes(streak, 1, SQLITE);
    } catch (error) {
      expect(error instanceof ImporterError && error.code === 'E_TARGET_FAILING').toBe(true);
    }
  });

  it('starts again after a delivered file, and counts another cause afresh', () => {
    const streak = new FailureStreak();
    for (let round = 0; round < 3; round++) {
      failTimes(streak, FAILURES_IN_A_ROW - 1, 'ECONNRESET');
      streak.reset();
    }
    failTimes(streak, FAILURES_IN_A_ROW - 1, 'ECONNRESET');
    failTimes(streak, FAILURES_IN_A_ROW - 1, 'HTTP 502 Bad Gateway');
    expect(() => { failTimes(streak, 1, 'HTTP 502 Bad Gateway'); }).toThrow(/^50 uploads in a row failed the same way: gave up after 5 attempts: HTTP 502 Bad Gateway\. The run stops/);
  });
});
