// The gate's verdict: baseline and candidate were measured in one run, repetition i of one right next to
// repetition i of the other (ABBA order), so the machine's drift hits both members of a pair alike. Per case and
// metric the verdict reads the paired ratios candidate_i / baseline_i:
//   - a percentile-bootstrap 95% CI of their median (pairs resampled whole), and
//   - a one-sided sign test of their logs against the threshold (the test of the median).
// A regression is a change whose whole CI lies beyond the threshold (the threshold is applied to the CI, not
// to the point estimate) and for which the sign test rejects "the median change is at most the threshold" (the
// test is against the threshold, not against zero) at alpha after Holm's adjustment over every (case, metric)
// test of the gate, so that alpha bounds the chance that a gate of identical code fails at all, not the chance
// of each of its many tests. The per-metric decision is bench/statistics' pairedDecision, the same function
// that tells the gate's loop when a case has enough pairs (caseDecided below).
import { caseLabel, type CaseResult, type ResultDocument } from '../bench/result.js';
import { holmAdjust, pairedDecision, seedOf, smallestSignedRankP, type PairedDecision, type PairedDecisionResult } from '../bench/statistics/index.js';
import { GATED_METRICS, metric, type Better } from './metrics.js';
import { caseId } from './model.js';
import type { CaseNotCompared, Verdict } from './compare.js';

export interface GateOptions {
  /** Relative change the CI must clear for medians, throughput, CPU (0.02 = 2%). */
  threshold: number;
  /** The same for tail percentiles. */
  tailThreshold: number;
  /** Family-wise level: the chance that any of the gate's one-sided sign tests rejects falsely (Holm). */
  alpha: number;
  metrics: readonly string[];
  resamples: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = {
  threshold: 0.02,
  tailThreshold: 0.1,
  alpha: 0.05,
  metrics: GATED_METRICS,
  resamples: 2000,
};

export interface GateMetricResult {
  case: string;
  label: string;
  metric: string;
  metricLabel: string;
  unit: string;
  better: Better;
  pairs: number;
  baselineMedian: number;
  candidateMedian: number;
  /** Median paired ratio candidate/baseline and its 95% CI. */
  ratio: number;
  low: number;
  high: number;
  /**
   * One-sided sign-test p of "the median change is at most the threshold" (the logs shifted by the threshold), in the
   * worse direction, or in the better one for an improvement.
   */
  p: number;
  /** p after Holm's adjustment over every (case, metric) test of the gate: what is compared with alpha. */
  pAdjusted: number;
  threshold: number;
  verdict: Verdict;
  /** The decision behind the verdict: 'within' (no regression beyond the threshold, with 95% confidence) or 'undecided' (the CI reaches across it) for an unchanged one. */
  decision: PairedDecision;
  note?: string;
}

export interface GateResult {
  baseline: { spec: string; runId: string };
  candidate: { spec: string; runId: string };
  options: GateOptions;
  results: GateMetricResult[];
  notCompared: CaseNotCompared[];
  /** Ran for the baseline, errored for the candidate: fails the gate like a regression. */
  broken: CaseNotCompared[];
  warnings: string[];
  regressions: number;
  improvements: number;
}

function byPair(c: CaseResult, extract: (r: CaseResult['repetitions'][number]) => number | undefined): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of c.repetitions) {
    const v = extract(r);
    if (v !== undefined && Number.isFinite(v)) m.set(r.index, v);
  }
  return m;
}

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[n >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2) : NaN;
}

/**
 * The verdicts on every gated metric of one case from its pairs (repetitions matched by index). Used by the
 * verdict and by the gate's loop, which stops adding pairs to a case once no metric is undecided.
 */
export function gateCaseMetrics(
  base: CaseResult,
  c: CaseResult,
  id: string,
  label: string,
  o: GateOptions,
  raw: Map<number, PairedDecisionResult> = new Map(),
): GateMetricResult[] {
  const results: GateMetricResult[] = [];
  for (const metricId of o.metrics) {
    const def = metric(metricId);
    const a = byPair(base, def.extract);
    const b = byPair(c, def.extract);
    const ratios: number[] = [];
    const av: number[] = [];
    const bv: number[] = [];
    for (const [i, x] of a) {
      const y = b.get(i);
      if (y === undefined || x === 0) continue;
      ratios.push(y / x);
      av.push(x);
      bv.push(y);
    }
    if (!ratios.length) continue;
    const threshold = def.tail ? o.tailThreshold : o.threshold;
    const d = pairedDecision(ratios, { threshold, better: def.better, alpha: o.alpha, resamples: o.resamples, seed: seedOf(`${id}|${metricId}`) });
    const ci = d.ci;
    const up = def.better === 'lower';
    const pointWorse = up ? ci.ratio > 1 + threshold : ci.ratio < 1 - threshold;
    const pointBetter = up ? ci.ratio < 1 - threshold : ci.ratio > 1 + threshold;
    // unadjusted (one case alone); gateVerdicts adjusts over the whole gate
    const verdict: Verdict = d.decision === 'regression' || d.decision === 'improvement' ? d.decision : 'unchanged';
    const note = verdict === 'unchanged' && (pointWorse || pointBetter) ? 'beyond threshold, but its CI reaches inside: more pairs would tell' : undefined;
    raw.set(results.length, d);
    results.push({
      case: id,
      label,
      metric: metricId,
      metricLabel: def.label,
      unit: def.unit,
      better: def.better,
      pairs: ratios.length,
      baselineMedian: medianOf(av),
      candidateMedian: medianOf(bv),
      ratio: ci.ratio,
      low: ci.low,
      high: ci.high,
      p: verdict === 'improvement' ? d.pBetter : d.pWorse,
      pAdjusted: verdict === 'improvement' ? d.pBetter : d.pWorse,
      threshold,
      verdict,
      ...(note ? { note } : {}),
      decision: d.decision,
    });
  }
  return results;
}

/** Pair the baseline's and the candidate's cases, and their repetitions by index (the pair number). */
export function gateVerdicts(
  baseline: ResultDocument,
  candidate: ResultDocument,
  specs: { baseline: string; candidate: string },
  partial: Partial<GateOptions> = {},
): GateResult {
  const o: GateOptions = { ...DEFAULT_GATE_OPTIONS, ...partial };
  for (const id of o.metrics) metric(id);
  const results: GateMetricResult[] = [];
  const notCompared: CaseNotCompared[] = [];
  const broken: CaseNotCompared[] = [];
  const warnings: string[] = [];
  // One transport per side (two builds, two daemons, two transports): pair by everything but the transport name;
  // the same transports on both sides: pair by the whole key.
  const one = (d: ResultDocument) => new Set(d.cases.map((c) => c.key.transport)).size === 1;
  const withTransport = !(one(baseline) && one(candidate));
  const keyOf = (c: CaseResult) => caseId(c.key, { withTransport });
  const cand = new Map(candidate.cases.map((c) => [keyOf(c), c]));
  const decisions: PairedDecisionResult[] = [];
  let tooFewPairs = false;
  for (const base of baseline.cases) {
    const id = keyOf(base);
    const c = cand.get(id);
    // one transport per side: the case without the side names ("rpc 64B same-core")
    const label = withTransport ? caseLabel(base.key) : caseLabel(base.key).split(' ').slice(1).join(' ');
    if (!c) {
      notCompared.push({ case: id, label, why: 'not measured for the candidate' });
      continue;
    }
    if (base.state !== 'ok' || c.state !== 'ok') {
      const why = `baseline ${base.state}${base.reason ? ` (${base.reason})` : ''}, candidate ${c.state}${c.reason ? ` (${c.reason})` : ''}`;
      (base.state === 'ok' && c.state === 'errored' ? broken : notCompared).push({ case: id, label, why });
      continue;
    }
    const raw = new Map<number, PairedDecisionResult>();
    const rs = gateCaseMetrics(base, c, id, label, o, raw);

    rs.forEach((_r, i) => decisions.push(raw.get(i)!));
    results.push(...rs);
  }
  // Holm over the whole gate, each direction its own family: with m tests a case needs 2^-n < alpha/m
  const m = decisions.length;
  const minPairs = Math.ceil(Math.log2(Math.max(1, m) / o.alpha) + 1e-9);
  if (results.some((r) => smallestSignedRankP(r.pairs) * Math.max(1, m) >= o.alpha)) tooFewPairs = true;
  const worseAdj = holmAdjust(decisions.map((d) => d.pWorse));
  const betterAdj = holmAdjust(decisions.map((d) => d.pBetter));
  results.forEach((r, i) => {
    const d = decisions[i]!;
    const regression = d.decision === 'regression' && worseAdj[i]! < o.alpha;
    const improvement = !regression && d.decision === 'improvement' && betterAdj[i]! < o.alpha;
    r.verdict = regression ? 'regression' : improvement ? 'improvement' : 'unchanged';
    r.p = improvement ? d.pBetter : d.pWorse;
    r.pAdjusted = improvement ? betterAdj[i]! : worseAdj[i]!;
    if (r.verdict === 'unchanged' && (d.decision === 'regression' || d.decision === 'improvement')) {
      r.decision = 'undecided';
      r.note = `beyond threshold, but not significant over the gate's ${decisions.length} tests (Holm): more pairs would tell`;
    }
  });
  for (const c of candidate.cases)
    if (!baseline.cases.some((b) => keyOf(b) === keyOf(c))) notCompared.push({ case: keyOf(c), label: caseLabel(c.key), why: 'not measured for the baseline' });
  if (tooFewPairs)
    warnings.push(
      `some cases have too few pairs for the sign test to reach p < ${o.alpha} over the gate's ${m} tests (${minPairs} pairs is the minimum): they cannot fail the gate`,
    );
  if (!results.length) warnings.push('no case was measured on both sides: nothing was gated');
  if (baseline.host.env === 'lab-tcg') warnings.push('the run is emulated (lab-tcg): timings are for correctness only, not for gating');
  return {
    baseline: { spec: specs.baseline, runId: baseline.runId },
    candidate: { spec: specs.candidate, runId: candidate.runId },
    options: o,
    results,
    notCompared,
    broken,
    warnings,
    regressions: results.filter((r) => r.verdict === 'regression').length + broken.length,
    improvements: results.filter((r) => r.verdict === 'improvement').length,
  };
}

/**
 * The gate's loop asks this after every pair of a case: more pairs are useless once every metric is decided
 * without a regression ('within' or 'improvement'). A case that shows a regression is NOT closed early: it runs
 * its pairs to --max-pairs, so that stopping at the first look that happens to cross the threshold cannot raise
 * the false-alarm rate (optional stopping); closing on "within" can only turn a later false alarm into a pass.
 */
export function caseDecided(metrics: readonly GateMetricResult[]): boolean {
  return metrics.length > 0 && metrics.every((r) => r.decision === 'within' || r.decision === 'improvement');
}

export function gateExitCode(g: GateResult): 0 | 1 {
  return g.regressions > 0 ? 1 : 0;
}
