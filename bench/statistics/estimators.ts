// Point estimators over small samples (one value per repetition). All pure; NaN for an empty sample.

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample standard deviation (n − 1). */
export function stdev(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) * (v - m);
  return Math.sqrt(s / (n - 1));
}

export function sortedCopy(values: readonly number[]): number[] {
  return Float64Array.from(values).sort() as unknown as number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Linear-interpolated quantile (type 7, the R/NumPy default) of sorted values, q in [0, 1]. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median absolute deviation, scaled by 1.4826 so that it estimates σ for normal data. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - m)));
}

/**
 * Symmetric trimmed mean: drop floor(trim·n) values at each end and average the rest (trim = 0.2 is Tukey's and
 * Wilcox's usual choice; trim = 0.5 tends to the median).
 */
export function trimmedMean(values: readonly number[], trim: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const g = Math.min(Math.floor(trim * n), Math.floor((n - 1) / 2));
  let sum = 0;
  for (let i = g; i < n - g; i++) sum += s[i]!;
  return sum / (n - 2 * g);
}

/** Regularized incomplete beta I_x(a, b) by the continued fraction (Numerical Recipes 2nd ed., §6.4). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbeta = lgamma(a + b) - lgamma(a) - lgamma(b);
  const front = Math.exp(lbeta + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betacf(x, a, b)) / a;
  return 1 - (front * betacf(1 - x, b, a)) / b;
}

function betacf(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-12) break;
  }
  return h;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
export function lgamma(x: number): number {
  const g = 7;
  const coef = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const xx = x - 1;
  let a = coef[0]!;
  const t = xx + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += coef[i]! / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Harrell–Davis quantile estimator (Harrell & Davis 1982, "A new distribution-free quantile estimator",
 * Biometrika 69:635–640): a weighted average of all order statistics with Beta((n+1)q, (n+1)(1−q)) weights.
 * For the small samples of repetitions it is markedly more efficient than the sample median (it uses every value,
 * not the middle one or two), while staying a quantile estimator.
 */
export function harrellDavis(values: readonly number[], q = 0.5): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (n === 1) return values[0]!;
  const s = Float64Array.from(values).sort();
  const a = (n + 1) * q;
  const b = (n + 1) * (1 - q);
  let est = 0;
  let prev = 0;
  for (let i = 1; i <= n; i++) {
    const cur = incompleteBeta(i / n, a, b);
    est += (cur - prev) * s[i - 1]!;
    prev = cur;
  }
  return est;
}

export type EstimatorName = 'median' | 'harrell-davis' | 'trimmed-mean-20' | 'mean';

export const ESTIMATORS: Record<EstimatorName, (values: readonly number[]) => number> = {
  median,
  'harrell-davis': (v) => harrellDavis(v, 0.5),
  'trimmed-mean-20': (v) => trimmedMean(v, 0.2),
  mean,
};
