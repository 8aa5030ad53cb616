import { describe, expect, it } from 'vitest';
import { CACHED_STUDIES, StudyCache, type StudyAnswer } from '../../../src/targets/dicomweb/study-cache.js';

const listed = (...uids: string[]): StudyAnswer => ({ kind: 'listed', instances: new Map(uids.map((uid) => [uid, '1.2'])) });

describe('StudyCache', () => {
  it('asks once for a study asked about many times at once, and reuses the answer', async () => {
    const asked: string[] = [];
    const cache = new StudyCache((study) => (asked.push(study), Promise.resolve(listed('a'))));
    await Promise.all([cache.get('s'), cache.get('s'), cache.get('s')]);
    await cache.get('s');
    expect(asked).toEqual(['s']);
  });

  it('passes a rejection on to its callers alone (no unhandled rejection), and asks again after it', async () => {
    let calls = 0;
    const cache = new StudyCache(() => (++calls === 1 ? Promise.reject(new Error('server away')) : Promise.resolve(listed('a'))));
    await expect(cache.get('s')).rejects.toThrow('server away');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('s')).toEqual(listed('a'));
    expect(calls).toBe(2);
  });

  it('asks again after a failure, and forgets the least recent studies beyond its bound', async () => {
    const asked: string[] = [];
    let fail = true;
    const cache = new StudyCache((study) => (asked.push(study), Promise.resolve(fail ? { kind: 'unknown', reason: 'x' } : listed('a'))));
    expect(await cache.get('s')).toEqual({ kind: 'unknown', reason: 'x' });
    await Promise.resolve();
    fail = false;
    expect(await cache.get('s')).toEqual(listed('a'));
    for (let index = 0; index < CACHED_STUDIES; index++) await cache.get(`other-${index}`);
    await cache.get('s');
    expect(asked.filter((study) => study === 's')).toHaveLength(3);
  });
});
