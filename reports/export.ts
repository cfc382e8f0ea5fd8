// Exports in the formats CI benchmark trackers read. Both take the current run's medians with their bootstrap
// 95% CI, so the tracker sees the same numbers as our report.
//  - Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format/):
//    { "<benchmark>": { "<measure>": { "value", "lower_value", "upper_value" } } }. Latencies in nanoseconds,
//    as Bencher's built-in "latency" measure expects; throughput in operations per second.
//  - github-action-benchmark "customSmallerIsBetter" (https://github.com/benchmark-action/github-action-benchmark):
//    [{ "name", "unit", "value", "range"?, "extra"? }]. Only smaller-is-better metrics belong there.
import type { ResultDocument } from '../bench/result.js';
import { metric } from './metrics.js';
import { fmt, summarizeCase } from './model.js';
import { caseLabel } from '../bench/result.js';

export interface BmfMetric {
  value: number;
  lower_value: number;
  upper_value: number;
}
export type Bmf = Record<string, Record<string, BmfMetric>>;

export interface GhBenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

/** Measure slug -> our metric and the factor from our unit (µs) to the exported unit. */
const BMF_MEASURES: readonly { slug: string; metric: string; factor: number }[] = [
  { slug: 'latency', metric: 'p50', factor: 1000 },
  { slug: 'latency-p99', metric: 'p99', factor: 1000 },
  { slug: 'throughput', metric: 'throughput', factor: 1 },
  { slug: 'cpu-per-op', metric: 'cpuPerOp', factor: 1000 },
];

const GH_METRICS: readonly { metric: string; name: string }[] = [
  { metric: 'p50', name: 'latency p50' },
  { metric: 'p99', name: 'latency p99' },
  { metric: 'cpuPerOp', name: 'CPU per op' },
];

function benchmarkName(c: ResultDocument['cases'][number]): string {
  return `ipcbench/${caseLabel(c.key)}`;
}

export function toBencherMetricFormat(doc: ResultDocument): Bmf {
  const out: Bmf = {};
  for (const c of doc.cases) {
    if (c.state !== 'ok') continue;
    const summary = summarizeCase(c);
    const measures: Record<string, BmfMetric> = {};
    for (const m of BMF_MEASURES) {
      const i = summary[m.metric];
      if (!i) continue;
      measures[m.slug] = { value: i.median * m.factor, lower_value: i.low * m.factor, upper_value: i.high * m.factor };
    }
    if (Object.keys(measures).length) out[benchmarkName(c)] = measures;
  }
  return out;
}

export function toGithubActionBenchmark(doc: ResultDocument): GhBenchmarkEntry[] {
  const out: GhBenchmarkEntry[] = [];
  for (const c of doc.cases) {
    if (c.state !== 'ok') continue;
    const summary = summarizeCase(c);
    for (const g of GH_METRICS) {
      const i = summary[g.metric];
      if (!i) continue;
      const def = metric(g.metric);
      out.push({
        name: `${benchmarkName(c)} ${g.name}`,
        unit: def.unit === 'µs' ? 'us' : def.unit,
        value: i.median,
        range: `± ${fmt((i.high - i.low) / 2)}`,
        extra: `median of ${i.n} repetitions, 95% CI [${fmt(i.low)}, ${fmt(i.high)}] ${def.unit}; ${doc.host.env} ${doc.host.hostname}`,
      });
    }
  }
  return out;
}
