import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCharts } from './charts.js';
import { syntheticResult, writeSyntheticResult, type SyntheticOptions } from './fixtures/synthetic.js';
import { renderHtml } from './html.js';
import { buildModel, TCG_NOTE, type LoadedRun } from './model.js';
import { writeReport } from './report.js';
import { tempDir } from './test-support.js';

const opts: SyntheticOptions = {
  transports: ['pipe', 'unix-stream', 'dbus-daemon'],
  sizes: [64, 4096],
  subscribers: [1, 4],
  repetitions: 4,
  histogramSamples: 30,
  unavailable: { binder: 'binderfs is not mounted (modprobe binder_linux)' },
};
const run = (doc = syntheticResult(opts), index = 0, file = `run${index}.json`): LoadedRun => ({ file, index, doc });

test('the HTML report is self-contained: no external scripts, styles or fetches', () => {
  const html = renderHtml(buildModel([run()]));
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+href=/i);
  assert.doesNotMatch(html, /sourceMappingURL=/);
  assert.match(html, /connect-src|default-src 'none'/, 'a CSP forbids network access');
  for (const lib of ['vega', 'vega-lite', 'vega-embed']) assert.match(html, new RegExp(`<script data-lib="${lib}">`));
});

test('the HTML tables carry the summary, the host metadata and why transports were unavailable', () => {
  const html = renderHtml(buildModel([run()]));
  assert.match(html, /<table class="data summary">/);
  assert.match(html, /Synthetic CPU @ 3\.0GHz/);
  assert.match(html, /binderfs is not mounted \(modprobe binder_linux\)/);
  assert.match(html, /environment: host/);
});

test('every applicable chart has a vega-lite spec with data, axis titles with units and the environment', () => {
  const { charts, omitted } = buildCharts(buildModel([run()]));
  assert.deepEqual(
    charts.map((c) => c.id),
    ['latency-vs-size', 'percentile-spectrum', 'throughput', 'cpu-per-call', 'broadcast', 'broadcast-cpu', 'ratio'],
  );
  assert.deepEqual(
    omitted.map((o) => o.id),
    ['headline', 'trend'],
    'no kdbus: no headline; one file: no trend',
  );
  assert.match(omitted[0]!.why, /kdbus has no results/);
  for (const c of charts) {
    const text = JSON.stringify(c.spec);
    assert.match(text, /"values":\[\{/, `${c.id} has rows`);
    assert.match(text, /environment: host/, `${c.id} names the environment`);
    const titles = [...text.matchAll(/"title":"([^"]*)"/g)].map((m) => m[1]!);
    assert.ok(
      titles.some((t) => /\((µs|bytes|calls\/s|MB\/s|ratio.*)\)/.test(t)),
      `${c.id} has an axis title with a unit: ${titles.join(' | ')}`,
    );
  }
});

test('emulated (lab-tcg) results carry the coarse-ordering note on every chart and in the tables', () => {
  const model = buildModel([run(syntheticResult({ ...opts, env: 'lab-tcg' }))]);
  for (const c of buildCharts(model).charts) assert.ok(JSON.stringify(c.spec).includes(TCG_NOTE), c.id);
  assert.ok(renderHtml(model).includes(TCG_NOTE));
});

test('several result files give a trend with one point per run, in order', () => {
  const runs = [1, 2, 3].map((seed, i) => run(syntheticResult({ ...opts, seed, runId: `night-${seed}` }), i));
  const trend = buildCharts(buildModel(runs)).charts.find((c) => c.id === 'trend');
  assert.ok(trend);
  const rows = (trend.spec as unknown as { data: { values: { run: string; transport: string; size: number }[] } }).data.values;
  const pipe64 = rows.filter((r) => r.transport === 'pipe' && r.size === 64).map((r) => r.run);
  assert.deepEqual(pipe64, ['1: night-1', '2: night-2', '3: night-3']);
  const html = renderHtml(buildModel(runs));
  assert.match(html, /<h2 id="trend">/, 'the trend is also a table, readable without JavaScript');
  assert.match(html, /<th class="num" scope="col">3: night-3<\/th>/);
});

test('runs of different environments side by side are not a trend', () => {
  const model = buildModel([run(syntheticResult(opts), 0), run(syntheticResult({ ...opts, env: 'lab-kvm' }), 1)]);
  const { charts, omitted } = buildCharts(model);
  assert.match(omitted.find((o) => o.id === 'trend')!.why, /only one run/);
  const latency = JSON.stringify(charts.find((c) => c.id === 'latency-vs-size')!.spec);
  assert.match(latency, /"panel":"pipes and sockets\\nlab-kvm · cross-core"/, 'both environments are drawn, each in its own panels');
  assert.match(latency, /"panel":"pipes and sockets\\nhost · cross-core"/);
  assert.match(latency, /environment: host .* · lab-kvm/);
});

test('the ratio chart is omitted with a reason when the reference transport is missing', () => {
  const { omitted } = buildCharts(buildModel([run()], 'kdbus'));
  assert.match(omitted.find((o) => o.id === 'ratio')!.why, /kdbus/);
});

test('--format svg renders one static SVG per chart in Node, with marks', async (t) => {
  const dir = tempDir(t);
  const file = await writeSyntheticResult(join(dir, 'run.json'), opts);
  const written = await writeReport([file], { format: 'svg', output: join(dir, 'svg') });
  assert.equal(written.length, 7);
  for (const name of readdirSync(join(dir, 'svg'))) {
    const svg = readFileSync(join(dir, 'svg', name), 'utf8');
    assert.match(svg, /^<svg /, name);
    assert.match(svg, /class="mark-(line|rect|symbol|area)/, `${name} has marks`);
    assert.match(svg, /environment: host/, `${name} names the environment`);
  }
});

test('CSV has one row per case and every metric with its interval', async (t) => {
  const dir = tempDir(t);
  const file = await writeSyntheticResult(join(dir, 'run.json'), opts);
  let out = '';
  await writeReport([file], { format: 'csv', stdout: (s) => (out += s) });
  const [header, ...rows] = out.trim().split('\n');
  assert.match(header!, /^run_index,run_id,file,env,transport,workload,size_bytes,/);
  assert.match(header!, /p50_us,p50_us_low,p50_us_high/);
  assert.equal(rows.length, 3 * 2 + 3 * 2 + 1);
  const cols = header!.split(',').length;
  for (const r of rows.filter((x) => !x.includes('"'))) assert.equal(r.split(',').length, cols);
});
