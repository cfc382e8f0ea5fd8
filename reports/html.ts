// One self-contained HTML report: tables that read without JavaScript, and vega-lite charts rendered by vega,
// vega-lite and vega-embed inlined from node_modules, so the file works offline and from file://.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildCharts } from './charts.js';
import { environmentLine, fmt, hasTcg, TCG_NOTE, type ReportModel } from './model.js';
import { SUMMARY_COLUMNS } from './summary-table.js';

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

function table(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[] = [], cls = ''): string {
  const th = headers.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''} scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:1rem 2rem;color:#1d1d1f}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta,.env{color:#555}.env{font-size:12px}
.note{background:#fff4d6;border:1px solid #e6c36b;padding:.5rem .8rem;border-radius:4px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f7}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fdecea}
figure{margin:1.5rem 0}figcaption{color:#444;max-width:80ch}
.vis{min-height:60px}
nav ul{columns:2;padding-left:1.2rem}
code{background:#f5f5f7;padding:0 .2rem}
`;

const INIT = `
(function () {
  var charts = document.querySelectorAll('[data-chart]');
  charts.forEach(function (el) {
    var spec = JSON.parse(document.getElementById('spec-' + el.getAttribute('data-chart')).textContent);
    vegaEmbed(el, spec, { renderer: 'svg', actions: false })
      .then(function () { el.setAttribute('data-rendered', 'ok'); })
      .catch(function (err) {
        el.setAttribute('data-rendered', 'error');
        el.textContent = 'This chart could not be drawn: ' + err.message;
        console.error('chart ' + el.getAttribute('data-chart') + ':', err);
      });
  });
})();
`;

export interface HtmlOptions {
  generatedAt?: Date;
}

export function renderHtml(model: ReportModel, opts: HtmlOptions = {}): string {
  const { charts, omitted } = buildCharts(model);
  const libs = bundledLibraries();
  const generatedAt = (opts.generatedAt ?? new Date()).toISOString();
  const tcg = hasTcg(model.runs);
  const h = escapeHtml;
  const parts: string[] = [];

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
<noscript><p class="note">JavaScript is off: the tables below are complete; the charts need JavaScript.</p></noscript>
<nav><ul>
<li><a href="#host">Runs and host</a></li><li><a href="#warnings">Warnings</a></li>
<li><a href="#transports">Transports and unavailable cases</a></li><li><a href="#summary">Summary per case</a></li>
${new Set(model.runs.map((r) => r.doc.host.env)).size < model.runs.length ? '<li><a href="#trend">Trend table</a></li>' : ''}
${charts.map((c) => `<li><a href="#fig-${c.id}">${h(c.title)}</a></li>`).join('\n')}
</ul></nav>`);

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

  parts.push(`<h2 id="transports">Transports and unavailable cases</h2>`);
  const tRows = model.detailRuns.flatMap((r) =>
    r.doc.transports.map((t) => [r.doc.host.env, t.name, t.available ? 'available' : 'unavailable', t.version ?? '', t.reason ?? '']),
  );
  parts.push(table(['env', 'transport', 'status', 'version', 'why not'], tRows));
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
      'summary',
    ),
  );

  const hasTrend = new Set(model.runs.map((r) => r.doc.host.env)).size < model.runs.length;
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

  parts.push(`<h2 id="charts">Charts</h2>`);
  for (const c of charts) {
    parts.push(`<figure id="fig-${c.id}">
<div class="vis" id="chart-${c.id}" data-chart="${c.id}"></div>
<figcaption>${h(c.description)}</figcaption>
<script type="application/json" id="spec-${c.id}">${jsonForScript(c.spec)}</script>
</figure>`);
  }
  if (omitted.length) {
    parts.push(`<p>Not drawn:</p><ul>${omitted.map((o) => `<li>${h(o.title)}: ${h(o.why)}</li>`).join('')}</ul>`);
  }
  parts.push(`<p class="meta">Charts: ${libs.map((l) => `${l.name} ${l.version}`).join(', ')}, inlined. ${fmt(charts.length)} chart(s).</p>`);
  for (const lib of libs) parts.push(`<script data-lib="${lib.name}">\n${lib.code}\n</script>`);
  parts.push(`<script>${INIT}</script>\n</body>\n</html>\n`);
  return parts.join('\n');
}
