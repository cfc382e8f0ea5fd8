// One self-contained HTML report: tables that read without JavaScript, and vega-lite charts rendered by vega,
// vega-lite and vega-embed inlined from node_modules, so the file works offline and from file://.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildCharts, type Chart } from './charts.js';
import { computeFindings, MISSED_MARK, missedNote, targetText, type Finding } from './findings.js';
import { environmentLine, fmt, hasTcg, TCG_NOTE, type ReportModel } from './model.js';
import { missedTableNote, SUMMARY_COLUMNS } from './summary-table.js';

const require = createRequire(import.meta.url);

/** The installed package's root directory (its exports map hides build/ from require.resolve). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the directory of the installed package ${name}`);
    dir = up;
  }
}

/** The UMD bundles, in load order (vega-lite needs vega; vega-embed needs both). */
const BUNDLES = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

function inlineScript(code: string): string {
  // A "</script" inside the code would end the element early; the source map comment would make devtools
  // try to fetch a file that is not there.
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

export function bundledLibraries(): { name: string; version: string; code: string }[] {
  return BUNDLES.map(([name, file]) => {
    const dir = packageDir(name);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    return { name, version, code: inlineScript(readFileSync(join(dir, file), 'utf8')) };
  });
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside a <script type="application/json"> element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[] = [],
  opts: { cls?: string; id?: string; caption?: string } = {},
): string {
  const th = headers.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''} scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  const cls = ['data', opts.cls].filter(Boolean).join(' ');
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : '';
  return `<div class="scroll"><table class="${cls}"${opts.id ? ` id="${opts.id}"` : ''}>${caption}<thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:1rem 2rem;color:#1d1d1f}
h1{margin:.2rem 0}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{margin:1.4rem 0 .4rem}
p,li{overflow-wrap:anywhere}
.meta,.env{color:#555}.env,.meta{font-size:13px}
.note{background:#fff4d6;border:1px solid #e6c36b;padding:.5rem .8rem;border-radius:4px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}
caption{text-align:left;color:#555;padding:.2rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f7}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th button{all:unset;cursor:pointer;display:block;width:100%}
th button:focus-visible{outline:2px solid #336}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
.filter{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin:.6rem 0 0}
.filter input{font:inherit;padding:.2rem .4rem;min-width:14rem;max-width:100%}
.filter output{color:#555;font-size:13px}
figure{margin:1.5rem 0}figcaption{color:#444;max-width:80ch}
.vis{min-height:60px;overflow-x:auto;max-width:100%}
nav ul{columns:2;padding-left:1.2rem;margin:.3rem 0}
code{background:#f5f5f7;padding:0 .2rem}
ol.findings{padding-left:1.4rem;max-width:90ch}
ol.findings li{margin:.5rem 0}
.finding .topic{font-weight:600}
.finding .where{display:block;color:#555;font-size:13px}
.badge{display:inline-block;font-size:12px;border-radius:3px;padding:0 .35rem;margin-left:.3rem;vertical-align:1px}
.badge.emulated{background:#fff4d6;border:1px solid #e6c36b}
.badge.noisy{background:#fdecea;border:1px solid #e4a9a2}
.badge.imprecise{background:#eef2f7;border:1px solid #b8c4d6}
ul.gaps{max-width:90ch}
@media (max-width:640px){body{padding:.5rem .8rem;font-size:15px}nav ul{columns:1}ol.findings{padding-left:1.1rem}h1{font-size:1.6rem}}
`;

const INIT = `
(function () {
  var charts = document.querySelectorAll('[data-chart]');
  window.ipcbenchViews = {};
  charts.forEach(function (el) {
    var id = el.getAttribute('data-chart');
    var spec = JSON.parse(document.getElementById('spec-' + id).textContent);
    // On a narrow screen the headline chart shrinks its panels to fit (axis and legend take about 190 px);
    // the small multiples keep their size and scroll inside their box.
    if (el.hasAttribute('data-fit') && spec.spec && el.clientWidth < spec.spec.width + 200) {
      spec.spec.width = Math.max(140, el.clientWidth - 200);
      spec.columns = 1;
    }
    vegaEmbed(el, spec, { renderer: 'svg', actions: false })
      .then(function (res) { window.ipcbenchViews[id] = res.view; el.setAttribute('data-rendered', 'ok'); })
      .catch(function (err) {
        el.setAttribute('data-rendered', 'error');
        el.textContent = 'This chart could not be drawn: ' + err.message;
        console.error('chart ' + id + ':', err);
      });
  });
})();
`;

/**
 * Sorting and filtering for every data table, without a framework: the tables are complete HTML without
 * JavaScript; with it, each header becomes a sort button and a search box above the table hides the rows that
 * do not contain every word typed.
 */
const TABLES = `
(function () {
  function cellValue(row, i, numeric) {
    var text = row.cells[i] ? row.cells[i].textContent.trim() : '';
    if (!numeric) return text.toLowerCase();
    var v = parseFloat(text.replace(/,/g, ''));
    return isNaN(v) ? null : v;
  }
  document.querySelectorAll('table.data').forEach(function (table, n) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = th.textContent;
      button.title = 'sort by ' + th.textContent;
      th.textContent = '';
      th.appendChild(button);
      button.addEventListener('click', function () {
        var numeric = th.classList.contains('num');
        var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        var sorted = rows.slice().sort(function (a, b) {
          var x = cellValue(a, i, numeric), y = cellValue(b, i, numeric);
          if (x === y) return 0;
          if (x === null) return 1;
          if (y === null) return -1;
          return (x < y ? -1 : 1) * dir;
        });
        sorted.forEach(function (r) { body.appendChild(r); });
      });
    });
    if (rows.length < 2) return;
    var box = document.createElement('div');
    box.className = 'filter';
    var label = document.createElement('label');
    var input = document.createElement('input');
    input.type = 'search';
    input.id = 'filter-' + n;
    input.placeholder = 'e.g. kdbus 64 cross-core';
    label.htmlFor = input.id;
    label.textContent = 'Filter rows:';
    var count = document.createElement('output');
    count.textContent = rows.length + ' rows';
    box.appendChild(label); box.appendChild(input); box.appendChild(count);
    table.parentNode.parentNode.insertBefore(box, table.parentNode);
    input.addEventListener('input', function () {
      var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + ' of ' + rows.length + ' rows';
    });
  });
})();
`;

export interface HtmlOptions {
  generatedAt?: Date;
}

const BADGE: Partial<Record<Finding['status'], string>> = {
  emulated: '<span class="badge emulated">emulated: ordering only</span>',
  noisy: '<span class="badge noisy">too noisy to rely on</span>',
};

/** A badge on a finding whose figures rest on cases that missed the precision target (the '*' in its text). */
function imprecise(f: Finding): string {
  if (!f.missed?.length) return '';
  const n = f.missed.length;
  return `<span class="badge imprecise" title="${escapeHtml(`missed ${targetText(f.missedTarget!)}: ${f.missed.join(', ')}`)}">${MISSED_MARK} ${n} case${n === 1 ? '' : 's'} missed ${escapeHtml(targetText(f.missedTarget!))}</span>`;
}

function findingsSection(findings: readonly Finding[]): string {
  const h = escapeHtml;
  const asserted = findings.filter((f) => f.status !== 'missing');
  const gaps = findings.filter((f) => f.status === 'missing');
  const note = missedNote(asserted);
  const items = asserted.map(
    (f) =>
      `<li class="finding" data-id="${h(f.id)}" data-status="${f.status}" data-env="${h(f.env ?? '')}" data-missed="${f.missed?.length ?? 0}"${f.number ? ` data-value="${f.number.value}" data-low="${f.number.low}" data-high="${f.number.high}" data-unit="${h(f.number.unit)}"` : ''}>` +
      `<span class="topic">${h(f.topic)}.</span>${BADGE[f.status] ?? ''}${imprecise(f)} <span class="text">${h(f.text)}</span>` +
      `<span class="where">Holds for: ${h(f.where)}</span></li>`,
  );
  const parts = [`<section id="findings"><h2>Findings</h2>`];
  parts.push(
    asserted.length
      ? `<p class="meta">Derived from the data below; every number is a median over repetitions with its bootstrap 95% confidence interval. Ratios compare transports measured in the same environment and kernel, never across.</p><ol class="findings">\n${items.join('\n')}\n</ol>` +
          (note ? `<p class="meta missed-note">${h(note)}</p>` : '')
      : '<p>No finding: the results have no successful case to compare.</p>',
  );
  if (gaps.length) {
    parts.push(
      `<h3 id="gaps">What these results cannot say</h3><ul class="gaps">${gaps.map((f) => `<li data-id="${h(f.id)}"><strong>${h(f.topic)}:</strong> ${h(f.text)}</li>`).join('\n')}</ul>`,
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

function figure(c: Chart): string {
  return `<figure id="fig-${c.id}">
<div class="vis" id="chart-${c.id}" data-chart="${c.id}"${c.id === 'headline' ? ' data-fit' : ''}></div>
<figcaption>${escapeHtml(c.description)}</figcaption>
<script type="application/json" id="spec-${c.id}">${jsonForScript(c.spec)}</script>
</figure>`;
}

export function renderHtml(model: ReportModel, opts: HtmlOptions = {}): string {
  const { charts, omitted } = buildCharts(model);
  const findings = computeFindings(model);
  const libs = bundledLibraries();
  const generatedAt = (opts.generatedAt ?? new Date()).toISOString();
  const tcg = hasTcg(model.runs);
  const h = escapeHtml;
  const parts: string[] = [];
  const headline = charts.find((c) => c.id === 'headline');
  const others = charts.filter((c) => c !== headline);
  const hasTrend = new Set(model.runs.map((r) => r.doc.host.env)).size < model.runs.length;

  parts.push(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:">
<meta name="generator" content="ipcbench report">
<title>ipcbench report — ${h(model.detailRuns.map((r) => r.doc.runId).join(', '))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>ipcbench report</h1>
<p class="meta">Generated ${h(generatedAt)} from ${model.runs.length} result file(s): ${model.runs.map((r) => `<code>${h(r.file)}</code>`).join(', ')}.
${model.runs.length > 1 ? `Charts and the summary show the last run per environment (${model.detailRuns.map((r) => `<code>${h(r.doc.runId)}</code>`).join(', ')}); the trend uses every run in the order given.` : ''}</p>
<p class="env">${h(environmentLine(model.detailRuns))}</p>
${tcg ? `<p class="note"><strong>Emulated figures.</strong> ${h(TCG_NOTE)}</p>` : ''}
<noscript><p class="note">JavaScript is off: the findings and tables are complete; the charts need JavaScript.</p></noscript>
`);

  parts.push(findingsSection(findings));
  // The contents come after the findings: the page opens with what was found.
  parts.push(`<nav><ul>
<li><a href="#findings">Findings</a></li>
${headline ? `<li><a href="#fig-headline">${h(headline.title)}</a></li>` : ''}
${others.map((c) => `<li><a href="#fig-${c.id}">${h(c.title)}</a></li>`).join('\n')}
<li><a href="#summary">Summary per case</a></li><li><a href="#transports">Transports and unavailable cases</a></li>
<li><a href="#host">Runs and host</a></li><li><a href="#warnings">Warnings</a></li>
${hasTrend ? '<li><a href="#trend">Trend table</a></li>' : ''}
</ul></nav>`);

  parts.push(`<h2 id="charts">Charts</h2>`);
  if (headline) parts.push(figure(headline));
  for (const c of others) parts.push(figure(c));
  if (omitted.length) {
    parts.push(`<p>Not drawn:</p><ul>${omitted.map((o) => `<li>${h(o.title)}: ${h(o.why)}</li>`).join('')}</ul>`);
  }

  parts.push(`<h2 id="summary">Summary per case</h2>
<p>Medians over repetitions (each repetition in fresh peer processes) with a bootstrap 95% confidence interval for p50.
Latencies are per round trip (rpc) or send→delivery (broadcast), in µs. CPU is user+system time of every process of the
case divided by operations. The last column divides p50 by the reference transport <code>${h(model.reference)}</code>'s p50 for the same case.</p>
<p class="env">${h(environmentLine(model.detailRuns))}${tcg ? ' — ' + h(TCG_NOTE) : ''}</p>`);
  parts.push(
    table(
      SUMMARY_COLUMNS.map((c) => c.header),
      model.detail.map((r) => SUMMARY_COLUMNS.map((c) => c.cell(r, model))),
      SUMMARY_COLUMNS.map((c) => c.numeric),
      { cls: 'summary' },
    ),
  );
  const missedNote = missedTableNote(model.detail);
  if (missedNote) parts.push(`<p class="meta missed-note">${h(missedNote)}</p>`);

  parts.push(`<h2 id="transports">Transports and unavailable cases</h2>`);
  const tRows = model.detailRuns.flatMap((r) =>
    r.doc.transports.map((t) => [r.doc.host.env, t.name, t.available ? 'available' : 'unavailable', t.version ?? '', t.reason ?? '']),
  );
  parts.push(table(['env', 'transport', 'status', 'version', 'why not'], tRows, [], { cls: 'transports' }));
  const notOk = model.detail.filter((r) => r.state !== 'ok');
  parts.push(
    notOk.length
      ? `<p>Cases that did not produce numbers:</p>` +
          table(
            ['env', 'case', 'state', 'reason'],
            notOk.map((r) => [r.env, r.label, r.state, r.reason ?? '']),
          )
      : '<p>Every case ran.</p>',
  );

  // Runs and host metadata.
  const hostRows = model.runs.map((r) => {
    const x = r.doc.host;
    return [
      String(r.index + 1),
      r.doc.runId,
      x.env,
      r.doc.startedAt,
      r.doc.complete ? 'yes' : r.doc.interrupted ? 'interrupted' : 'no',
      x.hostname,
      x.cpuModel,
      `${x.onlineCpus}/${x.cores}`,
      x.smt,
      x.governor,
      x.kernel,
      x.virtualization,
      x.loadAverage.map((l) => l.toFixed(2)).join(' '),
      `${(x.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
      x.node,
      x.addon,
      x.ipcbench,
      x.gitSha,
    ];
  });
  parts.push(`<h2 id="host">Runs and host</h2>`);
  parts.push(
    table(
      [
        '#',
        'run',
        'env',
        'started',
        'complete',
        'host',
        'CPU',
        'CPUs online/cores',
        'SMT',
        'governor',
        'kernel',
        'virtualization',
        'load avg',
        'memory',
        'node',
        'addon',
        'ipcbench',
        'git',
      ],
      hostRows,
    ),
  );

  parts.push(`<h2 id="warnings">Warnings</h2>`);
  const warnings = model.runs.flatMap((r) => r.doc.warnings.map((w) => [r.doc.runId, r.doc.host.env, w]));
  parts.push(warnings.length ? table(['run', 'env', 'warning'], warnings) : '<p>None recorded.</p>');

  if (hasTrend) {
    // The trend as a table too, so it reads without JavaScript: one column per run, in the order given.
    const okRows = model.rows.filter((r) => r.state === 'ok' && r.metrics['p50']);
    const byCase = new Map<string, Map<number, string>>();
    for (const r of okRows) {
      const key = r.label;
      if (!byCase.has(key)) byCase.set(key, new Map());
      byCase.get(key)!.set(r.runIndex, fmt(r.metrics['p50']!.median));
    }
    parts.push(`<h2 id="trend">Trend: p50 latency (µs) per run</h2>`);
    parts.push(
      table(
        ['case', ...model.runs.map((r) => `${r.index + 1}: ${r.doc.runId}`)],
        [...byCase].map(([label, cells]) => [label, ...model.runs.map((r) => cells.get(r.index) ?? '–')]),
        [false, ...model.runs.map(() => true)],
      ),
    );
  }

  parts.push(`<p class="meta">Charts: ${libs.map((l) => `${l.name} ${l.version}`).join(', ')}, inlined. ${fmt(charts.length)} chart(s).</p>`);
  parts.push(`<script>${TABLES}</script>`);
  for (const lib of libs) parts.push(`<script data-lib="${lib.name}">\n${lib.code}\n</script>`);
  parts.push(`<script>${INIT}</script>\n</body>\n</html>\n`);
  return parts.join('\n');
}
