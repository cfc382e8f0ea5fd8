// SPDX-License-Identifier: MIT
// The scheduler: given where every case of a group stands, which cases get a repetition next. It only decides;
// running, recording and skipping are the runner's. Cases of a group are interleaved (round r of every case before
// round r + 1 of any), so that machine drift does not favour one transport. A case stops at its maximum, or early
// when the 95% bootstrap CI of its median p50 is tight enough (after the minimum).
import { MIN_REPETITIONS_FOR_TARGET } from '../case-precision.js';
import { bootstrapMedianCI, relativeHalfWidth } from '../stats.js';

export interface SchedulePolicy {
  /** Most repetitions per case (--repetitions). */
  maxRepetitions: number;
  /** Repetitions before the early stop may apply (--min-repetitions). */
  minRepetitions: number;
  /** Relative CI half-width under which a case stops early (--ci-target as a fraction; 0 = never). */
  ciTarget: number;
  seed: number;
}

/** What the scheduler knows of one case. */
export interface CaseProgress {
  /** Finished for another reason (skipped, unavailable, errored): never scheduled again. */
  closed: boolean;
  /** The estimate the early stop looks at (p50 per repetition, ns), one per finished repetition. */
  estimates: readonly number[];
  /** Wall-clock milliseconds of each finished repetition (for time budgets). */
  elapsedMs: readonly number[];
}

/** Has this case measured enough? */
export function caseDone(c: CaseProgress, policy: SchedulePolicy): boolean {
  if (c.closed) return true;
  const n = c.estimates.length;
  if (n >= policy.maxRepetitions) return true;
  if (n < Math.max(MIN_REPETITIONS_FOR_TARGET, policy.minRepetitions) || policy.ciTarget <= 0) return false;
  return relativeHalfWidth(bootstrapMedianCI(c.estimates, 0.95, 2000, policy.seed)) <= policy.ciTarget;
}

/** The next round: indices of the cases that get one more repetition, in the order to run them (empty = done). */
export function nextRound(cases: readonly CaseProgress[], policy: SchedulePolicy): number[] {
  const out: number[] = [];
  cases.forEach((c, i) => {
    if (!caseDone(c, policy)) out.push(i);
  });
  return out;
}

/** Repetitions a case will not need any more (for progress totals): the maximum minus what it ran. */
export function repetitionsLeft(c: CaseProgress, policy: SchedulePolicy): number {
  return caseDone(c, policy) ? 0 : policy.maxRepetitions - c.estimates.length;
}
