// How a Comparison is shown: a terminal table, Markdown for a CI job summary / PR comment, or JSON.
import Table from 'cli-table3';
import type { Comparison, MetricComparison } from './compare.js';
import { mdCell, mdTable } from './markdown.js';
import { fmt } from './model.js';

export const COMPARE_FORMATS = ['text', 'md', 'json'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export function pct(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–';
  const c = (ratio - 1) * 100;
  return `${c >= 0 ? '+' : ''}${c.toFixed(1)}%`;
}

function pValue(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

function verdictText(r: MetricComparison): string {
  return r.verdict === 'unchanged' ? (r.note ? `unchanged (${r.note})` : 'unchanged') : r.verdict.toUpperCase();
}

function rowCells(r: MetricComparison): string[] {
  return [
    r.label,
    `${r.metricLabel} (${r.unit})`,
    fmt(r.baseline.median),
    fmt(r.current.median),
    `${pct(r.ratio)} [${pct(r.ratioLow)}, ${pct(r.ratioHigh)}]`,
    `${pValue(r.pAdjusted)}${r.pAdjusted !== r.p ? ` (raw ${pValue(r.p)})` : ''} (n=${r.baseline.n}/${r.current.n})`,
    `±${(r.threshold * 100).toFixed(r.noiseFloor !== undefined ? 1 : 0)}%${r.noiseFloor !== undefined ? ' (noise)' : ''}`,
    verdictText(r),
  ];
}

const HEADERS = ['case', 'metric', 'baseline', 'current', 'change [95% CI]', 'p (Mann–Whitney)', 'threshold', 'verdict'];

function headline(c: Comparison): string {
  const verdict = c.regressions > 0 ? `${c.regressions} regression(s)` : c.results.length ? 'no regression' : 'nothing compared';
  return `${verdict}, ${c.improvements} improvement(s) across ${new Set(c.results.map((r) => r.case)).size} case(s)`;
}

/** Terminal output: every flagged or borderline comparison, and a count of the quietly unchanged ones. */
export function formatText(c: Comparison, verbose = false): string {
  const out: string[] = [];
  out.push(`baseline: ${c.baseline.file} (${c.baseline.runId}, ${c.baseline.env}, ${c.baseline.host})`);
  out.push(`current:  ${c.current.file} (${c.current.runId}, ${c.current.env}, ${c.current.host})`);
  if (c.options.normalize) out.push(`normalized to ${c.options.normalize} in the same run`);
  const compact = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
  const table = new Table({ head: HEADERS, style: { head: [], border: [] }, chars: compact });
  const shown = c.results.filter((r) => verbose || r.verdict !== 'unchanged' || r.note).sort((a, b) => rank(a) - rank(b));
  for (const r of shown) table.push(rowCells(r));
  if (shown.length) out.push(table.toString());
  const hidden = c.results.length - shown.length;
  if (hidden) out.push(`${hidden} more comparison(s) unchanged and unremarkable (--verbose, --format md or json shows them)`);
  for (const b of c.broken) out.push(`BROKEN: ${b.label}: ${b.why}`);
  for (const s of c.onlyOneSide) out.push(`only in ${s.side}: ${s.label}`);
  for (const n of c.notCompared) out.push(`not compared: ${n.label}: ${n.why}`);
  for (const w of c.warnings) out.push(`warning: ${w}`);
  out.push(headline(c));
  return out.join('\n') + '\n';
}

function rank(r: MetricComparison): number {
  return r.verdict === 'regression' ? 0 : r.verdict === 'improvement' ? 1 : 2;
}

export function formatMarkdown(c: Comparison): string {
  const out: string[] = [];
  out.push(`### ipcbench compare: ${c.regressions > 0 ? '❌' : '✅'} ${headline(c)}`, '');
  out.push(
    `Baseline \`${c.baseline.runId}\` (${c.baseline.env}, ${mdCell(c.baseline.host)}) → current \`${c.current.runId}\` (${c.current.env}, ${mdCell(c.current.host)}).`,
  );
  out.push(
    `A change counts when the Mann–Whitney test gives p < ${c.options.alpha} **and** it exceeds ${(c.options.threshold * 100).toFixed(0)}% ` +
      `(${(c.options.tailThreshold * 100).toFixed(0)}% for tail percentiles)${c.options.correction === 'holm' ? '; p-values Holm-adjusted over all comparisons' : ''}${c.options.normalize ? `; values are ratios to \`${c.options.normalize}\` in the same run` : ''}${c.options.noise ? '; thresholds raised to the calibrated run-to-run noise where it is larger (marked "noise")' : ''}.`,
    '',
  );
  for (const w of c.warnings) out.push(`> ⚠️ ${mdCell(w)}`, '');
  if (c.broken.length) out.push('**Broken (ran in the baseline, errored now)**', '', ...c.broken.map((b) => `- ${mdCell(b.label)}: ${mdCell(b.why)}`), '');
  const flagged = c.results.filter((r) => r.verdict !== 'unchanged').sort((a, b) => rank(a) - rank(b));
  if (flagged.length) out.push(mdTable(HEADERS, flagged.map(rowCells)), '');
  if (c.results.length) {
    out.push('<details><summary>All comparisons</summary>', '', mdTable(HEADERS, c.results.map(rowCells)), '', '</details>', '');
  }
  if (c.onlyOneSide.length) out.push('**On one side only (not failed)**', '', ...c.onlyOneSide.map((s) => `- ${s.side}: ${mdCell(s.label)}`), '');
  if (c.notCompared.length) out.push('**Not compared**', '', ...c.notCompared.map((n) => `- ${mdCell(n.label)}: ${mdCell(n.why)}`), '');
  return out.join('\n');
}

export function formatJson(c: Comparison): string {
  const noise = c.options.noise ? { createdAt: c.options.noise.createdAt, host: c.options.noise.host, runs: c.options.noise.runs.length } : undefined;
  return JSON.stringify({ ...c, options: { ...c.options, noise } }, null, 2) + '\n';
}

export function formatComparison(c: Comparison, format: CompareFormat, verbose = false): string {
  return format === 'md' ? formatMarkdown(c) : format === 'json' ? formatJson(c) : formatText(c, verbose);
}
