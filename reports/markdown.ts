// A Markdown summary of a report, short enough for a CI job summary ($GITHUB_STEP_SUMMARY) or a PR comment.
import { computeFindings, missedNote, STATUS_TAG } from './findings.js';
import { environmentLine, hasTcg, TCG_NOTE, type ReportModel } from './model.js';
import { missedTableNote, SUMMARY_COLUMNS } from './summary-table.js';

export function mdCell(s: string): string {
  return s.replace(/([|*_])/g, '\\$1').replace(/\r?\n/g, ' ');
}

export function mdTable(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[] = []): string {
  const sep = headers.map((_, i) => (numeric[i] ? '---:' : '---'));
  return [headers, sep, ...rows].map((r) => `| ${r.map(mdCell).join(' | ')} |`).join('\n');
}

export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [];
  const runs = model.detailRuns;
  out.push(`## ipcbench: ${runs.map((r) => `\`${r.doc.runId}\``).join(', ')}`, '');
  out.push(`_${environmentLine(runs)}_`, '');
  if (hasTcg(runs)) out.push(`> **Note:** ${TCG_NOTE}`, '');
  const findings = computeFindings(model);
  if (findings.length) {
    out.push('### Findings', '');
    for (const f of findings) out.push(`- **${mdCell(f.topic)}**${mdCell(STATUS_TAG[f.status])} — ${mdCell(f.text)} _(${mdCell(f.where)})_`);
    const note = missedNote(findings.filter((f) => f.status !== 'missing'));
    if (note) out.push('', mdCell(note));
    out.push('');
  }
  const warnings = runs.flatMap((r) => r.doc.warnings.map((w) => `${r.doc.host.env}: ${w}`));
  if (warnings.length) out.push('**Warnings**', '', ...warnings.map((w) => `- ${mdCell(w)}`), '');
  const unavailable = runs.flatMap((r) =>
    r.doc.transports.filter((t) => !t.available).map((t) => `${t.name} (${r.doc.host.env}): ${t.reason ?? 'no reason given'}`),
  );
  if (unavailable.length) out.push('**Unavailable transports**', '', ...unavailable.map((u) => `- ${mdCell(u)}`), '');
  const notOk = model.detail.filter((r) => r.state !== 'ok');
  if (notOk.length)
    out.push('**Cases without numbers**', '', ...notOk.map((r) => `- ${mdCell(r.label)}: ${r.state}${r.reason ? ` (${mdCell(r.reason)})` : ''}`), '');
  const cols = SUMMARY_COLUMNS.filter((c) => c.header !== 'state');
  const ok = model.detail.filter((r) => r.state === 'ok');
  out.push(
    mdTable(
      cols.map((c) => c.header),
      ok.map((r) => cols.map((c) => c.cell(r, model))),
      cols.map((c) => c.numeric),
    ),
    '',
  );
  out.push(`Medians over repetitions; p50 with a bootstrap 95% CI; latency in µs; reference for ratios: \`${model.reference}\`.`, '');
  const missed = missedTableNote(ok);
  if (missed) out.push(mdCell(missed), '');
  if (model.runs.length > 1)
    out.push(`Trend: ${model.runs.length} runs (${model.runs.map((r) => `\`${r.doc.runId}\``).join(' → ')}); see the HTML report.`, '');
  return out.join('\n');
}
