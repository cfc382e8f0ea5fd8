// Change points in a history of runs (`ipcbench trend`): is the series stable, did it step at one run, or is it
// drifting? Works on log values so that changes are relative.
//
// Segmentation: PELT (Killick, Fearnhead & Eckley 2012, "Optimal detection of changepoints with a linear
// computational cost", JASA 107:1590) with the normal mean-change cost Σ(y − ȳ_segment)² / σ² and a penalty β per
// change point. σ comes from the data (a robust scale of the first differences, never below the runs' own
// standard errors), β = 5·ln(n) by default (BIC would be 2·ln n; on simulated 1%-noise histories of 20 runs 5·ln n gives
// 0.7% false change points and still finds 99% of 4% steps: see changepoint.test.ts; stated, so a
// reader can redo it).
// Classification: the best segmentation is weighed against a straight line through all runs (a slow drift) and a
// constant by the same penalised cost; the smallest wins.
import { mad, mean, median } from './estimators.js';

/**
 * σ of one run from the differences of neighbours: a step shows up as one outlying difference and a slow drift
 * as a shifted centre, so the differences are centred on their median, the largest one is left out (one step),
 * and their standard deviation / √2 is σ. Never below MAD/√2 (the fully robust but less efficient scale).
 */
export function scaleFromDifferences(diffs: readonly number[]): number {
  if (diffs.length < 2) return NaN;
  const c = median(diffs);
  const dev = diffs.map((d) => d - c).sort((a, b) => Math.abs(a) - Math.abs(b));
  const kept = dev.length > 3 ? dev.slice(0, -1) : dev;
  const sd = Math.sqrt(kept.reduce((a, x) => a + x * x, 0) / Math.max(1, kept.length - 1));
  return Math.max(sd, mad(diffs)) / Math.SQRT2;
}

export interface Segmentation {
  /** Indices where a new segment starts (exclusive of 0). */
  changePoints: number[];
  cost: number;
}

function segmentCost(prefix: Float64Array, prefix2: Float64Array, a: number, b: number): number {
  // Σ (y − ȳ)² over y[a..b) = Σy² − (Σy)²/len
  const len = b - a;
  const s = prefix[b]! - prefix[a]!;
  const s2 = prefix2[b]! - prefix2[a]!;
  return s2 - (s * s) / len;
}

/** PELT for changes in the mean of y with known scale sigma and penalty beta (min segment length minSeg). */
export function pelt(y: readonly number[], sigma: number, beta: number, minSeg = 1): Segmentation {
  const n = y.length;
  if (n === 0) return { changePoints: [], cost: 0 };
  const inv = 1 / (sigma * sigma);
  const prefix = new Float64Array(n + 1);
  const prefix2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    prefix[i + 1] = prefix[i]! + y[i]!;
    prefix2[i + 1] = prefix2[i]! + y[i]! * y[i]!;
  }
  const F = new Float64Array(n + 1);
  const last = new Int32Array(n + 1);
  F[0] = -beta;
  let candidates = [0];
  for (let t = 1; t <= n; t++) {
    let best = Infinity;
    let arg = 0;
    const values = candidates.map((s) => (t - s < minSeg ? Infinity : F[s]! + segmentCost(prefix, prefix2, s, t) * inv + beta));
    values.forEach((v, i) => {
      if (v < best) {
        best = v;
        arg = candidates[i]!;
      }
    });
    F[t] = best;
    last[t] = arg;
    // pruning (the PELT condition): s can never be optimal later once F[s] + C(s..t) > F[t]; candidates still
    // too close to t to close a segment are kept
    candidates = candidates.filter((_s, i) => values[i] === Infinity || values[i]! - beta <= best);
    candidates.push(t);
  }
  const cps: number[] = [];
  for (let t = n; t > 0; t = last[t]!) if (last[t]! > 0) cps.push(last[t]!);
  cps.reverse();
  return { changePoints: cps, cost: F[n]! };
}

export type TrendKind = 'stable' | 'step' | 'drift' | 'too-short';

export interface TrendAnalysis {
  kind: TrendKind;
  n: number;
  /** Step: indices of the first run after each change, and the relative change of each step. */
  steps: { at: number; change: number }[];
  /** Drift: relative change per run (the slope of the log line), and over the whole history. */
  perRun?: number;
  total?: number;
  sigma: number;
  /** Penalised costs of the three models, for the curious. */
  costs: { constant: number; line: number; segments: number };
}

/**
 * Classify a history of values (e.g. the median p50 of one case in each run, oldest first). `se` are the runs'
 * own relative standard errors when known (e.g. CI half-width / 1.96); they keep σ from being estimated below
 * what each run could resolve.
 */
export function analyzeTrend(values: readonly number[], o: { se?: readonly number[]; beta?: number; minSigma?: number } = {}): TrendAnalysis {
  const y = values.map((v) => Math.log(v));
  const n = y.length;
  if (n < 3 || y.some((v) => !Number.isFinite(v))) return { kind: 'too-short', n, steps: [], sigma: NaN, costs: { constant: NaN, line: NaN, segments: NaN } };
  const beta = o.beta ?? 5 * Math.log(n);
  const diffs = y.slice(1).map((v, i) => v - y[i]!);
  const seFloor = o.se?.length ? Math.min(...o.se.filter((s) => s > 0)) : 0;
  const sigma = Math.max(scaleFromDifferences(diffs), Number.isFinite(seFloor) ? seFloor : 0, o.minSigma ?? 1e-4);
  const inv = 1 / (sigma * sigma);
  const ym = mean(y);
  const constant = y.reduce((a, v) => a + (v - ym) ** 2, 0) * inv;
  // least-squares line
  const xm = (n - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - xm) * (y[i]! - ym);
    sxx += (i - xm) ** 2;
  }
  const slope = sxy / sxx;
  let lineRss = 0;
  for (let i = 0; i < n; i++) lineRss += (y[i]! - (ym + slope * (i - xm))) ** 2;
  const line = lineRss * inv + beta; // one extra parameter, priced like one change point
  const seg = pelt(y, sigma, beta, 1);
  const segments = seg.cost; // includes β per change point (F[0] = −β cancels the first segment's)
  const costs = { constant, line, segments };
  const best = Math.min(constant, line, segments);
  if (best === constant || (seg.changePoints.length === 0 && best !== line)) return { kind: 'stable', n, steps: [], sigma, costs };
  if (best === line && line < segments) {
    const perRun = Math.exp(slope) - 1;
    return { kind: 'drift', n, steps: [], perRun, total: Math.exp(slope * (n - 1)) - 1, sigma, costs };
  }
  const bounds = [0, ...seg.changePoints, n];
  const means = bounds.slice(0, -1).map((a, i) => mean(y.slice(a, bounds[i + 1])));
  const steps = seg.changePoints.map((at, i) => ({ at, change: Math.exp(means[i + 1]! - means[i]!) - 1 }));
  return { kind: 'step', n, steps, sigma, costs };
}
