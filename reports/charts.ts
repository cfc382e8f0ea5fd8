// The charts of a report as a table: each row names a vega-lite spec (kept as data in reports/specs/) and the
// function that turns the report model into that spec's rows. HTML embeds the filled specs; SVG/PNG render them.
import * as hdr from 'hdr-histogram-js';
import type { Repetition } from '../bench/result.js';
import type { TopLevelSpec } from 'vega-lite';
import broadcastSpec from './specs/broadcast.json' with { type: 'json' };
import cpuSpec from './specs/cpu-per-call.json' with { type: 'json' };
import latencySpec from './specs/latency-vs-size.json' with { type: 'json' };
import spectrumSpec from './specs/percentile-spectrum.json' with { type: 'json' };
import ratioSpec from './specs/ratio.json' with { type: 'json' };
import throughputSpec from './specs/throughput.json' with { type: 'json' };
import trendSpec from './specs/trend.json' with { type: 'json' };
import { environmentLine, hasTcg, ratioToReference, TCG_NOTE, type CaseRow, type LoadedRun, type ReportModel } from './model.js';

type Row = Record<string, string | number | null>;

export interface ChartDef {
  id: string;
  title: string;
  spec: unknown;
  /** Rows for the spec, or a reason the chart does not apply to these results. */
  rows(model: ReportModel): Row[] | string;
  /** Which runs the chart draws from (for its environment line). */
  runs(model: ReportModel): LoadedRun[];
}

export interface Chart {
  id: string;
  title: string;
  description: string;
  spec: TopLevelSpec;
}

export interface OmittedChart {
  id: string;
  title: string;
  why: string;
}

const okRpc = (rows: readonly CaseRow[]) => rows.filter((r) => r.state === 'ok' && r.key.workload === 'rpc');
const okBroadcast = (rows: readonly CaseRow[]) => rows.filter((r) => r.state === 'ok' && r.key.workload === 'broadcast');
const detailRuns = (m: ReportModel) => m.detailRuns;

/** Percentiles 1 - 2^-k in half steps of k up to the resolution of `count` samples, as HdrHistogram plots them. */
function spectrumPoints(h: hdr.Histogram): { percentile: number; inverse: number; latency: number }[] {
  const out: { percentile: number; inverse: number; latency: number }[] = [];
  const count = h.totalCount;
  if (!count) return out;
  const maxK = Math.log2(count);
  for (let k = 0; k <= maxK; k += 0.5) {
    const p = 1 - 2 ** -k;
    out.push({ percentile: p * 100, inverse: 2 ** k, latency: h.getValueAtPercentile(p * 100) / 1000 });
  }
  out.push({ percentile: 100, inverse: Math.max(2 ** Math.ceil(maxK), 2), latency: h.maxValue / 1000 });
  return out;
}

function mergedHistogram(reps: readonly Repetition[]): hdr.Histogram | undefined {
  const encoded = reps.map((r) => r.latency.histogram).filter((h): h is string => !!h);
  if (!encoded.length) return undefined;
  const total = hdr.build({ bitBucketSize: 64, useWebAssembly: false, numberOfSignificantValueDigits: 3, highestTrackableValue: 100e9 });
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e, 64, false);
    total.add(h);
    h.destroy();
  }
  return total;
}

export const CHARTS: readonly ChartDef[] = [
  {
    id: 'latency-vs-size',
    title: 'RPC latency vs payload size',
    spec: latencySpec,
    runs: detailRuns,
    rows: (m) => {
      const rows = okRpc(m.detail).flatMap((r) => {
        const p50 = r.metrics['p50'];
        const p99 = r.metrics['p99'];
        const out: Row[] = [];
        if (p50) out.push({ series: r.series, size: r.key.size, stat: 'p50 (band: 95% CI)', value: p50.median, low: p50.low, high: p50.high });
        if (p99) out.push({ series: r.series, size: r.key.size, stat: 'p99', value: p99.median, low: p99.low, high: p99.high });
        return out;
      });
      return rows.length ? rows : 'no successful RPC cases';
    },
  },
  {
    id: 'percentile-spectrum',
    title: 'RPC latency by percentile',
    spec: spectrumSpec,
    runs: detailRuns,
    rows: (m) => {
      const rows: Row[] = [];
      for (const r of okRpc(m.detail)) {
        const run = m.runs[r.runIndex]!;
        const c = run.doc.cases.find((x) => x.key === r.key)!;
        const h = mergedHistogram(c.repetitions);
        if (!h) continue;
        for (const p of spectrumPoints(h)) rows.push({ series: r.series, size: r.key.size, ...p });
        h.destroy();
      }
      return rows.length ? rows : 'no RPC case has encoded histograms';
    },
  },
  {
    id: 'throughput',
    title: 'RPC throughput vs payload size',
    spec: throughputSpec,
    runs: detailRuns,
    rows: (m) => {
      const rows = okRpc(m.detail)
        .filter((r) => r.metrics['throughput'])
        .map((r) => ({ series: r.series, size: r.key.size, callsPerSec: r.metrics['throughput']!.median, mbPerSec: r.metrics['mbPerSec']?.median ?? null }));
      return rows.length ? rows : 'no successful RPC cases';
    },
  },
  {
    id: 'cpu-per-call',
    title: 'CPU cost per RPC call',
    spec: cpuSpec,
    runs: detailRuns,
    rows: (m) => {
      const rows: Row[] = [];
      for (const r of okRpc(m.detail)) {
        for (const role of ['client', 'server', 'daemon']) {
          const v = r.metrics[`cpu.${role}`];
          if (v) rows.push({ series: r.series, size: r.key.size, role, cpuUs: v.median });
        }
      }
      return rows.length ? rows : 'no CPU figures in the RPC cases';
    },
  },
  {
    id: 'broadcast',
    title: 'Broadcast: last-subscriber latency and publisher cost vs subscribers',
    spec: broadcastSpec,
    runs: detailRuns,
    rows: (m) => {
      const sizes = new Set(okBroadcast(m.detail).map((r) => r.key.size));
      const rows: Row[] = [];
      for (const r of okBroadcast(m.detail)) {
        const series = sizes.size > 1 ? `${r.series} ${r.key.size}B` : r.series;
        const publisherCpu = r.metrics['cpu.publisher']?.median ?? null;
        for (const stat of ['p50', 'p99'] as const) {
          const v = r.metrics[`lastSubscriber.${stat}`] ?? r.metrics[stat];
          if (v) rows.push({ series, subscribers: Math.max(1, r.key.subscribers), stat, lastLatency: v.median, publisherCpu });
        }
      }
      return rows.length ? rows : 'no successful broadcast cases';
    },
  },
  {
    id: 'ratio',
    title: 'RPC latency relative to {{reference}}',
    spec: ratioSpec,
    runs: detailRuns,
    rows: (m) => {
      const rows: Row[] = [];
      for (const r of okRpc(m.detail)) {
        if (r.key.transport === m.reference) continue;
        const ratio = ratioToReference(m, r);
        if (ratio) rows.push({ series: r.series, size: r.key.size, ratio: ratio.median, low: ratio.low, high: ratio.high });
      }
      return rows.length ? rows : `the reference transport ${m.reference} has no successful RPC case to compare with (choose another with --reference)`;
    },
  },
  {
    id: 'trend',
    title: 'Trend over runs',
    spec: trendSpec,
    runs: (m) => m.runs,
    rows: (m) => {
      if (m.runs.length < 2) return 'one result file: a trend needs several (give them in order)';
      // A trend compares runs of one environment; a host run next to a lab run is not a trend.
      const runsPerEnv = new Map<string, number>();
      for (const r of m.runs) runsPerEnv.set(r.doc.host.env, (runsPerEnv.get(r.doc.host.env) ?? 0) + 1);
      const rows = okRpc(m.rows)
        .filter((r) => r.metrics['p50'] && (runsPerEnv.get(m.runs[r.runIndex]!.doc.host.env) ?? 0) > 1)
        .map((r) => {
          const p50 = r.metrics['p50']!;
          return {
            run: `${r.runIndex + 1}: ${r.runId}`,
            runIndex: r.runIndex,
            series: r.series,
            size: r.key.size,
            p50: p50.median,
            low: p50.low,
            high: p50.high,
          };
        });
      return rows.length ? rows : 'every environment has only one run (or no successful RPC case): no trend';
    },
  },
];

function specDescription(spec: unknown): string {
  return (spec as { description?: string }).description ?? '';
}

/**
 * The same transport gets the same colour in every chart (also where some transports are absent), and bars
 * follow the registry order.
 */
function pinSeriesColors(node: unknown, domain: readonly string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) pinSeriesColors(n, domain);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  const color = obj['color'] as Record<string, unknown> | undefined;
  if (color && typeof color === 'object' && color['field'] === 'series') {
    color['scale'] = { ...((color['scale'] as object | undefined) ?? {}), domain: [...domain] };
  }
  const x = obj['x'] as Record<string, unknown> | undefined;
  if (x && typeof x === 'object' && x['field'] === 'series') x['sort'] = [...domain]; // registry order, not a-z
  for (const v of Object.values(obj)) pinSeriesColors(v, domain);
}

/** Fill every applicable chart's spec with its rows, a title and the environment subtitle. */
export function buildCharts(model: ReportModel): { charts: Chart[]; omitted: OmittedChart[] } {
  const charts: Chart[] = [];
  const omitted: OmittedChart[] = [];
  const seriesDomain = [...new Set(model.rows.map((r) => r.series))];
  for (const def of CHARTS) {
    const rows = def.rows(model);
    if (typeof rows === 'string') {
      omitted.push({ id: def.id, title: def.title, why: rows });
      continue;
    }
    const runs = def.runs(model);
    const subtitle = [environmentLine(runs)];
    if (hasTcg(runs)) subtitle.push(TCG_NOTE);
    const template = JSON.stringify(def.spec).replaceAll('{{reference}}', model.reference);
    const spec = JSON.parse(template) as Record<string, unknown>;
    const title = def.title.replaceAll('{{reference}}', model.reference);
    const used = new Set(rows.map((r) => r['series']));
    if ([...used].every((s) => seriesDomain.includes(s as string))) pinSeriesColors(spec, seriesDomain);
    spec['data'] = { values: rows };
    spec['title'] = { text: title, subtitle, anchor: 'start', subtitleFontSize: 11 };
    charts.push({ id: def.id, title, description: specDescription(def.spec), spec: spec as unknown as TopLevelSpec });
  }
  return { charts, omitted };
}
