// The report model: result documents flattened into one row per case with the stored summary (median and bootstrap
// CI per metric of bench/metrics.ts).
// Every output format (HTML, SVG, Markdown, CSV, JSON) reads this, so they cannot disagree.
import { caseLabel, readResultFile, type CaseKey, type CaseResult, type ResultDocument } from '../bench/result.js';
import { kernelFactsLine } from '../bench/kernel-facts.js';
import { formatValue, summarize } from '../bench/metrics.js';
import type { Interval } from '../bench/stats.js';

export interface LoadedRun {
  file: string;
  /** Position in the order the files were given (the trend axis). */
  index: number;
  doc: ResultDocument;
}

export interface CaseRow {
  runIndex: number;
  runId: string;
  file: string;
  env: CaseKey['env'];
  key: CaseKey;
  label: string;
  /** The line/legend name in charts: transport, plus whatever else varies in the loaded runs. */
  series: string;
  state: CaseResult['state'];
  reason?: string;
  repetitions: number;
  metrics: Record<string, Interval>;
  /** The case as stored (per-repetition values, for statistics that need more than the summary). */
  result: CaseResult;
}

export interface ReportModel {
  runs: LoadedRun[];
  /** The last run per environment: the one the detail charts and the summary table show. */
  detailRuns: LoadedRun[];
  rows: CaseRow[];
  /** Rows of the detail runs only. */
  detail: CaseRow[];
  reference: string;
}

export const DEFAULT_REFERENCE = 'unix-stream';

export async function loadRuns(files: readonly string[]): Promise<LoadedRun[]> {
  const runs: LoadedRun[] = [];
  for (const [index, file] of files.entries()) runs.push({ file, index, doc: await readResultFile(file) });
  return runs;
}

/** Everything that makes two cases the same case across runs (the key), as a stable string. */
export function caseId(k: CaseKey, opts: { withTransport?: boolean } = {}): string {
  const parts: (string | number)[] = [k.env, k.workload, k.size, k.concurrency, k.subscribers, k.uninterested, k.placement, k.mode, k.rate];
  if (opts.withTransport !== false) parts.unshift(k.transport);
  return parts.join('|');
}

/**
 * The stored summary of a case (bench/metrics.ts summarize(), written by the runner; recomputed for v1 files); a
 * document built in memory without one (fixtures) gets the same summarize().
 */
export function summarizeCase(c: CaseResult): Record<string, Interval> {
  if (c.state !== 'ok') return {};
  return c.summary ?? summarize(c.repetitions);
}

export function buildModel(runs: LoadedRun[], reference = DEFAULT_REFERENCE): ReportModel {
  const all = runs.flatMap((r) => r.doc.cases);
  const distinct = (f: (k: CaseKey) => unknown) => new Set(all.map((c) => f(c.key))).size > 1;
  const varies = {
    env: distinct((k) => k.env),
    placement: distinct((k) => k.placement),
    concurrency: distinct((k) => k.concurrency),
    mode: distinct((k) => `${k.mode}@${k.rate}`),
    uninterested: distinct((k) => k.uninterested),
  };
  const seriesOf = (k: CaseKey): string => {
    const parts = [k.transport];
    if (varies.placement) parts.push(k.placement);
    if (varies.concurrency) parts.push(`x${k.concurrency}`);
    if (varies.mode) parts.push(k.mode === 'open' ? `open@${k.rate}/s` : 'closed');
    if (varies.uninterested && k.workload === 'broadcast') parts.push(`K=${k.uninterested}`);
    if (varies.env) parts.push(`[${k.env}]`);
    return parts.join(' ');
  };
  const rows: CaseRow[] = [];
  for (const run of runs) {
    for (const c of run.doc.cases) {
      rows.push({
        runIndex: run.index,
        runId: run.doc.runId,
        file: run.file,
        env: c.key.env,
        key: c.key,
        label: caseLabel(c.key),
        series: seriesOf(c.key),
        state: c.state,
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        repetitions: c.repetitions.length,
        metrics: summarizeCase(c),
        result: c,
      });
    }
  }
  const lastPerEnv = new Map<string, LoadedRun>();
  for (const run of runs) lastPerEnv.set(run.doc.host.env, run);
  const detailRuns = [...lastPerEnv.values()].sort((a, b) => a.index - b.index);
  const detailIdx = new Set(detailRuns.map((r) => r.index));
  return { runs, detailRuns, rows, detail: rows.filter((r) => detailIdx.has(r.runIndex)), reference };
}

/** p50 of `row` over p50 of the reference transport's case with the same key in the same run. */
export function ratioToReference(model: ReportModel, row: CaseRow, metricId = 'p50'): Interval | undefined {
  if (row.state !== 'ok') return undefined;
  const refId = caseId({ ...row.key, transport: model.reference });
  const ref = model.rows.find((r) => r.runIndex === row.runIndex && r.state === 'ok' && caseId(r.key) === refId);
  const a = row.metrics[metricId];
  const b = ref?.metrics[metricId];
  if (!a || !b || b.median === 0) return undefined;
  // Conservative interval: the extremes of the two CIs divided crosswise.
  return { median: a.median / b.median, low: a.low / b.high, high: a.high / b.low, n: Math.min(a.n, b.n) };
}

export const TCG_NOTE = 'lab-tcg figures come from an emulated CPU (qemu TCG): use them for correctness and coarse ordering only, not as timings.';

/** One line naming the environment(s) behind a chart or table, e.g. "environment: host (build-7, Xeon…)". */
export function environmentLine(runs: readonly LoadedRun[]): string {
  // the kernel's facts that change IPC costs (preemption, HZ, mitigations, user namespaces) beside each environment
  const parts = runs.map((r) => {
    const k = r.doc.host.kernelFacts;
    const kernel = k ? kernelFactsLine(k) : `kernel ${r.doc.host.kernel}`;
    return `${r.doc.host.env} (${r.doc.host.hostname}, ${r.doc.host.cpuModel}, ${kernel})`;
  });
  return `environment: ${[...new Set(parts)].join(' · ')}`;
}

/** The run a case's environment facts (kernel, CPU) come from. */
export function runOfEnv(model: ReportModel, env: string): LoadedRun | undefined {
  return [...model.detailRuns].reverse().find((r) => r.doc.host.env === env || r.doc.cases.some((c) => c.key.env === env));
}

/** Whether an environment's timings come from an emulated CPU. */
export function isEmulated(env: string): boolean {
  return env === 'lab-tcg';
}

/** A short name for an environment that says what it is: "host (kernel 6.1.0)", "lab-tcg (kernel 6.1.192, emulated CPU)". */
export function envLabel(model: ReportModel, env: string): string {
  const run = runOfEnv(model, env);
  const kernel = run ? run.doc.host.kernel.split(/\s+/)[0] : undefined;
  const facts = [kernel ? `kernel ${kernel}` : undefined, isEmulated(env) ? 'emulated CPU' : undefined].filter(Boolean);
  return facts.length ? `${env} (${facts.join(', ')})` : env;
}

export function hasTcg(runs: readonly LoadedRun[]): boolean {
  return runs.some((r) => r.doc.host.env === 'lab-tcg' || r.doc.cases.some((c) => c.key.env === 'lab-tcg'));
}

/** Three significant digits, no exponent for ordinary ranges: the metric table's one number format. */
export const fmt = formatValue;

export function fmtInterval(i: Interval | undefined): string {
  if (!i) return '–';
  if (i.n < 2 || i.low === i.high) return fmt(i.median);
  return `${fmt(i.median)} [${fmt(i.low)}, ${fmt(i.high)}]`;
}
