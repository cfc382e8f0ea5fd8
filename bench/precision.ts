// Precision per second (issue: the default matrix converges within its time budget). Runs ONE default
// `ipcbench run` (or reads a result file) and prints what a newcomer's default run achieved:
//   the share of cases whose median p50 is known within ±2% (95% CI half-width, the run's --ci-target),
//   the median case's CI half-width, and the wall time of the run,
// with the load average before and after, because on a shared machine the numbers depend on it.
// A measurement script, not a test.
//
// usage: node dist/bench/precision.js [--result file.json] [-- extra run options]
import { execa } from 'execa';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './native.js';
import { readResultFile, type ResultDocument } from './result.js';
import { median, quantileSorted } from './statistics/index.js';

const { values, positionals } = parseArgs({ options: { result: { type: 'string' } }, allowPositionals: true });

async function defaultRun(extra: string[]): Promise<{ doc: ResultDocument; wallMs: number }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'ipcbench-precision-'));
  try {
    const t0 = performance.now();
    const r = await execa(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'cli.js'), 'run', '--no-progress', '--out', dir, ...extra], {
      reject: false,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const wallMs = performance.now() - t0;
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`ipcbench run wrote no result (exit ${r.exitCode})`);
    const last = String(r.stdout).trim().split('\n').pop();
    process.stdout.write(`run's last line: ${last}\n`);
    return { doc: await readResultFile(join(dir, file)), wallMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const loadBefore = os.loadavg();
async function fromFile(file: string): Promise<{ doc: ResultDocument; wallMs: number }> {
  const doc = await readResultFile(file);
  return { doc, wallMs: Date.parse(doc.finishedAt ?? '') - Date.parse(doc.startedAt) };
}
const { doc, wallMs } = values.result ? await fromFile(values.result) : await defaultRun(positionals);
const loadAfter = os.loadavg();

const measured = doc.cases.filter((c) => c.state === 'ok' && c.precision);
const widths = measured.map((c) => c.precision!.halfWidth ?? Infinity).sort((a, b) => a - b);
const target = measured[0]?.precision?.target ?? 0.02;
const within = widths.filter((w) => w <= target).length;
const pct = (x: number) => (Number.isFinite(x) ? `±${(x * 100).toFixed(2)}%` : '∞');
const reps = measured.map((c) => c.repetitions.length);
const rows = [
  [
    'cases measured',
    `${measured.length} (of ${doc.cases.length}; ${doc.cases.filter((c) => c.state === 'errored').length} errored, ${doc.cases.filter((c) => c.state === 'skipped' || c.state === 'unavailable').length} skipped/unavailable)`,
  ],
  [`cases within ${pct(target)}`, `${within} of ${measured.length} = ${((within / Math.max(1, measured.length)) * 100).toFixed(1)}%   (target >= 90%)`],
  ['median case CI half-width', `${pct(median(widths))}   (target <= ±1%)`],
  ['90th percentile half-width', pct(quantileSorted(widths, 0.9))],
  ['repetitions per case', `median ${median(reps)}, min ${Math.min(...reps)}, max ${Math.max(...reps)}, total ${reps.reduce((a, b) => a + b, 0)}`],
  [
    'wall time',
    `${(wallMs / 1000).toFixed(1)} s${doc.precision?.budgetMs ? ` (budget ${(doc.precision.budgetMs / 1000).toFixed(0)} s)` : ''}   (target <= ~180 s)`,
  ],
  [
    'load average',
    `before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')} (${os.availableParallelism()} CPUs)`,
  ],
  ['run', `${doc.runId}, ${doc.argv.join(' ')}`],
];
const w = Math.max(...rows.map((r) => r[0]!.length));
for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(w)}  ${v}\n`);
const byGroup = new Map<string, number[]>();
for (const c of measured) {
  const g = `${c.key.workload} ${c.key.workload === 'rpc' ? c.key.placement : ''}`.trim();
  byGroup.set(g, [...(byGroup.get(g) ?? []), c.precision!.halfWidth ?? Infinity]);
}
for (const [g, ws] of byGroup)
  process.stdout.write(`  ${g.padEnd(w - 2)}  ${ws.filter((x) => x <= target).length}/${ws.length} within, median ${pct(median(ws))}\n`);
