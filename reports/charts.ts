// The charts of a report as a table: each row names a vega-lite spec (kept as data in reports/specs/) and the
// function that turns the report model into that spec's rows. HTML embeds the filled specs; SVG/PNG render them.
import * as hdr from 'hdr-histogram-js';
import type { Repetition } from '../bench/result.js';
import type { TopLevelSpec } from 'vega-lite';
import broadcastSpec from './specs/broadcast.json' with { type: 'json' };
import broadcastCpuSpec from './specs/broadcast-cpu.json' with { type: 'json' };
import headlineSpec from './specs/headline.json' with { type: 'json' };
import cpuSpec from './specs/cpu-per-call.json' with { type: 'json' };
import latencySpec from './specs/latency-vs-size.json' with { type: 'json' };
import spectrumSpec from './specs/percentile-spectrum.json' with { type: 'json' };
import ratioSpec from './specs/ratio.json' with { type: 'json' };
import throughputSpec from './specs/throughput.json' with { type: 'json' };
import trendSpec from './specs/trend.json' with { type: 'json' };
import { familyIndex, HEADLINE_TRANSPORTS, panelFamilyLabel, transportColours, transportOrder } from './families.js';
import { environmentLine, hasTcg, isEmulated, ratioToReference, TCG_NOTE, type CaseRow, type LoadedRun, type ReportModel } from './model.js';

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

const PLACEMENT_ORDER = ['cross-core', 'same-core', 'unpinned'];

/** Environments in report order: the host first, then the others as the runs came. */
function envOrder(model: ReportModel): string[] {
  const envs = [...new Set(model.detail.map((r) => r.env))];
  return envs.sort((a, b) => (a === 'host' ? -1 : b === 'host' ? 1 : 0));
}

/** How a panel names its environment: the emulated one says so on every panel. */
export function panelEnvLabel(env: string): string {
  return isEmulated(env) ? `${env} (emulated CPU)` : env;
}

interface PanelOpts {
  /** One panel per transport family (else one per environment and placement). */
  family?: boolean;
  /** The payload size is part of the panel. */
  size?: boolean;
}

/** A function giving each row its panel (two-line label: family, then environment · placement · …) and a sort key. */
function panelsOf(model: ReportModel, rows: readonly CaseRow[], o: PanelOpts): (r: CaseRow) => { panel: string; panelOrder: number } {
  const order = transportOrder(model.rows.map((r) => r.key.transport));
  const envs = envOrder(model);
  const keyOf = (r: CaseRow) => {
    const extras = [
      r.key.concurrency > 1 ? `x${r.key.concurrency}` : '',
      r.key.mode === 'open' ? `open@${r.key.rate}/s` : '',
      o.size ? sizeLabel(r.key.size) : '',
    ].filter(Boolean);
    const second = [panelEnvLabel(r.env), r.key.placement, ...extras].join(' · ');
    const panel = o.family ? `${panelFamilyLabel(r.key.transport, order)}\n${second}` : second;
    const sortKey: (string | number)[] = [
      envs.indexOf(r.env),
      PLACEMENT_ORDER.indexOf(r.key.placement),
      r.key.concurrency,
      r.key.mode,
      r.key.rate,
      o.size ? r.key.size : 0,
    ];
    if (o.family) sortKey.push(familyIndex(r.key.transport), panel);
    return { panel, sortKey };
  };
  const distinct = new Map<string, (string | number)[]>();
  for (const r of rows) {
    const k = keyOf(r);
    if (!distinct.has(k.panel)) distinct.set(k.panel, k.sortKey);
  }
  const cmp = (a: (string | number)[], b: (string | number)[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = a[i] ?? '';
      const y = b[i] ?? '';
      if (x !== y) return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
    }
    return 0;
  };
  const ranked = [...distinct].sort((a, b) => cmp(a[1], b[1])).map(([p]) => p);
  return (r) => {
    const panel = keyOf(r).panel;
    return { panel, panelOrder: ranked.indexOf(panel) };
  };
}

function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** The environments where kdbus has RPC results: the headline compares inside each of them only. */
function kdbusEnvs(model: ReportModel): Set<string> {
  return new Set(
    okRpc(model.detail)
      .filter((r) => r.key.transport === 'kdbus')
      .map((r) => r.env),
  );
}

function latencyRows(rows: readonly CaseRow[], panelOf: (r: CaseRow) => { panel: string; panelOrder: number }): Row[] {
  return rows.flatMap((r) => {
    const p50 = r.metrics['p50'];
    if (!p50) return [];
    return [
      {
        transport: r.key.transport,
        ...panelOf(r),
        env: r.env,
        size: r.key.size,
        value: p50.median,
        low: p50.low,
        high: p50.high,
        p99: r.metrics['p99']?.median ?? null,
      },
    ];
  });
}

/** Broadcast line style: all interested, or K of N not interested. */
function filterLabel(r: CaseRow): string {
  return r.key.uninterested ? `${r.key.uninterested} not interested` : 'all interested';
}

export const CHARTS: readonly ChartDef[] = [
  {
    id: 'headline',
    title: 'kdbus vs the rest, in the same kernel',
    spec: headlineSpec,
    runs: (m) => m.detailRuns.filter((r) => r.doc.cases.some((c) => kdbusEnvs(m).has(c.key.env))),
    rows: (m) => {
      const envs = kdbusEnvs(m);
      if (!envs.size) return 'kdbus has no results in these files (it runs inside the lab: `ipcbench run` without --no-lab, or `ipcbench lab run`)';
      const rows = okRpc(m.detail).filter((r) => envs.has(r.env) && HEADLINE_TRANSPORTS.includes(r.key.transport) && r.key.concurrency === 1);
      return latencyRows(rows, panelsOf(m, rows, {}));
    },
  },
  {
    id: 'latency-vs-size',
    title: 'RPC latency vs payload size, by transport family',
    spec: latencySpec,
    runs: detailRuns,
    rows: (m) => {
      const rows = okRpc(m.detail);
      const out = latencyRows(rows, panelsOf(m, rows, { family: true }));
      return out.length ? out : 'no successful RPC cases';
    },
  },
  {
    id: 'percentile-spectrum',
    title: 'RPC latency by percentile at the smallest payload',
    spec: spectrumSpec,
    runs: detailRuns,
    rows: (m) => {
      const rpc = okRpc(m.detail);
      const smallest = Math.min(...rpc.map((r) => r.key.size));
      const picked = rpc.filter((r) => r.key.size === smallest);
      const panelOf = panelsOf(m, picked, { family: true });
      const rows: Row[] = [];
      for (const r of picked) {
        const h = mergedHistogram(r.result.repetitions);
        if (!h) continue;
        for (const p of spectrumPoints(h)) rows.push({ transport: r.key.transport, ...panelOf(r), env: r.env, size: r.key.size, ...p });
        h.destroy();
      }
      return rows.length ? rows : 'no RPC case has encoded histograms';
    },
  },
  {
    id: 'throughput',
    title: 'RPC payload throughput vs payload size, by transport family',
    spec: throughputSpec,
    runs: detailRuns,
    rows: (m) => {
      const picked = okRpc(m.detail).filter((r) => r.metrics['mbPerSec']);
      const panelOf = panelsOf(m, picked, { family: true });
      const rows = picked.map((r) => ({
        transport: r.key.transport,
        ...panelOf(r),
        env: r.env,
        size: r.key.size,
        mbPerSec: r.metrics['mbPerSec']!.median,
        throughput: r.metrics['throughput']?.median ?? null,
      }));
      return rows.length ? rows : 'no successful RPC cases';
    },
  },
  {
    id: 'cpu-per-call',
    title: 'CPU cost per RPC call, by process',
    spec: cpuSpec,
    runs: detailRuns,
    rows: (m) => {
      const rpc = okRpc(m.detail);
      const sizes = [...new Set(rpc.map((r) => r.key.size))].sort((a, b) => a - b);
      // The smallest payload and the one nearest 64 KiB: per-message overhead, and where copying dominates.
      const near = sizes.reduce((best, s) => (Math.abs(Math.log(s / 65536)) < Math.abs(Math.log(best / 65536)) ? s : best), sizes[0] ?? 0);
      const picked = rpc.filter((r) => r.key.size === sizes[0] || r.key.size === near);
      const panelOf = panelsOf(m, picked, { size: true });
      const rows: Row[] = [];
      for (const r of picked) {
        for (const role of ['client', 'server', 'daemon']) {
          const v = r.metrics[`cpu.${role}`];
          if (v) rows.push({ transport: r.key.transport, ...panelOf(r), env: r.env, size: r.key.size, role, cpuUs: v.median });
        }
      }
      return rows.length ? rows : 'no CPU figures in the RPC cases';
    },
  },
  {
    id: 'broadcast',
    title: 'Broadcast: last-subscriber latency vs subscribers, by transport family',
    spec: broadcastSpec,
    runs: detailRuns,
    rows: (m) => {
      const picked = okBroadcast(m.detail);
      const smallest = Math.min(...picked.map((r) => r.key.size));
      const bySize = picked.filter((r) => r.key.size === smallest);
      const panelOf = panelsOf(m, bySize, { family: true });
      const rows: Row[] = [];
      for (const r of bySize) {
        const v = r.metrics['lastSubscriber.p50'] ?? r.metrics['p50'];
        if (v)
          rows.push({
            transport: r.key.transport,
            ...panelOf(r),
            env: r.env,
            subscribers: Math.max(1, r.key.subscribers),
            filter: filterLabel(r),
            lastLatency: v.median,
            publisherCpu: r.metrics['cpu.publisher']?.median ?? null,
          });
      }
      return rows.length ? rows : 'no successful broadcast cases';
    },
  },
  {
    id: 'broadcast-cpu',
    title: 'Broadcast: publisher CPU per message vs subscribers, by transport family',
    spec: broadcastCpuSpec,
    runs: detailRuns,
    rows: (m) => {
      const picked = okBroadcast(m.detail).filter((r) => r.metrics['cpu.publisher']);
      const smallest = Math.min(...picked.map((r) => r.key.size));
      const bySize = picked.filter((r) => r.key.size === smallest);
      const panelOf = panelsOf(m, bySize, { family: true });
      const rows = bySize.map((r) => ({
        transport: r.key.transport,
        ...panelOf(r),
        env: r.env,
        subscribers: Math.max(1, r.key.subscribers),
        filter: filterLabel(r),
        publisherCpu: r.metrics['cpu.publisher']!.median,
      }));
      return rows.length ? rows : 'no publisher CPU figures in the broadcast cases';
    },
  },
  {
    id: 'ratio',
    title: 'RPC latency relative to {{reference}}, by transport family',
    spec: ratioSpec,
    runs: detailRuns,
    rows: (m) => {
      const picked = okRpc(m.detail).filter((r) => r.key.transport !== m.reference);
      const panelOf = panelsOf(m, picked, { family: true });
      const rows: Row[] = [];
      for (const r of picked) {
        const ratio = ratioToReference(m, r);
        if (ratio)
          rows.push({ transport: r.key.transport, ...panelOf(r), env: r.env, size: r.key.size, ratio: ratio.median, low: ratio.low, high: ratio.high });
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
      const rpc = okRpc(m.rows).filter((r) => r.metrics['p50'] && (runsPerEnv.get(m.runs[r.runIndex]!.doc.host.env) ?? 0) > 1);
      const smallest = Math.min(...rpc.map((r) => r.key.size));
      const picked = rpc.filter((r) => r.key.size === smallest);
      const panelOf = panelsOf(m, picked, { family: true });
      const rows = picked.map((r) => {
        const p50 = r.metrics['p50']!;
        return {
          run: `${r.runIndex + 1}: ${r.runId}`,
          runIndex: r.runIndex,
          transport: r.key.transport,
          ...panelOf(r),
          env: r.env,
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

/** Visit every encoding object of a spec (facet, layers, nested specs). */
function eachEncoding(node: unknown, fn: (enc: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) eachEncoding(n, fn);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  if (obj['encoding'] && typeof obj['encoding'] === 'object') fn(obj['encoding'] as Record<string, unknown>);
  for (const [k, v] of Object.entries(obj)) if (k !== 'data') eachEncoding(v, fn);
}

/**
 * Every transport keeps the colour families.ts gave it (the same in every chart), the legend lists every
 * transport of the chart in registry order (no "… n entries" cut), and bars follow the registry order.
 */
function pinTransportColours(spec: Record<string, unknown>, present: readonly string[]): void {
  // A colour encoding on a layered spec is inherited by every layer; move it into the layers, so that only one
  // layer carries the colour range below (layers with their own data would otherwise each bring one, and vega
  // warns about the conflict).
  const unit = (spec['spec'] ?? spec) as Record<string, unknown>;
  const mark = unit['mark'] as Record<string, unknown> | undefined;
  if (mark && typeof mark === 'object' && mark['point'] && !unit['layer']) {
    // A line with points is two marks inside vega-lite; spell them out as layers (same reason as below).
    const { point, ...line } = mark;
    unit['layer'] = [{ mark: line }, { mark: { type: 'point', ...(typeof point === 'object' ? point : {}) } }];
    delete unit['mark'];
  }
  const enc = unit['encoding'] as Record<string, unknown> | undefined;
  if (Array.isArray(unit['layer']) && enc?.['color']) {
    for (const layer of unit['layer'] as Record<string, unknown>[]) {
      const own = (layer['encoding'] ??= {}) as Record<string, unknown>;
      if (!('color' in own)) own['color'] = structuredClone(enc['color']);
    }
    delete enc['color'];
  }
  let first = true;
  eachEncoding(spec, (e) => {
    const color = e['color'] as Record<string, unknown> | undefined;
    if (color && color['field'] === 'transport') {
      // The colour channel reads "NNN|name" (registry position first), so the scale's ascending domain is the
      // registry order; the colours come from the rows' colour field, sorted the same way.
      color['field'] = 'colourKey';
      if (first) color['scale'] = { range: { field: 'colour' } };
      else delete color['scale'];
      first = false;
      color['legend'] = {
        ...((color['legend'] as object | undefined) ?? {}),
        labelExpr: "slice(datum.label, indexof(datum.label, '|') + 1)",
        description: 'colour legend of the transports in this panel',
        symbolLimit: present.length + 1,
        labelLimit: 140,
        symbolOpacity: 1,
        symbolType: 'circle',
      };
    }
    const x = e['x'] as Record<string, unknown> | undefined;
    if (x && x['field'] === 'transport') x['sort'] = [...present];
  });
}

/** Fill every applicable chart's spec with its rows, a title and the environment subtitle. */
export function buildCharts(model: ReportModel): { charts: Chart[]; omitted: OmittedChart[] } {
  const charts: Chart[] = [];
  const omitted: OmittedChart[] = [];
  const order = transportOrder(model.rows.map((r) => r.key.transport));
  const colours = transportColours(order);
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
    const used = new Set(rows.map((r) => String(r['transport'])));
    pinTransportColours(
      spec,
      order.filter((t) => used.has(t)),
    );
    const facet = spec['facet'] as Record<string, unknown> | undefined;
    if (facet) {
      // Panel labels are two lines (family, then environment · placement); never cut them.
      facet['header'] = { labelExpr: "split(datum.value, '\\n')", labelAlign: 'left', labelAnchor: 'start', labelFontSize: 11, labelLimit: 0, labelPadding: 6 };
    }
    // Rows in registry order: a panel's colour range is read from the rows' colour field in that order, which
    // must be the order of its domain (the colour encoding's sort).
    rows.sort((a, b) => order.indexOf(String(a['transport'])) - order.indexOf(String(b['transport'])));
    for (const r of rows) {
      const t = String(r['transport']);
      r['colour'] = colours.get(t) ?? null;
      r['colourKey'] = `${String(order.indexOf(t)).padStart(3, '0')}|${t}`;
    }
    if (facet && JSON.stringify(spec).includes('"field":"colourKey"')) {
      // Each panel its own legend: a panel's legend lists only its own transports.
      const resolve = (spec['resolve'] ??= {}) as Record<string, Record<string, string>>;
      resolve['scale'] = { ...(resolve['scale'] ?? {}), color: 'independent' };
    }
    spec['data'] = { values: rows };
    spec['title'] = { text: title, subtitle, anchor: 'start', subtitleFontSize: 11 };
    charts.push({ id: def.id, title, description: specDescription(def.spec), spec: spec as unknown as TopLevelSpec });
  }
  return { charts, omitted };
}
