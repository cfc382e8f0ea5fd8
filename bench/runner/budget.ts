// The time budget (`--budget 3m`): which cases get the next round of repetitions. Pure: the runner reports what
// it measured, this decides; no clocks, no I/O.
//
// Policy:
// 1. Every runnable case first gets --min-repetitions repetitions (the floor; a CI needs a few values).
// 2. Then, round after round, one more repetition for every case whose CI (95%, the median p50's, relative
//    half-width) is still wider than the target and that has not reached --repetitions. A round visits its cases
//    in matrix order, so repetitions stay interleaved across transports and cases as in a fixed-count run.
// 3. When the rest of the budget cannot pay for a whole round, the round is cut to the cases that need it most:
//    first the cases that can still make the target within the budget (projected by the 1/√n law from their
//    current width), widest relative to the target first; then the others, cheapest projected cost first.
// 4. The run ends when no case needs a repetition or the next one does not fit in the budget.

export interface CaseProgress {
  /** Index in the matrix order. */
  index: number;
  /** Repetitions measured so far. */
  n: number;
  /** Relative 95% CI half-width of the tracked estimate (Infinity while it cannot be told). */
  halfWidth: number;
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
  return target > 0 && c.n >= Math.max(2, minRepetitions) && c.halfWidth <= target;
}

/** Further repetitions the 1/√n law predicts before the half-width reaches the target (at least 1). */
export function projectedNeed(c: Pick<CaseProgress, 'n' | 'halfWidth'>, target: number): number {
  if (!Number.isFinite(c.halfWidth) || c.n < 2 || target <= 0) return Infinity;
  return Math.max(1, Math.ceil(c.n * (c.halfWidth / target) ** 2) - c.n);
}

/** The cases (matrix indices, in matrix order) of the next round; empty when the run is over. */
export function nextRound(cases: readonly CaseProgress[], o: BudgetOptions): number[] {
  const cost = (c: CaseProgress) => (c.repMs > 0 ? c.repMs : (o.defaultRepMs ?? 200));
  const live = cases.filter((c) => !c.finished && c.n < o.maxRepetitions);
  const floor = live.filter((c) => c.n < o.minRepetitions);
  // The floor is not cut by the budget: a case with fewer than the minimum is not a measurement.
  if (floor.length) return floor.map((c) => c.index).sort((a, b) => a - b);
  const wanted = live.filter((c) => !meetsTarget(c, o.target, o.minRepetitions));
  if (!wanted.length) return [];
  const total = wanted.reduce((a, c) => a + cost(c), 0);
  if (total <= o.remainingMs) return wanted.map((c) => c.index).sort((a, b) => a - b);
  const hopeful = (c: CaseProgress) => projectedNeed(c, o.target) * cost(c) <= o.remainingMs;
  const ranked = [...wanted].sort((a, b) => {
    const ha = hopeful(a);
    const hb = hopeful(b);
    if (ha !== hb) return ha ? -1 : 1;
    if (ha) return b.halfWidth / o.target - a.halfWidth / o.target || a.index - b.index;
    return projectedNeed(a, o.target) * cost(a) - projectedNeed(b, o.target) * cost(b) || a.index - b.index;
  });
  const picked: number[] = [];
  let left = o.remainingMs;
  for (const c of ranked) {
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
