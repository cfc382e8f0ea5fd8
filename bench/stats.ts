// Statistics over repetitions. Per-operation percentiles come from the native HDR histograms; this file only
// summarises per-repetition values (one number per fresh peer process), which are what vary between runs.

/** Deterministic PRNG (mulberry32) so that a bootstrap CI is reproducible for the same data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Linear-interpolated quantile (type 7, the R/NumPy default) of sorted values, q in [0, 1]. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Interval {
  median: number;
  low: number;
  high: number;
  n: number;
}

/**
 * Median with a percentile-bootstrap confidence interval (Efron & Tibshirani 1993, ch. 13): resample the
 * repetitions with replacement B times, take the median of each resample, report the (1-level)/2 and
 * (1+level)/2 quantiles of those medians. With few repetitions the interval is honest about how little is known
 * (n = 1 gives low = high = the value and the caller should not claim precision).
 */
export function bootstrapMedianCI(values: readonly number[], level = 0.95, resamples = 2000, seed = 1): Interval {
  const n = values.length;
  if (n === 0) return { median: NaN, low: NaN, high: NaN, n: 0 };
  const m = median(values);
  if (n === 1) return { median: m, low: m, high: m, n };
  const rand = mulberry32(seed);
  const meds = new Float64Array(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(rand() * n)]!;
    meds[b] = median(sample);
  }
  const sorted = Array.from(meds).sort((a, b) => a - b);
  return {
    median: m,
    low: quantileSorted(sorted, (1 - level) / 2),
    high: quantileSorted(sorted, (1 + level) / 2),
    n,
  };
}

/** Half-width of the interval relative to the median (0.02 = ±2%). */
export function relativeHalfWidth(ci: Interval): number {
  if (!Number.isFinite(ci.median) || ci.median === 0) return Infinity;
  return (ci.high - ci.low) / 2 / Math.abs(ci.median);
}
