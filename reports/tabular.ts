// Machine-readable exports of the report model: CSV (one row per case, every metric as median/low/high) and JSON.
import { METRICS } from './metrics.js';
import { ratioToReference, type ReportModel } from './model.js';

function unitSlug(unit: string): string {
  return unit
    .replace('µs', 'us')
    .replace('/s', '_per_s')
    .replace(/^\/op$/, 'per_op')
    .replace('/', '_per_');
}

function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(model: ReportModel): string {
  const keyCols = [
    'run_index',
    'run_id',
    'file',
    'env',
    'transport',
    'workload',
    'size_bytes',
    'concurrency',
    'subscribers',
    'uninterested',
    'placement',
    'mode',
    'rate',
    'state',
    'reason',
    'repetitions',
  ];
  const metricCols = METRICS.flatMap((d) => {
    const base = `${d.id.replace('.', '_')}_${unitSlug(d.unit)}`;
    return [base, `${base}_low`, `${base}_high`];
  });
  const lines = [[...keyCols, ...metricCols, 'p50_ratio_to_reference'].join(',')];
  for (const r of model.rows) {
    const k = r.key;
    const fields: (string | number | undefined)[] = [
      r.runIndex,
      r.runId,
      r.file,
      r.env,
      k.transport,
      k.workload,
      k.size,
      k.concurrency,
      k.subscribers,
      k.uninterested,
      k.placement,
      k.mode,
      k.rate,
      r.state,
      r.reason,
      r.repetitions,
    ];
    for (const d of METRICS) {
      const i = r.metrics[d.id];
      fields.push(i?.median, i?.low, i?.high);
    }
    fields.push(ratioToReference(model, r)?.median);
    lines.push(fields.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

export function reportJson(model: ReportModel): unknown {
  return {
    generator: 'ipcbench report',
    reference: model.reference,
    units: Object.fromEntries(METRICS.map((d) => [d.id, d.unit])),
    runs: model.runs.map((r) => ({
      index: r.index,
      file: r.file,
      runId: r.doc.runId,
      startedAt: r.doc.startedAt,
      complete: r.doc.complete,
      host: r.doc.host,
      warnings: r.doc.warnings,
      transports: r.doc.transports,
    })),
    cases: model.rows.map((r) => ({
      runIndex: r.runIndex,
      runId: r.runId,
      env: r.env,
      key: r.key,
      label: r.label,
      state: r.state,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      repetitions: r.repetitions,
      metrics: r.metrics,
      p50RatioToReference: ratioToReference(model, r) ?? null,
    })),
  };
}

export function renderJson(model: ReportModel): string {
  return JSON.stringify(reportJson(model), null, 2) + '\n';
}
