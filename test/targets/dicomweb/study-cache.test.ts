import { describe, expect, it } from 'vitest';
import { CACHED_STUDIES, StudyCache, type StudyAnswer } from '../../../src/targets/dicomweb/study-cache.js';

const listed = (...uids: string[]): StudyAnswer => ({ kind: 'listed', instances: new Map(uids.map((uid) => [uid, '1.2'])) });

describe('StudyCache', () => {
  it('asks once for a study asked about many times at once, and reuses the answer', async () => {
    const asked: string[] = [];
    const cache = new StudyCache((study) => (asked.push(study), Promise.resolve(listed('a'))));
    await Promise.all([cache.get('s', 'a'), cache.get('s', 'b'), cache.get('s', 'c')]);
    await cache.get('s', 'a');
    expect(asked).toEqual(['s']);
  });

  it('never serves an answer asked for before a put of the instance, even one still in flight', async () => {
    const asked: string[] = [];
    let release = (): void => undefined;
    const cache = new StudyCache((study) => {
      asked.push(study);
      return asked.length === 1 ? new Promise<StudyAnswer>((resolve) => (release = () => { resolve(listed()); })) : Promise.resolve(listed('a'));
    });
    const early = cache.get('s', 'a');
    cache.touch('s', 'a');
    const late = cache.get('s', 'a');
    release();
    expect(await early).toEqual(listed());
    expect(await late).toEqual(listed('a'));
    expect(await cache.get('s', 'a')).toEqual(listed('a'));
    expect(asked).toEqual(['s', 's']);
  });

  it('keeps serving a study answer for the instances not put since (no listing of the study per put)', async () => {
    const asked: string[] = [];
    const cache = new StudyCache((study) => (asked.push(study), Promise.resolve(listed('a'))));
    await cache.get('s', 'a');
    for (let index = 0; index < 10; index++) cache.touch('s', `put-${index}`);
    expect(await cache.get('s', 'not-put')).toEqual(listed('a'));
    expect(asked).toEqual(['s']);
    await cache.get('s', 'put-3');
    expect(asked).toEqual(['s', 's']);
  });

  it('passes a rejection on to its callers alone (no unhandled rejection), and asks again after it', async () => {
    let calls = 0;
    const cache = new StudyCache(() => (++calls === 1 ? Promise.reject(new Error('server away')) : Promise.resolve(listed('a'))));
    await expect(cache.get('s', 'a')).rejects.toThrow('server away');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('s', 'a')).toEqual(listed('a'));
    expect(calls).toBe(2);
  });

  it('asks again after a failure, and forgets the least recent studies beyond its bound', async () => {
    const asked: string[] = [];
    let fail = true;
    const cache = new StudyCache((study) => (asked.push(study), Promise.resolve(fail ? { kind: 'unknown', reason: 'x' } : listed('a'))));
    expect(await cache.get('s', 'a')).toEqual({ kind: 'unknown', reason: 'x' });
    await Promise.resolve();
    fail = false;
    expect(await cache.get('s', 'a')).toEqual(listed('a'));
    for (let index = 0; index < CACHED_STUDIES; index++) await cache.get(`other-${index}`, 'a');
    await cache.get('s', 'a');
    expect(asked.filter((study) => study === 's')).toHaveLength(3);
  });
});
