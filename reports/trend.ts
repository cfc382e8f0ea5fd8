// `ipcbench trend`: per case, the history of one metric over many runs (oldest first), and whether it is stable,
// stepped at some run (and by how much), or drifting — by change-point detection (bench/statistics/changepoint.ts).
import { caseLabel, type ResultDocument } from '../bench/result.js';
import { analyzeTrend, median, type TrendAnalysis } from '../bench/statistics/index.js';
import { metric, valuesOf } from './metrics.js';
import { mdTable } from './markdown.js';
import { caseId } from './model.js';

export interface CaseTrend {
  case: string;
  label: string;
  metric: string;
  runs: { runId: string; startedAt: string; value: number }[];
  analysis: TrendAnalysis;
}

/** Runs in time order (startedAt); cases present and ok in at least three of them. */
export function trends(docs: readonly ResultDocument[], metricId = 'p50'): CaseTrend[] {
  const def = metric(metricId);
  const ordered = [...docs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const series = new Map<string, CaseTrend>();
  for (const d of ordered)
    for (const c of d.cases) {
      if (c.state !== 'ok') continue;
      const v = median(valuesOf(c.repetitions, def));
      if (!Number.isFinite(v) || v <= 0) continue;
      const id = caseId(c.key);
      const t = series.get(id) ?? { case: id, label: caseLabel(c.key), metric: metricId, runs: [], analysis: analyzeTrend([]) };
      t.runs.push({ runId: d.runId, startedAt: d.startedAt, value: v });
      series.set(id, t);
    }
  for (const t of series.values()) t.analysis = analyzeTrend(t.runs.map((r) => r.value));
  return [...series.values()];
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function describeTrend(t: CaseTrend): string {
  const a = t.analysis;
  switch (a.kind) {
    case 'too-short':
      return `too few runs (${a.n}; 3 needed)`;
    case 'stable':
      return `stable (run-to-run σ ${(a.sigma * 100).toFixed(1)}%)`;
    case 'drift':
      return `drift ${pct(a.perRun!)} per run, ${pct(a.total!)} over ${a.n} runs`;
    case 'step':
      return a.steps.map((s) => `step ${pct(s.change)} at run ${s.at + 1} (${t.runs[s.at]!.runId})`).join('; ');
  }
}

export function formatTrends(list: readonly CaseTrend[], format: 'text' | 'md' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(list, null, 1)}\n`;
  const rows = list.map((t) => [t.label, String(t.runs.length), t.analysis.kind, describeTrend(t)]);
  if (format === 'md') return `${mdTable(['case', 'runs', 'kind', 'reading'], rows)}\n`;
  const w = Math.max(4, ...list.map((t) => t.label.length));
  const lines = rows.map(([l, n, k, d]) => `${l!.padEnd(w)}  ${n!.padStart(4)}  ${k!.padEnd(9)}  ${d}`);
  const steps = list.filter((t) => t.analysis.kind === 'step').length;
  const drifts = list.filter((t) => t.analysis.kind === 'drift').length;
  return `${['case'.padEnd(w) + '  runs  kind       reading', ...lines, `${list.length} case(s): ${steps} with a step change, ${drifts} drifting`].join('\n')}\n`;
}
