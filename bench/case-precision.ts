// How precisely a case's median latency is known: the 95% CI of the median over repetitions of their p50, by the
// hierarchical bootstrap (repetitions, then the operations inside each repetition's histogram; see
// docs/statistics.md for why this estimator and interval). The same function feeds the time budget, the
// "missed target" flag, the table and the report, so they can never disagree.
import type { Repetition } from './result.js';
import { distributionFromHdr, hierarchicalBootstrapCI, median, relativeHalfWidth, type EmpiricalDistribution, type Interval } from './statistics/index.js';

const decoded = new WeakMap<Repetition, EmpiricalDistribution | null>();

/** The repetition's latency distribution (decoded once and cached), or null without a histogram. */
export function repetitionDistribution(r: Repetition): EmpiricalDistribution | null {
  let d = decoded.get(r);
  if (d === undefined) {
    try {
      d = r.latency.histogram && r.latency.count > 0 ? distributionFromHdr(r.latency.histogram) : null;
    } catch {
      d = null; // a histogram that does not decode: the repetition counts with its p50 alone
    }
    decoded.set(r, d);
  }
  return d;
}

/**
 * The repetitions a case's estimates are made of: all but those set aside (started in an off-speed stretch of the
 * machine), unless that would leave none.
 */
export function countedRepetitions(reps: readonly Repetition[]): readonly Repetition[] {
  const kept = reps.filter((r) => !r.setAside);
  return kept.length ? kept : reps;
}

/** Median over the counted repetitions of their p50, with the hierarchical-bootstrap 95% CI. */
export function p50Interval(reps: readonly Repetition[], seed: number, resamples = 1000): Interval {
  const samples = countedRepetitions(reps)
    .filter((r) => Number.isFinite(r.latency.p50) && r.latency.count > 0)
    .map((r) => ({ value: r.latency.p50, distribution: repetitionDistribution(r) ?? undefined }));
  if (samples.length < 2) {
    const m = median(samples.map((s) => s.value));
    return { median: m, low: NaN, high: NaN, n: samples.length };
  }
  return hierarchicalBootstrapCI(samples, median, { seed, resamples, level: 0.95 });
}

/**
 * The fewest repetitions with which a case can meet a precision target. The percentile interval of a median of n
 * values is at best [min, max], which holds the true median with probability 1 - 2 * 2^-n whatever their
 * distribution: 75% for 3 repetitions, 87.5% for 4, 93.75% for 5 (docs/statistics.md, "Five repetitions"). Below 5
 * an interval called 95% would be one that misses a quarter of the time.
 */
export const MIN_REPETITIONS_FOR_TARGET = 5;

export interface CasePrecision {
  metric: 'p50';
  /** Relative half-width target (0.02 = ±2%). */
  target: number;
  /** Relative 95% CI half-width achieved (Infinity is stored as null in JSON: fewer than 2 repetitions). */
  halfWidth: number | null;
  low: number | null;
  high: number | null;
  met: boolean;
}

export function precisionOf(reps: readonly Repetition[], target: number, seed: number, minRepetitions = MIN_REPETITIONS_FOR_TARGET): CasePrecision {
  const ci = p50Interval(reps, seed);
  const hw = relativeHalfWidth(ci);
  const finite = Number.isFinite(hw);
  return {
    metric: 'p50',
    target,
    halfWidth: finite ? hw : null,
    low: Number.isFinite(ci.low) ? ci.low : null,
    high: Number.isFinite(ci.high) ? ci.high : null,
    met: finite && ci.n >= Math.max(MIN_REPETITIONS_FOR_TARGET, minRepetitions) && hw <= target,
  };
}

/** "±2%" for 0.02. */
export function formatTarget(target: number): string {
  const p = target * 100;
  return `±${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)}%`;
}
