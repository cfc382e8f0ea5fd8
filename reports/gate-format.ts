// How a gate verdict is shown: a terminal table, Markdown for the job summary / PR comment, or JSON.
import Table from 'cli-table3';
import { pct } from './compare-format.js';
import type { GateMetricResult, GateResult } from './gate.js';
import { mdTable } from './markdown.js';
import { fmt } from './model.js';

export const GATE_FORMATS = ['text', 'md', 'json'] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];

function pValue(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

function verdictText(r: GateMetricResult): string {
  return r.verdict === 'unchanged' ? (r.note ? `unchanged (${r.note})` : 'unchanged') : r.verdict.toUpperCase();
}

function cells(r: GateMetricResult): string[] {
  return [
    r.label,
    `${r.metricLabel} (${r.unit})`,
    fmt(r.baselineMedian),
    fmt(r.candidateMedian),
    `${pct(r.ratio)} [${pct(r.low)}, ${pct(r.high)}]`,
    `${pValue(r.pAdjusted ?? r.p)} (${r.pairs} pairs)`,
    `±${(r.threshold * 100).toFixed(r.threshold * 100 < 10 && !Number.isInteger(r.threshold * 100) ? 1 : 0)}%`,
    verdictText(r),
  ];
}

const HEADERS = ['case', 'metric', 'baseline', 'candidate', 'paired change [95% CI]', 'p beyond threshold (Holm)', 'threshold', 'verdict'];

export function gateHeadline(g: GateResult): string {
  const cases = new Set(g.results.map((r) => r.case)).size;
  const verdict = g.regressions > 0 ? `FAIL: ${g.regressions} regression(s)` : g.results.length ? 'PASS: no regression' : 'nothing gated';
  return `${verdict}, ${g.improvements} improvement(s) across ${cases} case(s)`;
}

export function formatGateText(g: GateResult, verbose = false): string {
  const out = [`baseline:  ${g.baseline.spec}`, `candidate: ${g.candidate.spec}`];
  const table = new Table({ head: HEADERS, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  const shown = g.results.filter((r) => verbose || r.verdict !== 'unchanged' || r.note || r.metric === 'p50');
  for (const r of shown) table.push(cells(r));
  if (shown.length) out.push(table.toString());
  const hidden = g.results.length - shown.length;
  if (hidden) out.push(`${hidden} more comparison(s) unchanged (--verbose, --format md or json shows them)`);
  for (const b of g.broken) out.push(`BROKEN: ${b.label}: ${b.why}`);
  for (const n of g.notCompared) out.push(`not compared: ${n.label}: ${n.why}`);
  for (const w of g.warnings) out.push(`warning: ${w}`);
  out.push(
    `A regression is a change whose paired 95% CI lies entirely beyond the threshold (±${(g.options.threshold * 100).toFixed(1)}%, tails ±${(g.options.tailThreshold * 100).toFixed(0)}%) ` +
      `and whose one-sided sign-test p against the threshold, Holm-adjusted over the gate's tests, is < ${g.options.alpha}.`,
  );
  out.push(gateHeadline(g));
  return `${out.join('\n')}\n`;
}

export function formatGateMarkdown(g: GateResult): string {
  const out = [`## ipcbench gate: ${gateHeadline(g)}`, '', `- baseline: \`${g.baseline.spec}\``, `- candidate: \`${g.candidate.spec}\``, ''];
  if (g.broken.length) out.push('**Broken by the candidate**', '', ...g.broken.map((b) => `- ${b.label}: ${b.why}`), '');
  out.push(mdTable(HEADERS, g.results.map(cells), [false, false, true, true, true, true, true, false]), '');
  if (g.notCompared.length) out.push('**Not compared**', '', ...g.notCompared.map((n) => `- ${n.label}: ${n.why}`), '');
  if (g.warnings.length) out.push('**Warnings**', '', ...g.warnings.map((w) => `- ${w}`), '');
  out.push(
    `Baseline and candidate ran interleaved (ABBA) in one run; the change is the median of the per-pair ratios candidate/baseline with a bootstrap 95% CI. ` +
      `A regression needs the whole CI beyond the threshold and a one-sided sign test of "the median change is at most the threshold" ` +
      `with p < ${g.options.alpha} after Holm's adjustment over all the gate's tests (so ${g.options.alpha} bounds the chance that identical code fails the gate).`,
    '',
  );
  return out.join('\n');
}

export function formatGate(g: GateResult, format: GateFormat, verbose = false): string {
  if (format === 'json') return `${JSON.stringify(g, null, 1)}\n`;
  if (format === 'md') return formatGateMarkdown(g);
  return formatGateText(g, verbose);
}
