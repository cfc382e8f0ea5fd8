// The Mann–Whitney U test (Wilcoxon rank-sum test), two-sided, for "do these two sets of per-repetition values
// come from the same distribution?". Rank-based, so it does not assume normal run-to-run noise and one wild
// repetition cannot dominate it.
//
// Method:
// - Ranks over the pooled sample, ties get their mid-rank.
// - Exact p (small samples, N = n1 + n2 <= EXACT_MAX_N): the permutation distribution of the rank sum of the
//   first sample, conditional on the observed mid-ranks, so it is exact also with ties (the "exact conditional"
//   test, Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed., 2014, §4.1; the same counting
//   as Mann & Whitney 1947 when there are no ties). Mid-ranks are halves at worst, so ranks are doubled to stay
//   integral and the distribution is counted by dynamic programming over (items taken, doubled rank sum).
// - Large samples: the normal approximation with the tie-corrected variance
//     σ² = n1·n2/12 · ((N + 1) − Σ(t³ − t) / (N(N − 1)))
//   (t = size of each tie group; Lehmann, Nonparametrics, 1975, eq. 1.41) and a continuity correction of ½.

import { normalUpperTail } from '../bench/statistics/normal.js';

export interface MannWhitneyResult {
  /** U statistic of the first sample: the number of (x, y) pairs with x > y, ties counting ½. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
  n1: number;
  n2: number;
}

/** Above this pooled size the normal approximation is accurate and the exact count gets expensive. */
export const EXACT_MAX_N = 60;

/** Mid-ranks (1-based) of `values`, and the sizes of the tie groups. */
export function midRanks(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = rank;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

function exactPValue(doubledRanks: readonly number[], n1: number, observed: number): number {
  const total = doubledRanks.reduce((a, b) => a + b, 0);
  // ways[j][s]: number of subsets of size j of the items seen so far whose doubled ranks sum to s.
  const ways: Float64Array[] = Array.from({ length: n1 + 1 }, () => new Float64Array(total + 1));
  ways[0]![0] = 1;
  for (const r of doubledRanks) {
    for (let j = n1; j >= 1; j--) {
      const into = ways[j]!;
      const from = ways[j - 1]!;
      for (let s = total; s >= r; s--) into[s]! += from[s - r]!;
    }
  }
  const dist = ways[n1]!;
  const expected = (n1 * total) / doubledRanks.length;
  const distance = Math.abs(observed - expected);
  let count = 0;
  let all = 0;
  for (let s = 0; s <= total; s++) {
    const c = dist[s]!;
    if (!c) continue;
    all += c;
    // Sums are integers (doubled ranks); the epsilon only guards the float `expected`.
    if (Math.abs(s - expected) >= distance - 1e-9) count += c;
  }
  return Math.min(1, count / all);
}

export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, p: 1, method: 'exact', n1, n2 };
  const { ranks, ties } = midRanks([...x, ...y]);
  const r1 = ranks.slice(0, n1).reduce((a, b) => a + b, 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  if (n <= EXACT_MAX_N) {
    const doubled = ranks.map((r) => Math.round(2 * r));
    return { u, p: exactPValue(doubled, n1, Math.round(2 * r1)), method: 'exact', n1, n2 };
  }
  const tieTerm = ties.reduce((a, t) => a + (t * t * t - t), 0) / (n * (n - 1));
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm);
  if (variance <= 0) return { u, p: 1, method: 'normal', n1, n2 };
  const z = Math.max(0, Math.abs(u - (n1 * n2) / 2) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * normalUpperTail(z)), method: 'normal', n1, n2 };
}

/** The smallest two-sided p the exact test can give for these sample sizes (no ties): 2 / C(n1+n2, n1). */
export function smallestPossibleP(n1: number, n2: number): number {
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}
