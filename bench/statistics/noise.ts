// The run-level noise model: how much one whole run's result moves from the next run's on the same machine,
// beyond what the repetitions inside one run can see (the machine is slower this hour, the peer landed on a
// different physical core, the page cache is colder). Calibrated from A/A pairs (`ipcbench calibrate`): two runs
// of identical code, per case and metric the log ratio of their medians.
//
// Model: log(median of a run) = log(true value) + e, e ~ N(0, σ²) independently per run (σ² holds the
// between-run and the remaining within-run variance). The log ratio of an A/A pair is then N(0, 2σ²). From k
// pairs, σ̂² = Σ ℓ² / (2k) (the mean is 0 by construction), and an upper confidence bound
// σ_up = σ̂ · sqrt(k / χ²_{1−c}(k)) (the usual chi-square interval for a normal variance, e.g. NIST/SEMATECH
// e-Handbook §7.2.3.1). The threshold floor is the change an A/A pair exceeds with probability 1 − level:
// floor = exp(z_{(1+level)/2} · √2 · σ_up) − 1.
import { normalQuantile } from './normal.js';

export interface NoiseEstimate {
  /** A/A pairs behind it. */
  pairs: number;
  /** σ̂ of one run's log median. */
  sigma: number;
  /** Upper confidence bound of σ. */
  sigmaUpper: number;
  /** The relative change an A/A pair exceeds with probability 1 − level (0.03 = 3%). */
  floor: number;
  /** Largest |ratio − 1| seen among the pairs. */
  worstSeen: number;
}

/** Chi-square quantile by the Wilson–Hilferty cube approximation (good to a few % for k >= 2). */
export function chiSquareQuantile(p: number, k: number): number {
  const z = normalQuantile(p);
  const a = 2 / (9 * k);
  return Math.max(1e-12, k * Math.pow(1 - a + z * Math.sqrt(a), 3));
}

export function noiseFromLogRatios(logRatios: readonly number[], o: { level?: number; confidence?: number } = {}): NoiseEstimate {
  const { level = 0.99, confidence = 0.9 } = o;
  const l = logRatios.filter(Number.isFinite);
  const k = l.length;
  if (k === 0) return { pairs: 0, sigma: NaN, sigmaUpper: NaN, floor: NaN, worstSeen: NaN };
  const sigma = Math.sqrt(l.reduce((a, x) => a + x * x, 0) / (2 * k));
  const sigmaUpper = sigma * Math.sqrt(k / chiSquareQuantile(1 - confidence, k));
  const z = normalQuantile((1 + level) / 2);
  const floor = Math.exp(z * Math.SQRT2 * sigmaUpper) - 1;
  const worstSeen = Math.max(...l.map((x) => Math.abs(Math.exp(x) - 1)));
  return { pairs: k, sigma, sigmaUpper, floor: Math.max(floor, worstSeen), worstSeen };
}
