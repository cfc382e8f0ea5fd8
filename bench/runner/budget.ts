// The time budget (`--budget 3m`): which cases get the next round of repetitions. Pure: the runner reports what
// it measured, this decides; no clocks, no I/O.
//
// Policy:
// 1. Every runnable case first gets one repetition, whatever the budget; then --min-repetitions (the floor; a CI
//    needs a few values), as far as the budget reaches, fewest repetitions first.
// 2. Then, round after round, one more repetition for every case whose CI (95%, the median p50's, relative
//    half-width) is still wider than the target and that has not reached --repetitions. A round visits its cases
//    in matrix order, so repetitions stay interleaved across transports and cases as in a fixed-count run.
// 3. Which cases: as many as the rest of the budget can bring to the target. Each wider case's cost to get there is
//    projected by the 1/√n law from its current width and its measured cost per repetition; the cheapest are
//    planned first while their sum fits (this maximises the number of cases that meet the target). The time the
//    plan does not need goes one repetition each to the other cases, cheapest projected first.
// 4. The run ends when no case needs a repetition or the next one does not fit in the budget.

import { MIN_REPETITIONS_FOR_TARGET } from '../case-precision.js';

export interface CaseProgress {
  /** Index in the matrix order. */
  index: number;
  /** Repetitions measured so far. */
  n: number;
  /** Relative 95% CI half-width of the tracked estimate (Infinity while it cannot be told). */
  halfWidth: number;
  /**
   * Robust relative spread of its repetitions (1.4826 × MAD / median of their p50s; undefined: not known). With
   * a few repetitions the interval of a median is their whole range, so one outlier makes it wide; the spread of
   * the others says what more repetitions will buy.
   */
  spread?: number;
  /** Mean wall-clock milliseconds one of its repetitions took (0 = not known yet). */
  repMs: number;
  /** Errored, skipped, unavailable: never scheduled again. */
  finished: boolean;
}

export interface BudgetOptions {
  /** Relative half-width target (0.02 = ±2%); 0 = never satisfied (spend the budget). */
  target: number;
  minRepetitions: number;
  maxRepetitions: number;
  /** Milliseconds of budget left. */
  remainingMs: number;
  /** Cost assumed for a repetition of a case not measured yet. */
  defaultRepMs?: number;
}

export function meetsTarget(c: Pick<CaseProgress, 'n' | 'halfWidth'>, target: number, minRepetitions: number): boolean {
  return target > 0 && c.n >= Math.max(MIN_REPETITIONS_FOR_TARGET, minRepetitions) && c.halfWidth <= target;
}

/**
 * Further repetitions before the half-width reaches the target (at least 1, and at least up to the five a target
 * needs): the 1/√n law from the current width, or, when the robust spread predicts fewer, from that spread — the
 * median's large-sample half-width is 1.96 × 1.2533 × σ/√n (normal σ estimated by 1.4826 × MAD), which a minority of
 * outliers does not move. The plan is redone every round, so an optimistic projection costs one round.
 */
export function projectedNeed(c: Pick<CaseProgress, 'n' | 'halfWidth' | 'spread'>, target: number): number {
  if (!Number.isFinite(c.halfWidth) || c.n < 2 || target <= 0) return Infinity;
  const byWidth = Math.ceil(c.n * (c.halfWidth / target) ** 2);
  const bySpread = c.spread !== undefined && Number.isFinite(c.spread) ? Math.ceil(((1.96 * 1.2533 * c.spread) / target) ** 2) : Infinity;
  return Math.max(1, MIN_REPETITIONS_FOR_TARGET - c.n, Math.min(byWidth, bySpread) - c.n);
}

/** The cases (matrix indices, in matrix order) of the next round; empty when the run is over. */
export function nextRound(cases: readonly CaseProgress[], o: BudgetOptions): number[] {
  const cost = (c: CaseProgress) => (c.repMs > 0 ? c.repMs : (o.defaultRepMs ?? 200));
  const live = cases.filter((c) => !c.finished && c.n < o.maxRepetitions);
  // Every case gets its first repetition whatever the budget (a case without one would not be in the result).
  const first = live.filter((c) => c.n === 0);
  if (first.length) return first.map((c) => c.index);
  // Then the floor, which the budget does cut (the wall time is the budget): fewest repetitions first.
  const floor = live.filter((c) => c.n < o.minRepetitions);
  if (floor.length) {
    const picked: number[] = [];
    let left = o.remainingMs;
    for (const c of [...floor].sort((a, b) => a.n - b.n || a.index - b.index)) {
      if (cost(c) > left) continue;
      picked.push(c.index);
      left -= cost(c);
    }
    return picked.sort((a, b) => a - b);
  }
  const wanted = live.filter((c) => !meetsTarget(c, o.target, o.minRepetitions));
  if (!wanted.length) return [];
  // Resolve as many cases as the budget can: the plan is the cases whose projected cost to reach the target
  // (further repetitions by the 1/√n law × cost of one) fits in what is left, cheapest first — a knapsack of
  // unit values, which this greedy order solves for the count. What the plan does not need (the slack) goes one
  // repetition each to the other cases, cheapest projected first, so their figures still improve. Re-planned
  // every round from the widths measured so far.
  const projected = (c: CaseProgress) => projectedNeed(c, o.target) * cost(c);
  const ranked = [...wanted].sort((a, b) => projected(a) - projected(b) || a.index - b.index);
  const picked: number[] = [];
  let left = o.remainingMs;
  const rest: CaseProgress[] = [];
  for (const c of ranked) {
    if (projected(c) <= left) {
      picked.push(c.index);
      left -= projected(c);
    } else rest.push(c);
  }
  for (const c of rest) {
    if (cost(c) > left) continue;
    picked.push(c.index);
    left -= cost(c);
  }
  return picked.sort((a, b) => a - b);
}

/** "3m", "90s", "2m30s", "500ms", "0" (off) -> milliseconds. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === '0' || t === 'off' || t === 'none') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    const v = Number(m[1]);
    total += v * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  if (consumed !== t.length || consumed === 0) {
    if (/^\d+$/.test(t)) return Number(t) * 1000; // bare number = seconds
    return undefined;
  }
  return Math.round(total);
}
