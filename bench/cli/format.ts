// Human-readable tables for the terminal (cli-table3). Reads result records only; never measures. Every metric
// column is the stored summary, headed and printed through the metric table (metricHeading, formatValue), so the
// table shows the same figures as the HTML/Markdown report and compare (bench/outputs-agree.test.ts).
import Table from 'cli-table3';
import { formatValue, metricHeading } from '../metrics.js';
import { caseLabel, type CaseResult, type Estimate, type ResultDocument } from '../result.js';

export function formatNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '-';
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Marks a p50 whose CI missed the run's precision target (--ci-target). */
export const MISSED_MARK = '*';

function withCi(e: Estimate | undefined, fmt: (v: number | undefined) => string, missed = false): string {
  if (!e) return '-';
  const mark = missed ? ` ${MISSED_MARK}` : '';
  if (e.n < 2 || e.high === e.low || !Number.isFinite(e.low) || !Number.isFinite(e.high)) return `${fmt(e.median)}${mark}`;
  const half = ((e.high - e.low) / 2 / Math.abs(e.median)) * 100;
  return `${fmt(e.median)} ±${half < 10 ? half.toFixed(1) : half.toFixed(0)}%${mark}`;
}

const missed = (c: CaseResult) => c.precision !== undefined && !c.precision.met;

/** "±2%" for 0.02. */
function targetText(target: number): string {
  const p = target * 100;
  return `±${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** The run's last line about precision: "N of M cases met ±2%; the others are marked". */
export function precisionLine(doc: ResultDocument): string | undefined {
  const measured = doc.cases.filter((c) => c.precision);
  if (!measured.length) return undefined;
  const target = measured[0]!.precision!.target;
  const met = measured.filter((c) => c.precision!.met).length;
  const head =
    met === measured.length
      ? `${met} of ${measured.length} cases met ${targetText(target)}`
      : `${met} of ${measured.length} cases met ${targetText(target)}; the others are marked`;
  const slow = doc.slowStretches ?? [];
  if (!slow.length) return head;
  const setAside = doc.cases.reduce((n, c) => n + c.repetitions.filter((r) => r.setAside).length, 0);
  const when = slow
    .map((w) => `${(w.fromMs / 1000).toFixed(0)}-${(w.toMs / 1000).toFixed(0)} s ${w.effect > 0 ? '+' : ''}${(w.effect * 100).toFixed(0)}%`)
    .join(', ');
  return `${head} (${setAside} repetitions set aside: the whole machine was off its typical speed in ${when})`;
}

function stateCell(c: CaseResult): string {
  if (c.state === 'ok') return `ok (${c.repetitions.length})`;
  const reason = c.reason ?? '';
  return `${c.state}: ${reason.length > 70 ? `${reason.slice(0, 67)}...` : reason}`;
}

/** The metric columns (ids of bench/metrics.ts) of each table, in order. */
export const RPC_METRICS = ['p50', 'p99', 'throughput', 'mbPerSec', 'cpuPerOp'] as const;
export const BROADCAST_METRICS = ['p50', 'lastSubscriber.p50', 'cpu.publisher', 'deliveredPerSec'] as const;

const style = (): { head: string[]; border: string[]; compact: boolean } => ({ head: [], border: [], compact: true });

/** A metric's median from the stored summary, printed the one way; "p50 ±2.1%" with the CI where asked. */
function cell(c: CaseResult, id: string, ci = false): string {
  const e = c.summary?.[id];
  if (!e) return '-';
  return ci ? withCi(e, formatValue, missed(c)) : formatValue(e.median);
}

export function rpcTable(cases: readonly CaseResult[]): string {
  const t = new Table({
    head: ['transport', 'size', 'placement', ...RPC_METRICS.map(metricHeading), 'state'],
    style: style(),
    colAligns: ['left', 'right', 'left', ...RPC_METRICS.map(() => 'right' as const), 'left'],
  });
  for (const c of cases) {
    t.push([
      c.key.transport + (c.key.concurrency > 1 ? ` x${c.key.concurrency}` : ''),
      formatSize(c.key.size),
      c.key.placement,
      ...RPC_METRICS.map((id) => cell(c, id, id === 'p50')),
      stateCell(c),
    ]);
  }
  return t.toString();
}

export function broadcastTable(cases: readonly CaseResult[]): string {
  const t = new Table({
    head: ['transport', 'size', 'placement', 'N', 'K', ...BROADCAST_METRICS.map(metricHeading), 'lost', 'state'],
    style: style(),
    colAligns: ['left', 'right', 'left', 'right', 'right', ...BROADCAST_METRICS.map(() => 'right' as const), 'right', 'left'],
  });
  for (const c of cases) {
    const lost = c.repetitions.reduce((n, r) => n + (r.delivery?.lost ?? 0), 0);
    t.push([
      c.key.transport,
      formatSize(c.key.size),
      c.key.placement,
      String(c.key.subscribers),
      String(c.key.uninterested),
      ...BROADCAST_METRICS.map((id) => cell(c, id, id === 'p50')),
      String(lost),
      stateCell(c),
    ]);
  }
  return t.toString();
}

export function summaryText(doc: ResultDocument, file?: string): string {
  const lines: string[] = [];
  const rpc = doc.cases.filter((c) => c.key.workload === 'rpc');
  const bc = doc.cases.filter((c) => c.key.workload === 'broadcast');
  const env = doc.host.env === 'host' ? '' : ` [${doc.host.env}]`;
  if (rpc.length) lines.push(`RPC round trip${env} (median over repetitions ±95% CI half-width; p99 from the native histograms)`, rpcTable(rpc));
  if (bc.length) lines.push(`Broadcast${env} (latency = send -> each interested subscriber; last-subscriber = until all have it)`, broadcastTable(bc));
  const unavailable = doc.transports.filter((t) => !t.available);
  if (unavailable.length) lines.push(...unavailable.map((t) => `${t.name}: unavailable: ${t.reason}`));
  for (const w of doc.warnings) lines.push(`warning: ${w}`);
  const errored = doc.cases.filter((c) => c.state === 'errored');
  for (const c of errored) lines.push(`errored: ${caseLabel(c.key)}: ${c.reason}`);
  if (file) lines.push(`results: ${file}${doc.interrupted ? ' (interrupted: partial)' : ''}`);
  const marked = doc.cases.filter(missed);
  if (marked.length) {
    const t = targetText(marked[0]!.precision!.target);
    lines.push(
      `${MISSED_MARK} p50 CI wider than the ${t} target${doc.precision?.budgetExhausted ? ' when the time budget ran out' : ''} (more time: --budget; why: docs/statistics.md)`,
    );
  }
  if (doc.precision?.budgetMs) lines.push(`time budget ${(doc.precision.budgetMs / 1000).toFixed(0)} s, used ${(doc.precision.elapsedMs / 1000).toFixed(0)} s`);
  const last = precisionLine(doc);
  if (last) lines.push(last);
  return lines.join('\n');
}
