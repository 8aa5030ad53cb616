import { describe, expect, it } from 'vitest';
import { outageWarnings } from '../../../src/targets/http/outage.js';

describe('outageWarnings', () => {
  it('names the target (as displayed: no credentials) when it goes away and when it is back', () => {
    const said: string[] = [];
    const events = outageWarnings('http://127.0.0.1:8042', (message) => said.push(message));
    events.onDown?.('ECONNREFUSED: connect');
    events.onUp?.(12_400);
    expect(said).toEqual(['the target http://127.0.0.1:8042 stopped answering (ECONNREFUSED: connect); pausing', 'the target http://127.0.0.1:8042 answers again after 12 s; carrying on']);
  });
});
