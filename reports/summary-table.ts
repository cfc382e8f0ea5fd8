// The per-case summary table, as a list of columns shared by the HTML and Markdown outputs (CSV/JSON carry every
// metric unformatted instead, see tabular.ts). Metric columns are named by the metric table (bench/metrics.ts).
import { metricHeading } from '../bench/metrics.js';
import { MISSED_MARK, missedTarget, targetText } from './findings.js';
import { fmt, fmtInterval, ratioToReference, type CaseRow, type ReportModel } from './model.js';

export interface Column {
  header: string;
  /** Right-align (numbers). */
  numeric: boolean;
  cell(row: CaseRow, model: ReportModel): string;
}

const m =
  (id: string, withCi = false) =>
  (r: CaseRow) =>
    withCi ? fmtInterval(r.metrics[id]) : fmt(r.metrics[id]?.median);

export const SUMMARY_COLUMNS: readonly Column[] = [
  { header: 'env', numeric: false, cell: (r) => r.env },
  { header: 'transport', numeric: false, cell: (r) => r.key.transport },
  {
    header: 'workload',
    numeric: false,
    cell: (r) => (r.key.workload === 'broadcast' ? `broadcast N=${r.key.subscribers}${r.key.uninterested ? ` K=${r.key.uninterested}` : ''}` : 'rpc'),
  },
  { header: 'size (B)', numeric: true, cell: (r) => String(r.key.size) },
  {
    header: 'placement',
    numeric: false,
    cell: (r) => r.key.placement + (r.key.concurrency > 1 ? ` x${r.key.concurrency}` : '') + (r.key.mode === 'open' ? ` open@${r.key.rate}/s` : ''),
  },
  { header: 'state', numeric: false, cell: (r) => (r.state === 'ok' ? 'ok' : `${r.state}${r.reason ? `: ${r.reason}` : ''}`) },
  { header: 'reps', numeric: true, cell: (r) => String(r.repetitions) },
  { header: `${metricHeading('p50')} [95% CI]`, numeric: true, cell: (r) => `${m('p50', true)(r)}${missedTarget(r) ? ` ${MISSED_MARK}` : ''}` },
  {
    // The precision the run asked for (--ci-target) and what this case reached: the CI half-width of its median
    // p50 (bench/case-precision.ts), "missed" when wider than the target.
    header: 'p50 precision',
    numeric: true,
    cell: (r) => {
      const p = r.result.precision;
      if (!p || r.state !== 'ok') return '–';
      const got = p.halfWidth === null ? 'unknown' : `±${(p.halfWidth * 100).toFixed(p.halfWidth < 0.1 ? 1 : 0)}%`;
      return p.met ? `${got} (met ${targetText(p.target)})` : `${got} ${MISSED_MARK} missed ${targetText(p.target)}`;
    },
  },
  { header: metricHeading('p99'), numeric: true, cell: m('p99') },
  { header: metricHeading('p999'), numeric: true, cell: m('p999') },
  { header: metricHeading('throughput'), numeric: true, cell: m('throughput') },
  { header: metricHeading('mbPerSec'), numeric: true, cell: m('mbPerSec') },
  { header: metricHeading('cpuPerOp'), numeric: true, cell: m('cpuPerOp') },
  {
    header: 'CPU by process µs',
    numeric: false,
    cell: (r) =>
      ['client', 'server', 'daemon', 'publisher', 'subscriber']
        .filter((role) => r.metrics[`cpu.${role}`])
        .map((role) => `${role} ${fmt(r.metrics[`cpu.${role}`]!.median)}`)
        .join(', ') || '–',
  },
  { header: metricHeading('ctxSwitchesPerOp'), numeric: true, cell: m('ctxSwitchesPerOp') },
  {
    header: 'p50 ÷ reference',
    numeric: true,
    cell: (r, model) => {
      if (r.key.transport === model.reference) return r.state === 'ok' ? '1 (reference)' : '–';
      const ratio = ratioToReference(model, r);
      return ratio ? fmt(ratio.median) : '–';
    },
  },
];

/** The line under a summary table that explains MISSED_MARK, when a case of it carries the mark. */
export function missedTableNote(rows: readonly CaseRow[]): string | undefined {
  const missed = rows.filter((r) => r.state === 'ok' && missedTarget(r));
  if (!missed.length) return undefined;
  const measured = rows.filter((r) => r.state === 'ok' && r.result.precision).length;
  const targets = [...new Set(missed.map((r) => targetText(r.result.precision!.target)))].join(' / ');
  return (
    `${MISSED_MARK} ${missed.length} of ${measured} cases missed the run's ${targets} precision target: the 95% CI of their median p50 is wider ` +
    'than asked (more time: --budget; why: docs/statistics.md). Filter the table with "missed" to list them.'
  );
}
