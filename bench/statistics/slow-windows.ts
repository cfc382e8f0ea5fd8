// SPDX-License-Identifier: MIT
// Stretches of a run in which the whole machine was off its typical speed (docs/statistics.md, "Off-speed
// stretches"). On the shared VMs this suite runs on, the CPU itself slows (or speeds up) by 10-30% for 10-20 s at a
// time (CPU time per operation moves with the latency: it is not scheduling), and every case measured then moves
// alike. A repetition's p50 is compared with its own case's median; the run is cut into bins of binMs by when each
// repetition started; a bin in which the median of those deviations, over all the cases measured in it, is beyond
// ±threshold is an off-speed stretch. Both directions: setting aside only the slow ones would bias every estimate
// towards the fast ones. The verdict is machine-wide (many cases, never one case's own outcome) and fixed in
// advance, so setting those repetitions aside does not select on any case's result; the run repeats them and
// reports what it set aside.
// Pure: no clocks, no I/O.
import { median } from './estimators.js';

export interface TimedValue {
  /** Which case (the deviation is from that case's median). */
  caseIndex: number;
  /** When the repetition started, ms from the start of the run. */
  startMs: number;
  /** The repetition's p50 (any positive number whose ratios mean something). */
  value: number;
}

export interface SlowWindowOptions {
  /** Width of a bin (ms). */
  binMs: number;
  /** A bin is off-speed when its median relative deviation is beyond ± this (0.1 = 10% slower or faster). */
  threshold: number;
  /** Fewest repetitions a bin needs to be judged. */
  minPerBin: number;
  /** Fewest repetitions a case needs before its median is a reference. */
  minPerCase: number;
}

export const SLOW_WINDOW_DEFAULTS: SlowWindowOptions = { binMs: 5000, threshold: 0.1, minPerBin: 8, minPerCase: 3 };

export interface SlowWindow {
  fromMs: number;
  toMs: number;
  /** Median relative deviation of its repetitions (0.25 = the cases were 25% slower, -0.2 = 20% faster; merged bins: their mean, weighted by repetitions). */
  effect: number;
  repetitions: number;
}

/**
 * The off-speed stretches of a run, merged where bins of the same direction touch. Two passes: the second measures
 * the deviations from case medians that leave the first pass's off-speed repetitions out (a case with many of them
 * had its median pulled towards them).
 */
export function slowWindows(values: readonly TimedValue[], o: SlowWindowOptions = SLOW_WINDOW_DEFAULTS): SlowWindow[] {
  let slow = new Set<number>();
  let windows: SlowWindow[] = [];
  for (let pass = 0; pass < 2; pass++) {
    const byCase = new Map<number, number[]>();
    values.forEach((v, i) => {
      if (slow.has(i) || !(v.value > 0)) return;
      byCase.set(v.caseIndex, [...(byCase.get(v.caseIndex) ?? []), v.value]);
    });
    const ref = new Map<number, number>();
    for (const [c, xs] of byCase) if (xs.length >= o.minPerCase) ref.set(c, median(xs));
    const bins = new Map<number, { dev: number[]; idx: number[] }>();
    values.forEach((v, i) => {
      const m = ref.get(v.caseIndex);
      if (m === undefined || !(v.value > 0)) return;
      const b = Math.floor(v.startMs / o.binMs);
      const bin = bins.get(b) ?? { dev: [], idx: [] };
      bin.dev.push(v.value / m - 1);
      bin.idx.push(i);
      bins.set(b, bin);
    });
    const flagged = [...bins].filter(([, bin]) => bin.dev.length >= o.minPerBin && Math.abs(median(bin.dev)) > o.threshold).sort((a, b) => a[0] - b[0]);
    slow = new Set(flagged.flatMap(([, bin]) => bin.idx));
    windows = [];
    for (const [b, bin] of flagged) {
      const last = windows[windows.length - 1];
      const w = { fromMs: b * o.binMs, toMs: (b + 1) * o.binMs, effect: median(bin.dev), repetitions: bin.dev.length };
      if (last && last.toMs === w.fromMs && Math.sign(last.effect) === Math.sign(w.effect)) {
        last.effect = (last.effect * last.repetitions + w.effect * w.repetitions) / (last.repetitions + w.repetitions);
        last.toMs = w.toMs;
        last.repetitions += w.repetitions;
      } else windows.push(w);
    }
  }
  return windows;
}

/** Whether a repetition that started at startMs lies in one of the windows. */
export function inWindows(startMs: number | undefined, windows: readonly SlowWindow[]): boolean {
  return startMs !== undefined && windows.some((w) => startMs >= w.fromMs && startMs < w.toMs);
}
