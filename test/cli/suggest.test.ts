// "Did you mean …?": which known words are near enough to a typed one to be what was meant.
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearest } from '../../src/cli/suggest.js';

describe('editDistance', () => {
  it.each([
    ['concurency', 'concurrency', 1], // a letter left out
    ['hlep', 'help', 1], // two neighbours swapped: one typo, not two
    ['chekc', 'check', 1],
    ['retry', 'retries', 3],
    ['', 'abc', 3],
    ['same', 'same', 0],
    ['kitten', 'sitting', 3],
  ])('%s -> %s: %i', (from, to, distance) => {
    expect(editDistance(from, to)).toBe(distance);
    expect(editDistance(to, from)).toBe(distance);
  });
});

describe('nearest', () => {
  const options = ['concurrency', 'source-concurrency', 'quiet', 'verify', 'no-verify', 'index', 'no-index', 'help'];

  it('suggests the nearest known words within a typo or two, case aside', () => {
    expect(nearest('concurency', options)).toEqual(['concurrency']);
    expect(nearest('quite', options)).toEqual(['quiet']);
    expect(nearest('no-verfy', options)).toEqual(['no-verify']);
    expect(nearest('Index', options)).toEqual(['index']);
    expect(nearest('V', ['h', 'V', 'q'])).toEqual(['V']);
    expect(nearest('v', ['h', 'V', 'q'])).toEqual(['V']);
  });

  it('keeps every candidate at the best distance, and only those', () => {
    expect(nearest('indexx', options)).toEqual(['index']);
    expect(nearest('cat', ['bat', 'hat', 'cart', 'dog'])).toEqual(['bat', 'hat', 'cart']);
  });

  it('suggests nothing for a word far from all, and allows one typo only in a short word', () => {
    expect(nearest('bogus', options)).toEqual([]);
    expect(nearest('hlpe', options)).toEqual([]); // two typos in a 4-letter word
    expect(nearest('x', ['h', 'q'])).toEqual([]); // one letter is no evidence
  });
});

describe('didYouMean', () => {
  it('ends a refusal with one suggestion, several, or nothing', () => {
    expect(didYouMean(['--concurrency'])).toBe(': did you mean --concurrency?');
    expect(didYouMean(['a', 'b', 'c'])).toBe(': did you mean a, b or c?');
    expect(didYouMean([])).toBe('');
  });
});
