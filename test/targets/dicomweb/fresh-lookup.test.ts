import { describe, expect, it } from 'vitest';
import { FreshLookup, UIDS_PER_QUERY } from '../../../src/targets/dicomweb/fresh-lookup.js';
import type { StudyAnswer } from '../../../src/targets/dicomweb/study-cache.js';

const listed = (uids: readonly string[]): StudyAnswer => ({ kind: 'listed', instances: new Map(uids.map((uid) => [uid, '1.2'])) });

// A server of these studies' instances; `matchesLists`: whether it honours UID list matching.
const server = (held: Readonly<Record<string, readonly string[]>>, matchesLists = true) => {
  const named: (readonly string[])[] = [];
  const whole: string[] = [];
  const lookup = new FreshLookup({
    named: (study, uids) => {
      named.push(uids);
      return Promise.resolve(listed(matchesLists ? uids.filter((uid) => held[study]?.includes(uid)) : []));
    },
    whole: (study) => {
      whole.push(study);
      return Promise.resolve(listed(held[study] ?? []));
    },
  });
  return { lookup, named, whole };
};

describe('FreshLookup', () => {
  it('asks the instances of one turn together, per study, in queries of at most UIDS_PER_QUERY UIDs', async () => {
    const uids = Array.from({ length: UIDS_PER_QUERY + 5 }, (_, index) => `1.${index}`);
    const { lookup, named, whole } = server({ s: uids, t: ['2.1'] });
    const answers = await Promise.all([...uids.map((uid) => lookup.get('s', uid)), lookup.get('t', '2.1')]);
    expect(answers.every((answer) => answer.kind === 'listed')).toBe(true);
    expect(named.map((query) => query.length).sort((a, b) => a - b)).toEqual([1, 5, UIDS_PER_QUERY]);
    expect(whole).toEqual([]);
  });

  it('looks for what a query did not return in a fresh listing of the whole study before it counts as absent', async () => {
    const { lookup, whole } = server({ s: ['1.1'] });
    const [there, gone] = await Promise.all([lookup.get('s', '1.1'), lookup.get('s', '1.9')]);
    expect(there.kind === 'listed' && there.instances.has('1.1')).toBe(true);
    expect(gone.kind === 'listed' && gone.instances.has('1.9')).toBe(false);
    expect(whole).toEqual(['s']);
  });

  it('still finds the instances on a server that ignores UID lists (answers none), through the whole study', async () => {
    const { lookup, whole } = server({ s: ['1.1', '1.2'] }, false);
    const answers = await Promise.all([lookup.get('s', '1.1'), lookup.get('s', '1.2')]);
    expect(answers.every((answer) => answer.kind === 'listed' && answer.instances.has('1.1') && answer.instances.has('1.2'))).toBe(true);
    expect(whole).toEqual(['s']);
  });

  it('passes a run-stopping failure of its query to every ask', async () => {
    const lookup = new FreshLookup({ named: () => Promise.reject(new Error('refused')), whole: () => Promise.resolve(listed([])) });
    await expect(Promise.all([lookup.get('s', '1.1'), lookup.get('s', '1.2')])).rejects.toThrow('refused');
  });
});
