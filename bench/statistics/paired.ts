// Statistics on paired repetitions: baseline and candidate measured back to back (ABBA order) inside one run, so
// the machine's drift hits both members of a pair and cancels in their ratio.
import { percentileInterval } from './bootstrap.js';
import { median } from './estimators.js';
import { normalQuantile, normalUpperTail } from './normal.js';
import { mulberry32, randomIndex } from './random.js';

/** candidate[i] / baseline[i] for every pair where both are finite and the baseline is not zero. */
export function pairedRatios(baseline: readonly number[], candidate: readonly number[]): number[] {
  if (baseline.length !== candidate.length) throw new RangeError(`unpaired samples: ${baseline.length} baseline vs ${candidate.length} candidate values`);
  const out: number[] = [];
  for (let i = 0; i < baseline.length; i++) {
    const b = baseline[i]!;
    const c = candidate[i]!;
    if (Number.isFinite(b) && Number.isFinite(c) && b !== 0) out.push(c / b);
  }
  return out;
}

export interface RatioInterval {
  /** Median of the paired ratios. */
  ratio: number;
  low: number;
  high: number;
  n: number;
}

/** Median paired ratio with a percentile-bootstrap CI over the pairs (each pair is resampled whole). */
export function pairedRatioCI(ratios: readonly number[], o: { level?: number; resamples?: number; seed?: number } = {}): RatioInterval {
  const { level = 0.95, resamples = 2000, seed = 1 } = o;
  const n = ratios.length;
  if (n === 0) return { ratio: NaN, low: NaN, high: NaN, n };
  const m = median(ratios);
  if (n === 1) return { ratio: m, low: m, high: m, n };
  const rand = mulberry32(seed);
  const meds = new Float64Array(resamples);
  const s = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) s[i] = ratios[randomIndex(rand, n)]!;
    meds[b] = median(s);
  }
  return { ratio: m, ...percentileInterval(meds, level), n };
}

export interface SignedRankResult {
  /** Sum of the ranks of the positive differences (zeros dropped, ties mid-ranked). */
  wPlus: number;
  /** Number of non-zero differences used. */
  n: number;
  /** Two-sided p. */
  p: number;
  /** One-sided p for "the differences tend to be positive". */
  pGreater: number;
  /** One-sided p for "the differences tend to be negative". */
  pLess: number;
  method: 'exact' | 'normal';
}

export const SIGNED_RANK_EXACT_MAX_N = 60;

/**
 * Wilcoxon signed-rank test of "the differences are symmetric about 0" (Wilcoxon 1945; Hollander, Wolfe &
 * Chicken, Nonparametric Statistical Methods, 3rd ed., 2014, §3.1). Zero differences are dropped (Wilcoxon's
 * convention), tied |differences| get mid-ranks. Exact p for n <= 60: the permutation distribution of W+ under
 * random signs, conditional on the observed mid-ranks (doubled to stay integral, counted by dynamic programming);
 * above that the normal approximation with the tie-corrected variance n(n+1)(2n+1)/24 − Σ(t³−t)/48 and a
 * continuity correction.
 */
export function wilcoxonSignedRank(differences: readonly number[]): SignedRankResult {
  const d = differences.filter((x) => Number.isFinite(x) && x !== 0);
  const n = d.length;
  if (n === 0) return { wPlus: 0, n: 0, p: 1, pGreater: 1, pLess: 1, method: 'exact' };
  const order = d.map((x, i) => [Math.abs(x), i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(n);
  const ties: number[] = [];
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (d[i]! > 0) wPlus += ranks[i]!;
  const mean = (n * (n + 1)) / 4;
  if (n <= SIGNED_RANK_EXACT_MAX_N) {
    const doubled = ranks.map((r) => Math.round(2 * r));
    const total = doubled.reduce((a, b) => a + b, 0);
    const ways = new Float64Array(total + 1);
    ways[0] = 1;
    for (const r of doubled) for (let s = total; s >= r; s--) ways[s]! += ways[s - r]!;
    const all = Math.pow(2, n);
    const w2 = Math.round(2 * wPlus);
    let ge = 0;
    let le = 0;
    let far = 0;
    const dist = Math.abs(w2 - total / 2);
    for (let s = 0; s <= total; s++) {
      const c = ways[s]!;
      if (!c) continue;
      if (s >= w2) ge += c;
      if (s <= w2) le += c;
      if (Math.abs(s - total / 2) >= dist - 1e-9) far += c;
    }
    return { wPlus, n, p: Math.min(1, far / all), pGreater: Math.min(1, ge / all), pLess: Math.min(1, le / all), method: 'exact' };
  }
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - ties.reduce((a, t) => a + (t * t * t - t), 0) / 48;
  if (variance <= 0) return { wPlus, n, p: 1, pGreater: 1, pLess: 1, method: 'normal' };
  const sd = Math.sqrt(variance);
  const zUp = (wPlus - mean - 0.5) / sd;
  const zDown = (wPlus - mean + 0.5) / sd;
  const pGreater = normalUpperTail(zUp);
  const pLess = 1 - normalUpperTail(zDown);
  const z = Math.max(0, Math.abs(wPlus - mean) - 0.5) / sd;
  return { wPlus, n, p: Math.min(1, 2 * normalUpperTail(z)), pGreater, pLess, method: 'normal' };
}

export interface SignTestResult {
  /** Number of non-zero differences used. */
  n: number;
  /** How many of them are positive. */
  positive: number;
  /** Two-sided p. */
  p: number;
  /** One-sided p for "the median difference is positive". */
  pGreater: number;
  /** One-sided p for "the median difference is negative". */
  pLess: number;
}

/**
 * P(X >= k) for X ~ Binomial(n, 1/2). Up to n = 1000 the binomial coefficients are summed as doubles and divided
 * by 2^n (exact integers up to n ≈ 55, the gate's range); above that in log space, so any n works.
 */
export function binomialHalfUpperTail(k: number, n: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (n <= 1000) {
    let c = 1;
    let sum = 0;
    for (let i = 0; i <= n; i++) {
      if (i >= k) sum += c;
      c = (c * (n - i)) / (i + 1);
    }
    return Math.min(1, sum / Math.pow(2, n));
  }
  let logTerm = -n * Math.LN2;
  const terms: number[] = [];
  for (let i = 0; i <= n; i++) {
    if (i >= k) terms.push(logTerm);
    logTerm += Math.log(n - i) - Math.log(i + 1);
  }
  const top = Math.max(...terms);
  return Math.min(1, Math.exp(top) * terms.reduce((a, t) => a + Math.exp(t - top), 0));
}

/**
 * The exact sign test of "the median of the differences is 0" (Hollander, Wolfe & Chicken 2014, §3.4;
 * Conover, Practical Nonparametric Statistics, 3rd ed., 1999, §3.4): the number of positive differences is
 * Binomial(n, 1/2) under the null, whatever the distribution of the differences, zeros dropped. It is the test
 * of the median, the test the median's confidence interval inverts. Unlike the signed-rank test it needs no
 * symmetry and gives an outlier no more weight than any other pair: a pair in which one side's repetition was
 * hit by a burst of load (ratios of −60% or +300% among pairs of +5%, as on this machine) counts once, as one
 * sign, where the signed-rank test gives it the largest rank. The smallest one-sided p with n pairs is 2^-n,
 * as for the signed-rank test.
 */
export function signTest(differences: readonly number[]): SignTestResult {
  const d = differences.filter((x) => Number.isFinite(x) && x !== 0);
  const n = d.length;
  const positive = d.filter((x) => x > 0).length;
  if (n === 0) return { n, positive, p: 1, pGreater: 1, pLess: 1 };
  const pGreater = binomialHalfUpperTail(positive, n);
  const pLess = binomialHalfUpperTail(n - positive, n);
  return { n, positive, p: Math.min(1, 2 * Math.min(pGreater, pLess)), pGreater, pLess };
}

/** The smallest one-sided p the exact signed-rank test or the sign test can reach with n pairs: 2^-n. */
export function smallestSignedRankP(n: number): number {
  return Math.pow(2, -n);
}

export type PairedDecision = 'regression' | 'improvement' | 'within' | 'undecided';

/**
 * Number of sign assignments of the ranks 1..n with W+ <= c, for every c: the null distribution of the
 * signed-rank statistic without ties (counts out of 2^n).
 */
function signedRankCounts(n: number): Float64Array {
  const total = (n * (n + 1)) / 2;
  const ways = new Float64Array(total + 1);
  ways[0] = 1;
  for (let r = 1; r <= n; r++) for (let s = total; s >= r; s--) ways[s]! += ways[s - r]!;
  return ways;
}

/**
 * The Hodges–Lehmann estimate of the paired change and its distribution-free confidence interval (Hodges &
 * Lehmann 1963; Hollander, Wolfe & Chicken 2014, §3.2–3.3): on the logs of the ratios, the median of the
 * n(n+1)/2 Walsh averages (x_i + x_j)/2, i <= j, and the interval between the (c+1)-th smallest and the
 * (c+1)-th largest of them, c the largest value with P(W+ <= c) <= (1 − level)/2 under the signed-rank null
 * (exact up to 60 pairs, the normal approximation above). It is the interval the signed-rank test inverts: its
 * lower end lies above log(1 + θ) exactly when the one-sided test of "the change is at most θ" rejects at
 * (1 − level)/2. Coverage is exact for any continuous distribution of the log ratios symmetric about their
 * centre (so exact under A/A, where baseline and candidate are exchangeable), and the estimator is about 95% as
 * efficient as the mean under normal noise, against 64% for the median: the same CI width needs ~1.5× fewer
 * pairs than the median's. Returned as ratios.
 */
export function hodgesLehmannRatioCI(ratios: readonly number[], level = 0.95): RatioInterval {
  const x = ratios.filter((r) => r > 0 && Number.isFinite(r)).map((r) => Math.log(r));
  const n = x.length;
  if (n === 0) return { ratio: NaN, low: NaN, high: NaN, n };
  const walsh: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) walsh.push((x[i]! + x[j]!) / 2);
  walsh.sort((a, b) => a - b);
  const N = walsh.length;
  const est = N % 2 ? walsh[N >> 1]! : (walsh[N / 2 - 1]! + walsh[N / 2]!) / 2;
  const tail = (1 - level) / 2;
  let c: number;
  if (n <= SIGNED_RANK_EXACT_MAX_N) {
    const ways = signedRankCounts(n);
    const all = Math.pow(2, n);
    c = -1;
    let cum = 0;
    for (let k = 0; k < ways.length; k++) {
      cum += ways[k]!;
      if (cum / all <= tail) c = k;
      else break;
    }
  } else {
    const mean = (n * (n + 1)) / 4;
    const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24);
    c = Math.floor(mean + normalQuantile(tail) * sd - 0.5);
  }
  // c = -1: too few pairs for this level; the interval is then everything the data can say (min..max)
  const low = c < 0 ? -Infinity : walsh[c]!;
  const high = c < 0 ? Infinity : walsh[N - 1 - c]!;
  return { ratio: Math.exp(est), low: Math.exp(low), high: Math.exp(high), n };
}

export interface PairedDecisionResult {
  decision: PairedDecision;
  /** The CI lies entirely beyond the threshold in the worse / the better direction. */
  worseBeyond: boolean;
  betterBeyond: boolean;
  ci: RatioInterval;
  /** One-sided sign-test p of "the median change is at most the threshold" in the worse direction (small = regression). */
  pWorse: number;
  /** The same in the better direction (small = improvement). */
  pBetter: number;
}

/**
 * The gate's decision on one metric of one case from its paired ratios candidate/baseline (the same function
 * decides when a case has enough pairs and what the verdict is, so they cannot disagree).
 * - regression: the whole 95% CI of the median ratio lies beyond 1 + threshold in the worse direction AND the
 *   one-sided sign test rejects "the median change is at most the threshold" (the logs shifted by
 *   log(1 ± threshold)) at alpha. The test is against the threshold, not against zero: a change smaller than
 *   the threshold is not a regression, however many pairs show it. The sign test, not the signed-rank test: the
 *   verdict is about the median, and this machine's pairs are heavy-tailed (see signTest).
 * - improvement: the mirror image.
 * - within: the CI's worse end lies inside the threshold: no regression beyond the threshold, with 95%
 *   confidence (more pairs would only narrow the CI around the same place).
 * - undecided: the CI reaches across the threshold; more pairs would tell.
 */
export function pairedDecision(
  ratios: readonly number[],
  o: { threshold: number; better: 'lower' | 'higher'; alpha: number; resamples?: number; seed?: number },
): PairedDecisionResult {
  const ci = pairedRatioCI(ratios, { resamples: o.resamples ?? 2000, seed: o.seed ?? 1 });
  const up = o.better === 'lower';
  const worse = up ? 1 + o.threshold : 1 - o.threshold;
  const better = up ? 1 - o.threshold : 1 + o.threshold;
  const logs = ratios.filter((r) => r > 0 && Number.isFinite(r)).map((r) => Math.log(r));
  const tWorse = signTest(logs.map((l) => l - Math.log(worse)));
  const tBetter = signTest(logs.map((l) => l - Math.log(better)));
  const pWorse = up ? tWorse.pGreater : tWorse.pLess;
  const pBetter = up ? tBetter.pLess : tBetter.pGreater;
  const worseBeyond = up ? ci.low > worse : ci.high < worse;
  const betterBeyond = up ? ci.high < better : ci.low > better;
  const worseInside = up ? ci.high < worse : ci.low > worse;
  let decision: PairedDecision = 'undecided';
  if (ratios.length >= 2 && worseBeyond && pWorse < o.alpha) decision = 'regression';
  else if (ratios.length >= 2 && betterBeyond && pBetter < o.alpha) decision = 'improvement';
  else if (ratios.length >= 2 && worseInside) decision = 'within';
  return { decision, ci, pWorse, pBetter, worseBeyond, betterBeyond };
}

/**
 * Holm's step-down adjustment (Holm 1979, "A simple sequentially rejective multiple test procedure"): the
 * adjusted p-values, in the input order; rejecting every adjusted p below alpha keeps the chance of any false
 * rejection among all the tests at most alpha, whatever their dependence.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
