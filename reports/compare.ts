// Regression comparison: a pure function of two result documents. For every case present in both (same key,
// state ok on both sides) and every gated metric: the ratio current/baseline of the medians over repetitions
// with a bootstrap 95% CI, and a Mann–Whitney U test over the per-repetition values. A change is a regression
// (or an improvement) only when it is both statistically significant and larger than the threshold: the test
// guards against noise, the threshold against real but irrelevant changes.
import { caseLabel, type CaseResult, type ResultDocument } from '../bench/result.js';
import { median, mulberry32, quantileSorted } from '../bench/stats.js';
import { mannWhitneyU, smallestPossibleP } from './mann-whitney.js';
import { GATED_METRICS, metric, valuesOf, type Better } from './metrics.js';
import { caseId } from './model.js';
import { noiseFloor, type NoiseFile } from './noise-model.js';

export interface CompareOptions {
  /** Relative change that counts for medians and throughput/CPU (0.05 = 5%). */
  threshold: number;
  /** Relative change that counts for tail percentiles (p99 ...), which vary more between runs. */
  tailThreshold: number;
  /** Significance level of the Mann–Whitney test. */
  alpha: number;
  /** Compare every metric as a ratio to this transport measured in the same run. */
  normalize?: string;
  metrics: readonly string[];
  resamples: number;
  /**
   * Multiple-comparison correction over all (case, metric) tests of one comparison: 'none', or 'holm' (Holm 1979,
   * "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6:65–70), which keeps the chance
   * of any false "significant" at alpha at the price of power (needs more repetitions).
   */
  correction: 'none' | 'holm';
  /**
   * The calibrated run-level noise (`ipcbench calibrate`): per case and metric the threshold becomes at least the
   * change two runs of identical code reach on this machine (its floor), so drift between runs is not a regression.
   */
  noise?: NoiseFile;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  threshold: 0.05,
  tailThreshold: 0.1,
  alpha: 0.05,
  metrics: GATED_METRICS,
  resamples: 2000,
  correction: 'none',
};

export type Verdict = 'regression' | 'improvement' | 'unchanged';

export interface MetricComparison {
  case: string;
  label: string;
  metric: string;
  metricLabel: string;
  /** The unit of baseline/current; "× ref" when normalized. */
  unit: string;
  better: Better;
  baseline: { median: number; n: number };
  current: { median: number; n: number };
  /** current / baseline of the medians, with a percentile-bootstrap 95% CI. */
  ratio: number;
  ratioLow: number;
  ratioHigh: number;
  /** Two-sided Mann–Whitney p. */
  p: number;
  /** p after the --correction (equal to p without one); `significant` is pAdjusted < alpha. */
  pAdjusted: number;
  test: 'exact' | 'normal';
  threshold: number;
  /** The calibrated noise floor that raised the threshold, when it did. */
  noiseFloor?: number;
  significant: boolean;
  beyondThreshold: boolean;
  verdict: Verdict;
  /** Why it is unchanged when it moved (for the reader): "not significant", "within threshold". */
  note?: string;
}

export interface CaseOnOneSide {
  case: string;
  label: string;
  side: 'baseline' | 'current';
}

export interface CaseNotCompared {
  case: string;
  label: string;
  why: string;
}

export interface Comparison {
  baseline: { file: string; runId: string; env: string; host: string };
  current: { file: string; runId: string; env: string; host: string };
  options: CompareOptions;
  results: MetricComparison[];
  onlyOneSide: CaseOnOneSide[];
  notCompared: CaseNotCompared[];
  /** Ran fine in the baseline, errored in the current run: a broken transport fails the gate like a regression. */
  broken: CaseNotCompared[];
  warnings: string[];
  /** Metric regressions plus broken cases. */
  regressions: number;
  improvements: number;
}

/**
 * Percentile-bootstrap CI of median(y)/median(x), resampling both sides independently (Efron & Tibshirani 1993,
 * ch. 13). Seeded, so the same files give the same interval.
 */
export function bootstrapRatioCI(x: readonly number[], y: readonly number[], resamples: number, seed: number, level = 0.95): { low: number; high: number } {
  const rand = mulberry32(seed);
  const ratios: number[] = [];
  const sx = new Array<number>(x.length);
  const sy = new Array<number>(y.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < x.length; i++) sx[i] = x[Math.floor(rand() * x.length)]!;
    for (let i = 0; i < y.length; i++) sy[i] = y[Math.floor(rand() * y.length)]!;
    const mx = median(sx);
    if (mx !== 0) ratios.push(median(sy) / mx);
  }
  ratios.sort((a, b) => a - b);
  return { low: quantileSorted(ratios, (1 - level) / 2), high: quantileSorted(ratios, (1 + level) / 2) };
}

/** A small stable hash so each (case, metric) gets its own bootstrap stream, independent of file order. */
function seedOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Per-repetition values of `metricId` for a case, divided by the reference transport's when normalizing. */
function perRepetition(doc: ResultDocument, c: CaseResult, metricId: string, normalize: string | undefined): number[] | string {
  const def = metric(metricId);
  const values = valuesOf(c.repetitions, def);
  if (!normalize) return values;
  const refKey = caseId({ ...c.key, transport: normalize });
  const ref = doc.cases.find((r) => r.state === 'ok' && caseId(r.key) === refKey);
  if (!ref) return `no ${normalize} case with the same key in ${doc.runId}`;
  // Repetitions are interleaved across transports, so repetition i of both ran in the same round: pair them
  // when the indices line up, which also cancels slow drifts of the machine; otherwise divide by the median.
  const byIndex = new Map(ref.repetitions.map((r) => [r.index, def.extract(r)]));
  const paired = c.repetitions.every((r) => byIndex.get(r.index) !== undefined);
  const refMedian = median(valuesOf(ref.repetitions, def));
  const out: number[] = [];
  for (const r of c.repetitions) {
    const v = def.extract(r);
    const d = paired ? byIndex.get(r.index)! : refMedian;
    if (v !== undefined && Number.isFinite(v) && d) out.push(v / d);
  }
  return out;
}

/**
 * A side's median: the stored summary's (the figure the terminal table and the report print for the same file) unless
 * normalizing; the median of the per-repetition values for a document without one, or for ratios to a reference.
 */
function sideMedian(c: CaseResult, metricId: string, values: readonly number[], normalize: string | undefined): number {
  const stored = normalize ? undefined : c.summary?.[metricId]?.median;
  return stored !== undefined && Number.isFinite(stored) ? stored : median(values);
}

function describe(doc: ResultDocument, file: string) {
  return { file, runId: doc.runId, env: doc.host.env, host: `${doc.host.hostname} (${doc.host.cpuModel})` };
}

export function compareResults(
  baseline: ResultDocument,
  current: ResultDocument,
  files: { baseline: string; current: string },
  partial: Partial<CompareOptions> = {},
): Comparison {
  const o: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...partial };
  for (const id of o.metrics) metric(id); // unknown metric names fail here, before any work
  const results: MetricComparison[] = [];
  const onlyOneSide: CaseOnOneSide[] = [];
  const notCompared: CaseNotCompared[] = [];
  const broken: CaseNotCompared[] = [];
  const warnings: string[] = [];

  const baseCases = new Map(baseline.cases.map((c) => [caseId(c.key), c]));
  const curCases = new Map(current.cases.map((c) => [caseId(c.key), c]));
  for (const [id, c] of baseCases) if (!curCases.has(id)) onlyOneSide.push({ case: id, label: caseLabel(c.key), side: 'baseline' });
  for (const [id, c] of curCases) if (!baseCases.has(id)) onlyOneSide.push({ case: id, label: caseLabel(c.key), side: 'current' });

  let tooFewRepetitions = false;
  for (const [id, cur] of curCases) {
    const base = baseCases.get(id);
    if (!base) continue;
    const label = caseLabel(cur.key);
    if (base.state !== 'ok' || cur.state !== 'ok') {
      const why = `baseline ${base.state}${base.reason ? ` (${base.reason})` : ''}, current ${cur.state}${cur.reason ? ` (${cur.reason})` : ''}`;
      // Unavailable or skipped means "not here" (an environment matter) and is only listed; errored after
      // working in the baseline means the change broke something.
      (base.state === 'ok' && cur.state === 'errored' ? broken : notCompared).push({ case: id, label, why });
      continue;
    }
    if (o.normalize && cur.key.transport === o.normalize) {
      notCompared.push({ case: id, label, why: `reference transport for --normalize` });
      continue;
    }
    for (const metricId of o.metrics) {
      const def = metric(metricId);
      const x = perRepetition(baseline, base, metricId, o.normalize);
      const y = perRepetition(current, cur, metricId, o.normalize);
      if (typeof x === 'string' || typeof y === 'string') {
        notCompared.push({ case: id, label, why: `${def.label}: ${typeof x === 'string' ? `baseline: ${x}` : `current: ${y}`}` });
        continue;
      }
      if (!x.length || !y.length) continue; // the metric does not exist for this workload
      const mx = sideMedian(base, metricId, x, o.normalize);
      const my = sideMedian(cur, metricId, y, o.normalize);
      if (mx === 0) continue;
      const ratio = my / mx;
      const ci = bootstrapRatioCI(x, y, o.resamples, seedOf(`${id}|${metricId}`));
      const test = mannWhitneyU(y, x);
      if (smallestPossibleP(x.length, y.length) >= o.alpha) tooFewRepetitions = true;
      const floor = noiseFloor(o.noise, id, metricId);
      const threshold = Math.max(def.tail ? o.tailThreshold : o.threshold, floor ?? 0);
      const change = ratio - 1;
      const worse = def.better === 'lower' ? change > threshold : change < -threshold;
      const better = def.better === 'lower' ? change < -threshold : change > threshold;
      const significant = test.p < o.alpha;
      const beyondThreshold = worse || better;
      const verdict: Verdict = significant && worse ? 'regression' : significant && better ? 'improvement' : 'unchanged';
      const note =
        verdict !== 'unchanged'
          ? undefined
          : beyondThreshold
            ? 'beyond threshold but not significant'
            : significant
              ? 'significant but within threshold'
              : undefined;
      results.push({
        case: id,
        label,
        metric: metricId,
        metricLabel: def.label,
        unit: o.normalize ? `× ${o.normalize}` : def.unit,
        better: def.better,
        baseline: { median: mx, n: x.length },
        current: { median: my, n: y.length },
        ratio,
        ratioLow: ci.low,
        ratioHigh: ci.high,
        p: test.p,
        pAdjusted: test.p,
        test: test.method,
        threshold,
        ...(floor !== undefined && floor > (def.tail ? o.tailThreshold : o.threshold) ? { noiseFloor: floor } : {}),
        significant,
        beyondThreshold,
        verdict,
        ...(note ? { note } : {}),
      });
    }
  }

  if (o.correction === 'holm') applyHolm(results, o.alpha);

  if (tooFewRepetitions)
    warnings.push(
      `some cases have too few repetitions for the Mann–Whitney test to ever reach p < ${o.alpha} (4 per side is the minimum at 0.05; 10 or more is better): they cannot be flagged`,
    );
  if (baseline.host.env !== current.host.env)
    warnings.push(`baseline is from ${baseline.host.env}, current from ${current.host.env}: their cases have different keys and do not match`);
  const sameMachine = baseline.host.cpuModel === current.host.cpuModel && baseline.host.hostname === current.host.hostname;
  if (!sameMachine && !o.normalize)
    warnings.push(
      `baseline (${baseline.host.hostname}, ${baseline.host.cpuModel}) and current (${current.host.hostname}, ${current.host.cpuModel}) come from different machines: ` +
        'absolute numbers are not comparable; consider --normalize unix-stream',
    );
  for (const [side, doc] of [
    ['baseline', baseline],
    ['current', current],
  ] as const) {
    if (!doc.complete) warnings.push(`the ${side} run is incomplete${doc.interrupted ? ' (interrupted)' : ''}`);
    if (doc.host.env === 'lab-tcg')
      warnings.push(`the ${side} run is emulated (lab-tcg): timings are for correctness and coarse ordering only, not for gating`);
  }
  if (!results.length) warnings.push('no case was measured on both sides: nothing was compared');
  if (o.noise) {
    const uncalibrated = new Set(results.filter((r) => noiseFloor(o.noise, r.case, r.metric) === undefined).map((r) => r.label));
    if (uncalibrated.size)
      warnings.push(`${uncalibrated.size} case(s) are not in the noise model (calibrate with the same case list): their thresholds are not raised`);
    if (o.noise.host.hostname !== current.host.hostname || o.noise.host.cpuModel !== current.host.cpuModel)
      warnings.push(
        `the noise model was calibrated on ${o.noise.host.hostname} (${o.noise.host.cpuModel}), the current run is from ${current.host.hostname}: its floors may not apply`,
      );
  }

  return {
    baseline: describe(baseline, files.baseline),
    current: describe(current, files.current),
    options: o,
    results,
    onlyOneSide,
    notCompared,
    broken,
    warnings,
    regressions: results.filter((r) => r.verdict === 'regression').length + broken.length,
    improvements: results.filter((r) => r.verdict === 'improvement').length,
  };
}

/** Holm step-down adjusted p-values, then the verdicts again with them. */
function applyHolm(results: MetricComparison[], alpha: number): void {
  const m = results.length;
  const order = results.map((r, i) => [r.p, i] as const).sort((a, b) => a[0] - b[0]);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    results[i]!.pAdjusted = running;
  });
  for (const r of results) {
    r.significant = r.pAdjusted < alpha;
    const change = r.ratio - 1;
    const worse = r.better === 'lower' ? change > r.threshold : change < -r.threshold;
    const better = r.better === 'lower' ? change < -r.threshold : change > r.threshold;
    r.verdict = r.significant && worse ? 'regression' : r.significant && better ? 'improvement' : 'unchanged';
    delete r.note;
    if (r.verdict === 'unchanged') {
      if (r.beyondThreshold) r.note = 'beyond threshold but not significant';
      else if (r.significant) r.note = 'significant but within threshold';
    }
  }
}

/** 0 = no regression, 1 = at least one regression or broken case (2, input errors, is decided by the caller). */
export function exitCodeOf(c: Comparison): 0 | 1 {
  return c.regressions > 0 ? 1 : 0;
}
