// SPDX-License-Identifier: MIT
// The terminal table, the HTML report and `compare` print the same numbers for the same result file: each reads the
// stored summary through the metric table (bench/metrics.ts) and prints it with formatValue(). The file is a
// synthetic result (reports/fixtures/synthetic.ts: real encoded histograms, values from 0.6 µs to 10^5 ops/s, so
// different magnitudes and roundings are exercised), written to disk and read back as every command reads it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatSize, summaryText } from './cli/format.js';
import { formatValue, metric } from './metrics.js';
import { caseLabel, readResultFile, type CaseResult, type ResultDocument } from './result.js';
import { compareResults } from '../reports/compare.js';
import { formatText } from '../reports/compare-format.js';
import { renderHtml } from '../reports/html.js';
import { buildModel } from '../reports/model.js';
import { writeSyntheticResult } from '../reports/fixtures/synthetic.js';

/** The metrics each output shows for every case of its workload (compare is asked for all of them). */
const RPC = ['p50', 'p99', 'throughput', 'cpuPerOp'];
const BROADCAST = ['p50', 'cpu.publisher'];

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function resultFile(): Promise<{ file: string; doc: ResultDocument }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-agree-'));
  dirs.push(dir);
  const file = join(dir, 'run.json');
  await writeSyntheticResult(file, { transports: ['shm-spin', 'pipe', 'dbus-daemon'], sizes: [64, 65536], subscribers: [3], repetitions: 5, seed: 11 });
  return { file, doc: await readResultFile(file) };
}

/** The first number of a cell ("6.30 ±1.2%", "6.30 [6.10, 6.52]", "123,457"), as printed. */
function leading(cell: string | undefined): string | undefined {
  return cell?.trim().split(/\s+/)[0];
}

type Printed = Map<string, Record<string, string | undefined>>;

/** Terminal: cli-table3 rows, cells between '│'; columns by their heading (metric table: "label (unit)"). */
function fromTerminal(text: string, doc: ResultDocument): Printed {
  const out: Printed = new Map();
  let heads: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('│')) continue;
    const cells = line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] === 'transport') {
      heads = cells;
      continue;
    }
    const c = doc.cases.find(
      (x) =>
        x.key.transport === cells[0] &&
        formatSize(x.key.size) === cells[1] &&
        x.key.placement === cells[2] &&
        (x.key.workload === 'rpc' ? !heads.includes('N') : heads.includes('N') && String(x.key.subscribers) === cells[3]),
    );
    assert.ok(c, `terminal row matches a case: ${line}`);
    const row: Record<string, string | undefined> = {};
    for (const id of [...RPC, ...BROADCAST]) {
      const m = metric(id);
      const i = heads.findIndex((h) => h === `${m.label} (${m.unit})`);
      if (i >= 0) row[id] = leading(cells[i]);
    }
    out.set(caseLabel(c.key), row);
  }
  return out;
}

/** HTML report: the summary table's rows; CPU per role is inside the "CPU by process" cell ("publisher 1.23, ..."). */
function fromHtml(html: string, doc: ResultDocument): Printed {
  const table = /<table class="data summary">([\s\S]*?)<\/table>/.exec(html)?.[1];
  assert.ok(table, 'the report has its summary table');
  const cellsOf = (row: string, tag: string) =>
    [...row.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!.replace(/&amp;/g, '&'));
  const heads = cellsOf(/<thead>([\s\S]*?)<\/thead>/.exec(table)![1]!, 'th');
  const col = (name: string) => heads.indexOf(name);
  const out: Printed = new Map();
  for (const tr of /<tbody>([\s\S]*?)<\/tbody>/
    .exec(table)![1]!
    .split('</tr>')
    .filter((r) => r.includes('<td'))) {
    const cells = cellsOf(tr, 'td');
    const c = doc.cases.find(
      (x) =>
        x.key.transport === cells[col('transport')] &&
        String(x.key.size) === cells[col('size (B)')] &&
        cells[col('workload')]!.startsWith(x.key.workload === 'rpc' ? 'rpc' : `broadcast N=${x.key.subscribers}`),
    );
    assert.ok(c, `report row matches a case: ${cells.join(' | ')}`);
    const row: Record<string, string | undefined> = {};
    for (const id of [...RPC, ...BROADCAST]) {
      const m = metric(id);
      const i = heads.findIndex((h) => h === `${m.label} (${m.unit})` || h === `${m.label} (${m.unit}) [95% CI]`);
      if (i >= 0) row[id] = leading(cells[i]);
    }
    const role = /publisher ([^,\s]+)/.exec(cells[heads.findIndex((h) => h.startsWith('CPU by process'))] ?? '');
    if (role) row['cpu.publisher'] = role[1];
    out.set(caseLabel(c.key), row);
  }
  return out;
}

/** compare (the file against itself, --verbose so every row is shown): case | metric | baseline | current | ... */
function fromCompare(text: string, doc: ResultDocument): Printed {
  const out: Printed = new Map();
  const labels = new Set(doc.cases.map((c) => caseLabel(c.key)));
  for (const line of text.split('\n')) {
    const cells = line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim());
    if (!labels.has(cells[0]!)) continue;
    const def = [...RPC, ...BROADCAST].map(metric).find((m) => cells[1] === `${m.label} (${m.unit})`);
    assert.ok(def, `compare row names a metric by the table: ${line}`);
    assert.equal(cells[2], cells[3], 'the same file on both sides');
    const row = out.get(cells[0]!) ?? {};
    row[def.id] = cells[2];
    out.set(cells[0]!, row);
  }
  return out;
}

function expected(c: CaseResult): Record<string, string | undefined> {
  const ids = c.key.workload === 'rpc' ? RPC : BROADCAST;
  return Object.fromEntries(ids.map((id) => [id, formatValue(c.summary![id]?.median)]));
}

test('the terminal table, the HTML report and compare print the same numbers for the same result file', async () => {
  const { file, doc } = await resultFile();
  const terminal = fromTerminal(summaryText(doc, file), doc);
  const html = fromHtml(renderHtml(buildModel([{ file, index: 0, doc }]), { generatedAt: new Date(0) }), doc);
  const comparison = compareResults(doc, doc, { baseline: file, current: file }, { metrics: [...new Set([...RPC, ...BROADCAST])] });
  const compare = fromCompare(formatText(comparison, true), doc);
  assert.equal(doc.cases.length, 9, '6 RPC + 3 broadcast cases');
  for (const c of doc.cases) {
    const label = caseLabel(c.key);
    const want = expected(c);
    for (const [name, printed] of [
      ['terminal', terminal],
      ['HTML report', html],
      ['compare', compare],
    ] as const) {
      const got = printed.get(label);
      assert.ok(got, `${name} shows ${label}`);
      for (const [id, value] of Object.entries(want)) assert.equal(got[id], value, `${name}, ${label}, ${id}`);
    }
  }
  // the magnitudes the fixture spans: below 1 µs, tens of µs, thousands of ops/s (grouped digits)
  const shown = [...terminal.values()].flatMap((r) => Object.values(r));
  assert.ok(shown.some((v) => v?.startsWith('0.')));
  assert.ok(shown.some((v) => v?.includes(',')));
});
