// One repetition's per-operation latencies as an empirical distribution (distinct values with counts), built
// from the HDR histogram the native side recorded. The hierarchical bootstrap draws "the p50 this repetition
// would have shown with another sample of its operations" from it.
import * as hdr from 'hdr-histogram-js';
import { betaDeviate, type Rand } from './random.js';

export interface EmpiricalDistribution {
  /** Distinct values, ascending. */
  values: Float64Array;
  /** cumulative[i] = number of observations <= values[i]; cumulative[last] = total. */
  cumulative: Float64Array;
  total: number;
}

export function distributionOf(values: readonly number[], counts: readonly number[]): EmpiricalDistribution {
  if (values.length !== counts.length) throw new RangeError('values and counts differ in length');
  const order = values
    .map((v, i) => [v, counts[i]!] as const)
    .filter(([, c]) => c > 0)
    .sort((a, b) => a[0] - b[0]);
  const out = { values: new Float64Array(order.length), cumulative: new Float64Array(order.length), total: 0 };
  let run = 0;
  order.forEach(([v, c], i) => {
    run += c;
    out.values[i] = v;
    out.cumulative[i] = run;
  });
  out.total = run;
  return out;
}

/** From raw observations (tests, synthetic data). */
export function distributionFromSamples(samples: readonly number[]): EmpiricalDistribution {
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  return distributionOf([...counts.keys()], [...counts.values()]);
}

/**
 * From a compressed HDR histogram (the result file's `latency.histogram`). Each bucket is represented by its
 * highest equivalent value, as the native percentiles are, so the distribution's p50 equals the recorded p50.
 */
export function distributionFromHdr(compressedBase64: string): EmpiricalDistribution {
  const h = hdr.decodeFromCompressedBase64(compressedBase64, 64, false) as unknown as hdr.Histogram & {
    countsArrayLength: number;
    getCountAtIndex(i: number): number;
    valueFromIndex(i: number): number;
    highestEquivalentValue(v: number): number;
  };
  const values: number[] = [];
  const counts: number[] = [];
  try {
    for (let i = 0; i < h.countsArrayLength; i++) {
      const c = h.getCountAtIndex(i);
      if (c > 0) {
        values.push(h.highestEquivalentValue(h.valueFromIndex(i)));
        counts.push(c);
      }
    }
  } finally {
    h.destroy();
  }
  return distributionOf(values, counts);
}

/** The smallest value whose cumulative share reaches p (0 < p <= 1): the "nearest rank" quantile. */
export function quantileOf(d: EmpiricalDistribution, p: number): number {
  if (d.total === 0) return NaN;
  const wanted = Math.max(1, Math.ceil(p * d.total - 1e-9));
  let lo = 0;
  let hi = d.values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (d.cumulative[mid]! >= wanted) hi = mid;
    else lo = mid + 1;
  }
  return d.values[lo]!;
}

/**
 * The q-quantile of a fresh sample of d.total draws from d, drawn in O(log n): the k-th order statistic of n
 * uniform draws is Beta(k, n + 1 − k), and pushing it through the empirical quantile function gives the k-th
 * order statistic of the resample (the inverse-transform argument; e.g. David & Nagaraja, Order Statistics,
 * 3rd ed., 2003, §2.1). This is exactly what resampling all n operations and taking their q-quantile would give,
 * without touching n values.
 */
export function resampledQuantile(d: EmpiricalDistribution, q: number, rand: Rand): number {
  const n = d.total;
  if (n === 0) return NaN;
  const k = Math.min(n, Math.max(1, Math.ceil(q * n)));
  const u = betaDeviate(rand, k, n + 1 - k);
  return quantileOf(d, Math.max(u, 1 / n));
}
