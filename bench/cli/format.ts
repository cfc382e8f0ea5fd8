// Human-readable tables for the terminal (cli-table3). Reads result records only; never measures.
import Table from 'cli-table3';
import { metric } from '../metrics.js';
import { caseLabel, type CaseResult, type Estimate, type ResultDocument } from '../result.js';

/** A column of the terminal table: the metric table's id, label and unit (bench/metrics.ts). */
function head(id: string): string {
  const m = metric(id);
  return `${m.label} (${m.unit})`;
}
/** Summaries are stored in the table's units; latencies are µs there and printed with formatNs. */
const usToNs = (v: number | undefined): number | undefined => (v === undefined ? undefined : v * 1000);

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

export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(n < 10 ? 2 : 0);
}

/** Marks a p50 whose CI missed the run's precision target (--ci-target). */
export const MISSED_MARK = '*';

function withCi(e: Estimate | undefined, fmt: (v: number) => string, missed = false): string {
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
  if (met === measured.length) return `${met} of ${measured.length} cases met ${targetText(target)}`;
  return `${met} of ${measured.length} cases met ${targetText(target)}; the others are marked`;
}

function stateCell(c: CaseResult): string {
  if (c.state === 'ok') return `ok (${c.repetitions.length})`;
  const reason = c.reason ?? '';
  return `${c.state}: ${reason.length > 70 ? `${reason.slice(0, 67)}...` : reason}`;
}

const style = (): { head: string[]; border: string[]; compact: boolean } => ({ head: [], border: [], compact: true });

export function rpcTable(cases: readonly CaseResult[]): string {
  const t = new Table({
    head: ['transport', 'size', 'placement', metric('p50').label, metric('p99').label, head('throughput'), head('mbPerSec'), head('cpuPerOp'), 'state'],
    style: style(),
    colAligns: ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const c of cases) {
    const s = c.summary ?? {};
    t.push([
      c.key.transport + (c.key.concurrency > 1 ? ` x${c.key.concurrency}` : ''),
      formatSize(c.key.size),
      c.key.placement,
      withCi(s.p50, (v) => formatNs(usToNs(v)), missed(c)),
      formatNs(usToNs(s.p99?.median)),
      formatCount(s.throughput?.median),
      formatCount(s.mbPerSec?.median),
      s.cpuPerOp ? s.cpuPerOp.median.toFixed(2) : '-',
      stateCell(c),
    ]);
  }
  return t.toString();
}

export function broadcastTable(cases: readonly CaseResult[]): string {
  const t = new Table({
    head: [
      'transport',
      'size',
      'placement',
      'N',
      'K',
      metric('p50').label,
      metric('lastSubscriber.p50').label,
      head('cpu.publisher'),
      head('deliveredPerSec'),
      'lost',
      'state',
    ],
    style: style(),
    colAligns: ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const c of cases) {
    const s = c.summary ?? {};
    const lost = c.repetitions.reduce((n, r) => n + (r.delivery?.lost ?? 0), 0);
    t.push([
      c.key.transport,
      formatSize(c.key.size),
      c.key.placement,
      String(c.key.subscribers),
      String(c.key.uninterested),
      withCi(s.p50, (v) => formatNs(usToNs(v)), missed(c)),
      formatNs(usToNs(s['lastSubscriber.p50']?.median)),
      s['cpu.publisher'] ? s['cpu.publisher'].median.toFixed(2) : '-',
      formatCount(s.deliveredPerSec?.median),
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
