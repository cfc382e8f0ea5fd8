// The budgeted repetition loop (`--budget`, the default): rounds of repetitions over the whole matrix, each
// round chosen by bench/budget.ts from the precision every case has reached so far, until every case meets the
// target or the budget is spent. The runner supplies how one repetition of one case is run (the executor); this
// file only decides what runs next and keeps the books.
import { nextRound, type CaseProgress } from './budget.js';
import { p50Interval } from '../case-precision.js';
import type { Repetition } from '../result.js';
import { relativeHalfWidth } from '../statistics/index.js';

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
  /** After every repetition and every round (progress, saving). */
  onRepetition?: (caseIndex: number) => void;
  onRound?: (round: number, planned: number) => Promise<void>;
}

export interface BudgetedLoopResult {
  rounds: number;
  elapsedMs: number;
  /** The budget ran out while some case still wanted repetitions. */
  budgetExhausted: boolean;
}

export async function runBudgetedLoop(cases: BudgetedCase[], o: BudgetedLoopOptions): Promise<BudgetedLoopResult> {
  const start = o.now();
  const width = cases.map(() => Infinity);
  const update = (i: number) => {
    width[i] = cases[i]!.repetitions.length >= 2 ? relativeHalfWidth(p50Interval(cases[i]!.repetitions, o.seed + i, 500)) : Infinity;
  };
  let rounds = 0;
  for (;;) {
    if (o.signal.aborted) break;
    const progress: CaseProgress[] = cases.map((c, index) => ({
      index,
      n: c.repetitions.length,
      halfWidth: width[index]!,
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
  }
  const elapsedMs = o.now() - start;
  const wanting = cases.some(
    (c, i) => !c.finished && c.repetitions.length < o.maxRepetitions && !(c.repetitions.length >= Math.max(2, o.minRepetitions) && width[i]! <= o.target),
  );
  return { rounds, elapsedMs, budgetExhausted: wanting && !o.signal.aborted };
}
