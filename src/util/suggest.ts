// "Did you mean": the closest candidate by edit distance, when it is close enough to be a typo.

/** Edit distance, a swap of two neighbours counting as one edit ("raed" is one from "read"). */
export function distance(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.trim().toLowerCase();
  if (!w) return undefined;
  let best: string | undefined;
  let bestScore = Infinity;
  let tie = false;
  for (const c of new Set(candidates)) {
    const lc = c.toLowerCase();
    let d = distance(w, lc);
    // A prefix is nearly a match; the shorter completion is the likelier one.
    if (lc.startsWith(w) || w.startsWith(lc)) d = Math.min(d, 1 + Math.abs(lc.length - w.length) / 100);
    // So is a whole part of a compound name: "cpu" for high-cpu.
    else if (w.length >= 3 && lc.split(/[-_.]/).includes(w)) d = Math.min(d, 1.5);
    if (d < bestScore) {
      best = c;
      bestScore = d;
      tie = false;
    } else if (d === bestScore) tie = true;
  }
  // Equally close candidates (P5 against P0..P3) suggest nothing rather than a guess.
  if (best === undefined || tie) return undefined;
  // A third of the word may be mistyped (at least one character): "bogus" is not a typo of "logs".
  const limit = Math.max(1, Math.floor(Math.max(w.length, best.length) / 3));
  return bestScore <= Math.max(limit, 1.5) ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? `did you mean "${c}"?` : '';
}
