// Percentile-bootstrap confidence intervals (Efron & Tibshirani, An Introduction to the Bootstrap, 1993, ch. 13),
// flat over repetitions and hierarchical over repetitions and the operations inside each repetition.
import type { EmpiricalDistribution } from './distribution.js';
import { resampledQuantile } from './distribution.js';
import { median, quantileSorted } from './estimators.js';
import { mulberry32, randomIndex } from './random.js';

export interface Interval {
  /** The point estimate (named median for the result schema; it is the chosen estimator's value). */
  median: number;
  low: number;
  high: number;
  n: number;
}

/** The (1−level)/2 and (1+level)/2 quantiles of bootstrap replicates. */
export function percentileInterval(replicates: ArrayLike<number>, level: number): { low: number; high: number } {
  const finite = Array.from(replicates).filter(Number.isFinite);
  if (finite.length === 0) return { low: NaN, high: NaN };
  const s = Float64Array.from(finite).sort();
  return { low: quantileSorted(s, (1 - level) / 2), high: quantileSorted(s, (1 + level) / 2) };
}

export interface BootstrapOptions {
  level?: number;
  resamples?: number;
  seed?: number;
}

/** Percentile-bootstrap CI of any estimator over the values (resampled with replacement). */
export function bootstrapCI(values: readonly number[], estimator: (v: readonly number[]) => number, o: BootstrapOptions = {}): Interval {
  const { level = 0.95, resamples = 2000, seed = 1 } = o;
  const n = values.length;
  if (n === 0) return { median: NaN, low: NaN, high: NaN, n: 0 };
  const est = estimator(values);
  if (n === 1) return { median: est, low: est, high: est, n };
  const rand = mulberry32(seed);
  const reps = new Float64Array(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[randomIndex(rand, n)]!;
    reps[b] = estimator(sample);
  }
  return { median: est, ...percentileInterval(reps, level), n };
}

/** The median with its percentile-bootstrap CI (ipcbench's original per-metric summary). */
export function bootstrapMedianCI(values: readonly number[], level = 0.95, resamples = 2000, seed = 1): Interval {
  return bootstrapCI(values, median, { level, resamples, seed });
}

export interface RepetitionSample {
  /** The repetition's own estimate (e.g. its p50). */
  value: number;
  /** Its per-operation distribution; without it the repetition contributes its value unchanged. */
  distribution?: EmpiricalDistribution;
}

/**
 * Two-level (hierarchical) bootstrap: resample the repetitions with replacement, then, inside each drawn
 * repetition, resample its operations (as its q-quantile of a fresh multinomial sample of its histogram), and
 * apply the estimator across repetitions. The first level carries the between-repetition variance (peer
 * processes, placement, machine state), the second the within-repetition sampling noise; resampling both is the
 * standard estimator of the variance of a two-stage sample (Davison & Hinkley, Bootstrap Methods and their
 * Application, 1997, §3.8; Saravanan et al. 2020, "Application of the hierarchical bootstrap to multi-level
 * data in neuroscience", NBDC 3:5). Its interval is never narrower than the flat one in expectation.
 */
export function hierarchicalBootstrapCI(
  reps: readonly RepetitionSample[],
  estimator: (v: readonly number[]) => number,
  o: BootstrapOptions & { quantile?: number } = {},
): Interval {
  const { level = 0.95, resamples = 2000, seed = 1, quantile = 0.5 } = o;
  const n = reps.length;
  if (n === 0) return { median: NaN, low: NaN, high: NaN, n: 0 };
  const est = estimator(reps.map((r) => r.value));
  const rand = mulberry32(seed);
  const out = new Float64Array(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const r = reps[n === 1 ? 0 : randomIndex(rand, n)]!;
      sample[i] = r.distribution && r.distribution.total > 0 ? resampledQuantile(r.distribution, quantile, rand) : r.value;
    }
    out[b] = estimator(sample);
  }
  return { median: est, ...percentileInterval(out, level), n };
}

/** Half-width of the interval relative to the estimate (0.02 = ±2%); Infinity when it cannot be told. */
export function relativeHalfWidth(ci: Pick<Interval, 'median' | 'low' | 'high'>): number {
  if (!Number.isFinite(ci.median) || ci.median === 0 || !Number.isFinite(ci.low) || !Number.isFinite(ci.high)) return Infinity;
  return (ci.high - ci.low) / 2 / Math.abs(ci.median);
}
