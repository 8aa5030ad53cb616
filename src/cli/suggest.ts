// "Did you mean …?" for a mistyped option or command: the known words nearest to what was typed.

// Edits (insert, delete, substitute, swap two neighbours) from one word to the other: the optimal
// string alignment form of the Damerau-Levenshtein distance, where a swap is one typo, as typed.
export const editDistance = (from: string, to: string): number => {
  const rows = Array.from({ length: from.length + 1 }, (_, i) => Array.from({ length: to.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= from.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= to.length; j++) {
      const cost = from[i - 1] === to[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && from[i - 1] === to[j - 2] && from[i - 2] === to[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(from.length, to.length);
};

// Two typos in a long word, one in a short one: 'hlep' is help, but 'ab' is not 'cd'.
const tolerance = (word: string): number => (word.length <= 2 ? 0 : word.length <= 4 ? 1 : 2);

// Why: the candidates nearest to what was typed (case aside), within a typo or two of it; empty when
// none is near enough to be what was meant.
export const nearest = (typed: string, candidates: readonly string[]): string[] => {
  const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(typed.toLowerCase(), candidate.toLowerCase()) }));
  const near = scored.filter(({ candidate, distance }) => distance <= tolerance(candidate));
  const best = Math.min(...near.map(({ distance }) => distance));
  return near.filter(({ distance }) => distance === best).map(({ candidate }) => candidate);
};

// Why: the one line a refusal ends with: ': did you mean X?', ': did you mean X or Y?', or nothing.
export const didYouMean = (suggestions: readonly string[]): string => {
  if (suggestions.length === 0) return '';
  const last = suggestions.at(-1) ?? '';
  return `: did you mean ${suggestions.length === 1 ? last : `${suggestions.slice(0, -1).join(', ')} or ${last}`}?`;
};
