// "Did you mean": the closest candidate by edit distance, when it is close enough to be a typo.

export function distance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  let tie = false;
  for (const c of new Set(candidates)) {
    const lc = c.toLowerCase();
    let d = distance(w, lc);
    // A prefix is nearly a match; the shorter completion is the likelier one.
    if (lc.startsWith(w) || w.startsWith(lc)) d = Math.min(d, 1 + Math.abs(lc.length - w.length) / 100);
    if (d < bestScore) {
      best = c;
      bestScore = d;
      tie = false;
    } else if (d === bestScore) tie = true;
  }
  // Equally close candidates (P5 against P0..P3) suggest nothing rather than a guess.
  if (best === undefined || tie) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(word.length, best.length) / 3));
  return bestScore <= limit ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? `did you mean "${c}"?` : '';
}
