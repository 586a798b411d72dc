/**
 * "Did you mean": the known names closest to a mistyped one, by edit distance (insertions,
 * deletions, substitutions and swaps of neighbours each count one). Pure, no config.
 */

/** Optimal string alignment distance: Levenshtein plus transpositions ("prdo" → "prod" is 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * How far a word may be from a name to count as a typo of it: one edit for names of up to four
 * letters ("prod", "dev"), two for longer ones, so short reason words ("db", "dns") are not taken
 * for "dev". A shared prefix of four letters or more also counts ("stage" for "staging").
 */
export function looksLike(word: string, name: string): boolean {
  const w = word.toLowerCase(),
    n = name.toLowerCase();
  if (w === n) return true;
  const limit = Math.min(w.length, n.length) <= 4 ? 1 : 2;
  if (editDistance(w, n) <= limit) return true;
  let common = 0;
  while (common < w.length && common < n.length && w[common] === n[common]) common++;
  return common >= 4;
}

/** The candidates that look like `word`, closest first. */
export function closest(word: string, candidates: readonly string[]): string[] {
  return [...new Set(candidates)]
    .filter((c) => c !== word && looksLike(word, c))
    .sort((a, b) => editDistance(word, a) - editDistance(word, b) || a.localeCompare(b));
}

/** ` (did you mean "prod"?)`, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates).slice(0, 3);
  if (near.length === 0) return '';
  return ` (did you mean ${near.map((c) => `"${c}"`).join(' or ')}?)`;
}
