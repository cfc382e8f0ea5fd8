// The budgeted repetition loop (`--budget`, the default): rounds of repetitions over the whole matrix, each
// round chosen by bench/budget.ts from the precision every case has reached so far, until every case meets the
// target or the budget is spent. The runner supplies how one repetition of one case is run (the executor); this
// file only decides what runs next and keeps the books.
import { nextRound, type CaseProgress } from './budget.js';
import { countedRepetitions, MIN_REPETITIONS_FOR_TARGET, p50Interval } from '../case-precision.js';
import type { Repetition } from '../result.js';
import { mad, median, relativeHalfWidth } from '../statistics/index.js';

export type RepOutcome = { ok: true; rep: Repetition } | { ok: false; reason: string };

export interface BudgetedCase {
  /** Measured repetitions so far (appended by the loop). */
  repetitions: Repetition[];
  /** Set when the case must not run again (errored, skipped, unavailable). */
  finished: boolean;
  /** Wall-clock milliseconds spent in this case's repetitions. */
  spentMs: number;
}

export interface BudgetedLoopOptions {
  budgetMs: number;
  target: number;
  minRepetitions: number;
  maxRepetitions: number;
  seed: number;
  signal: AbortSignal;
  now: () => number;
  /** Run repetition `repIndex` of case `caseIndex`. A failed repetition finishes the case (the executor says why). */
  run: (caseIndex: number, repIndex: number) => Promise<RepOutcome>;
  /** After every repetition and every round (progress, saving; the runner marks off-speed stretches there). */
  onRepetition?: (caseIndex: number) => void;
  onRound?: (round: number, planned: number) => Promise<void>;
}

export interface BudgetedLoopResult {
  rounds: number;
  elapsedMs: number;
  /** The budget ran out while some case still wanted repetitions. */
  budgetExhausted: boolean;
}

/** 1.4826 × MAD / median of the values (undefined below 3 values or a median of 0). */
export function robustSpread(values: readonly number[]): number | undefined {
  const ok = values.filter(Number.isFinite);
  if (ok.length < 3) return undefined;
  const m = median(ok);
  if (!(m > 0)) return undefined;
  return mad(ok) / m;
}

export async function runBudgetedLoop(cases: BudgetedCase[], o: BudgetedLoopOptions): Promise<BudgetedLoopResult> {
  const start = o.now();
  const width = cases.map(() => Infinity);
  const spread: (number | undefined)[] = cases.map(() => undefined);
  // n and the width count the repetitions that were not set aside (started in an off-speed stretch of the machine), so
  // a case that lost some gets them again as far as the budget goes
  const counted = (i: number) => countedRepetitions(cases[i]!.repetitions).length;
  const setAside = (i: number) => cases[i]!.repetitions.map((r) => (r.setAside ? 1 : 0)).join('');
  const judged = cases.map(() => '');
  const update = (i: number) => {
    width[i] = counted(i) >= 2 ? relativeHalfWidth(p50Interval(cases[i]!.repetitions, o.seed + i, 500)) : Infinity;
    spread[i] = robustSpread(countedRepetitions(cases[i]!.repetitions).map((r) => r.latency.p50));
    judged[i] = setAside(i);
  };
  let rounds = 0;
  for (;;) {
    if (o.signal.aborted) break;
    const progress: CaseProgress[] = cases.map((c, index) => ({
      index,
      n: counted(index),
      halfWidth: width[index]!,
      spread: spread[index],
      repMs: c.repetitions.length ? c.spentMs / c.repetitions.length : 0,
      finished: c.finished,
    }));
    const known = progress.filter((p) => p.repMs > 0);
    const defaultRepMs = known.length ? known.reduce((a, p) => a + p.repMs, 0) / known.length : 200;
    const round = nextRound(progress, {
      target: o.target,
      minRepetitions: o.minRepetitions,
      maxRepetitions: o.maxRepetitions,
      remainingMs: o.budgetMs - (o.now() - start),
      defaultRepMs,
    });
    if (!round.length) break;
    rounds++;
    for (const i of round) {
      if (o.signal.aborted) break;
      const c = cases[i]!;
      if (c.finished) continue;
      const t0 = o.now();
      const outcome = await o.run(i, c.repetitions.length);
      c.spentMs += o.now() - t0;
      if (outcome.ok) {
        c.repetitions.push(outcome.rep);
        update(i);
      } else c.finished = true;
      o.onRepetition?.(i);
    }
    await o.onRound?.(rounds, round.length);
    // onRound may have moved repetitions in or out of an off-speed stretch: those cases' widths again
    cases.forEach((_, i) => {
      if (setAside(i) !== judged[i]) update(i);
    });
  }
  const elapsedMs = o.now() - start;
  const wanting = cases.some(
    (c, i) => !c.finished && counted(i) < o.maxRepetitions && !(counted(i) >= Math.max(MIN_REPETITIONS_FOR_TARGET, o.minRepetitions) && width[i]! <= o.target),
  );
  return { rounds, elapsedMs, budgetExhausted: wanting && !o.signal.aborted };
}
