// SPDX-License-Identifier: MIT
// The metric vocabulary, as one table: how to read a per-repetition value out of a result record, its unit, which
// direction is better, and how it is summarised (every metric: the median over repetitions with a bootstrap 95%
// CI). The runner stores summarize()'s output in each case (result schema v2 on), and the terminal table, the
// reports, compare and the exports all name and read metrics through this table. Adding a metric = one row here.
import type { Repetition } from './result.js';
import { countedRepetitions, p50Interval } from './case-precision.js';
import { bootstrapMedianCI, type Interval } from './statistics/index.js';

export type Better = 'lower' | 'higher';

export interface MetricDef {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  /** Tails vary more between repetitions than medians; compare uses the wider --tail-threshold for them. */
  readonly tail: boolean;
  /** The value in `unit` for one repetition, or undefined when the repetition does not have it. */
  readonly extract: (rep: Repetition) => number | undefined;
}

const NS_PER_US = 1000;
const us = (ns: number | undefined): number | undefined => (ns === undefined ? undefined : ns / NS_PER_US);

export const METRICS: readonly MetricDef[] = [
  { id: 'p50', label: 'latency p50', unit: 'µs', better: 'lower', tail: false, extract: (r) => us(r.latency.p50) },
  { id: 'p90', label: 'latency p90', unit: 'µs', better: 'lower', tail: true, extract: (r) => us(r.latency.p90) },
  { id: 'p99', label: 'latency p99', unit: 'µs', better: 'lower', tail: true, extract: (r) => us(r.latency.p99) },
  { id: 'p999', label: 'latency p99.9', unit: 'µs', better: 'lower', tail: true, extract: (r) => us(r.latency.p999) },
  { id: 'throughput', label: 'throughput', unit: 'ops/s', better: 'higher', tail: false, extract: (r) => r.throughput },
  { id: 'mbPerSec', label: 'bandwidth', unit: 'MB/s', better: 'higher', tail: false, extract: (r) => r.mbPerSec },
  { id: 'cpuPerOp', label: 'CPU per op', unit: 'µs', better: 'lower', tail: false, extract: (r) => us(r.cpuNsPerOp.total) },
  { id: 'cpu.client', label: 'CPU per op, client', unit: 'µs', better: 'lower', tail: false, extract: (r) => us(r.cpuNsPerOp.byRole['client']) },
  { id: 'cpu.server', label: 'CPU per op, server', unit: 'µs', better: 'lower', tail: false, extract: (r) => us(r.cpuNsPerOp.byRole['server']) },
  { id: 'cpu.daemon', label: 'CPU per op, bus daemon', unit: 'µs', better: 'lower', tail: false, extract: (r) => us(r.cpuNsPerOp.byRole['daemon']) },
  {
    id: 'cpu.publisher',
    label: 'CPU per broadcast, publisher',
    unit: 'µs',
    better: 'lower',
    tail: false,
    extract: (r) => us(r.cpuNsPerOp.byRole['publisher']),
  },
  {
    id: 'cpu.subscriber',
    label: 'CPU per broadcast, subscribers',
    unit: 'µs',
    better: 'lower',
    tail: false,
    extract: (r) => us(r.cpuNsPerOp.byRole['subscriber']),
  },
  { id: 'lastSubscriber.p50', label: 'last-subscriber latency p50', unit: 'µs', better: 'lower', tail: false, extract: (r) => us(r.lastSubscriber?.p50) },
  { id: 'lastSubscriber.p99', label: 'last-subscriber latency p99', unit: 'µs', better: 'lower', tail: true, extract: (r) => us(r.lastSubscriber?.p99) },
  { id: 'publishCall.p50', label: 'publish call p50', unit: 'µs', better: 'lower', tail: false, extract: (r) => us(r.publishCall?.p50) },
  {
    id: 'deliveredPerSec',
    label: 'deliveries',
    unit: 'deliveries/s',
    better: 'higher',
    tail: false,
    extract: (r) => (r.delivery ? r.delivery.delivered / (r.wallNs / 1e9) : undefined),
  },
  { id: 'ctxSwitchesPerOp', label: 'context switches', unit: '/op', better: 'lower', tail: false, extract: (r) => r.ctxSwitchesPerOp },
];

/** The metrics `compare` gates on by default: median latency, tail latency, throughput, CPU per call. */
export const GATED_METRICS = ['p50', 'p99', 'throughput', 'cpuPerOp'] as const;

export const CPU_ROLES = ['client', 'server', 'daemon', 'publisher', 'subscriber'] as const;

/** A metric's name as every output prints it: "throughput (ops/s)". */
export function metricHeading(id: string): string {
  const m = metric(id);
  return `${m.label} (${m.unit})`;
}

/**
 * A metric value (in its unit) as every output prints it: three significant digits, thousands grouped, no exponent
 * below 1e9. The terminal table, the reports and compare all print through this, so one file shows one figure.
 */
export function formatValue(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1e9) return x.toExponential(2);
  if (a >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}

export function metric(id: string): MetricDef {
  const m = METRICS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown metric ${id}`);
  return m;
}

/** Per-repetition values of a metric; repetitions without the metric (or with a non-finite value) are left out. */
export function valuesOf(reps: readonly Repetition[], def: MetricDef): number[] {
  const out: number[] = [];
  for (const r of reps) {
    const v = def.extract(r);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** The stored summary of a case: every metric the repetitions have, median + bootstrap 95% CI, in the table's unit. */
export function summarize(all: readonly Repetition[], seed = 1): Record<string, Interval> {
  const reps = countedRepetitions(all);
  const out: Record<string, Interval> = {};
  for (const def of METRICS) {
    const values = valuesOf(reps, def);
    if (!values.length) continue;
    if (def.id === 'p50' && values.length >= 2) {
      // the hierarchical interval (repetitions, then the operations in each one's histogram): the one the
      // precision target is judged by (bench/case-precision.ts, docs/statistics.md)
      // (repetitions without a stored histogram give no hierarchical interval: the plain bootstrap then)
      const ci = p50Interval(reps, seed, 2000);
      if (Number.isFinite(ci.median)) {
        out[def.id] = { median: ci.median / NS_PER_US, low: ci.low / NS_PER_US, high: ci.high / NS_PER_US, n: ci.n };
        continue;
      }
    }
    out[def.id] = bootstrapMedianCI(values, 0.95, 2000, seed);
  }
  return out;
}
