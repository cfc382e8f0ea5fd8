// Precision per second (issue: the default matrix converges within its time budget). Runs ONE default
// `ipcbench run` (or reads a result file) and prints what a newcomer's default run achieved:
//   the share of cases whose median p50 is known within ±2% (95% CI half-width, the run's --ci-target),
//   the median case's CI half-width, and the wall time of the run,
// with the load average before and after, because on a shared machine the numbers depend on it.
// It runs the default HOST matrix (`--no-lab`: the lab's emulated kernel transports are a separate, optional
// part of a run with their own fixed repetitions). It also prints, per group, what the cases that missed would
// need: further repetitions by the 1/√n law from their current half-width, at the run's measured cost per
// repetition — the arithmetic behind the default matrix (docs/statistics.md).
// A measurement script, not a test.
//
// It also prints the machine-wide effect of every round of repetitions (repetition index i of every case ran in
// the same stretch of the run): the median over cases of how far their i-th repetition's p50 lay from the case's
// median. A round that all cases found slower is load on the machine, not noise of any one case.
//
// usage: node dist/bench/precision.js [--result file.json] [--keep DIR] [-- extra run options]
import { execa } from 'execa';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { scriptArgs } from '../common/script-args.js';
import { REPO_ROOT } from './native.js';
import { machineSpeedLines } from './machine-speed.js';
import { readResultFile, type ResultDocument } from './result.js';
import { resultFileArgument } from './study/result-input.js';
import { median, quantileSorted } from './statistics/index.js';

const { values, positionals } = scriptArgs(
  { options: { result: { type: 'string' }, keep: { type: 'string' } }, allowPositionals: true },
  'node dist/bench/precision.js [--result file.json] [--keep DIR] [-- extra run options]',
);

async function defaultRun(extra: string[]): Promise<{ doc: ResultDocument; wallMs: number }> {
  const dir = values.keep ?? (await mkdtemp(join(os.tmpdir(), 'ipcbench-precision-')));
  try {
    const t0 = performance.now();
    const r = await execa(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'cli.js'), 'run', '--no-progress', '--no-lab', '--out', dir, ...extra], {
      reject: false,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const wallMs = performance.now() - t0;
    const file = (await readdir(dir))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .pop();
    if (!file) throw new Error(`ipcbench run wrote no result (exit ${r.exitCode})`);
    const last = String(r.stdout).trim().split('\n').pop();
    process.stdout.write(`ipcbench run ${['--no-progress', '--no-lab', ...extra].join(' ')}\nrun's last line: ${last}\n`);
    return { doc: await readResultFile(join(dir, file)), wallMs };
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

const loadBefore = os.loadavg();
async function fromFile(file: string): Promise<{ doc: ResultDocument; wallMs: number }> {
  const doc = await resultFileArgument(file);
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
// per group: how many met, the median width, the repetitions, and what the others would need (1/√n law)
const totalReps = reps.reduce((a, b) => a + b, 0);
const msPerRep = wallMs / Math.max(1, totalReps);
const byGroup = new Map<string, typeof measured>();
for (const c of measured) {
  const g = `${c.key.workload} ${c.key.workload === 'rpc' ? c.key.placement : `${c.key.subscribers ?? ''} sub`}`.trim();
  byGroup.set(g, [...(byGroup.get(g) ?? []), c]);
}
const need = (c: (typeof measured)[number]) => {
  const hw = c.precision!.halfWidth ?? Infinity;
  const n = c.repetitions.length;
  if (hw <= target) return 0;
  // below 3 repetitions the interval is [min, max] of two values: its width says too little to project from
  if (!Number.isFinite(hw) || n < 3) return Infinity;
  return Math.max(1, Math.ceil(n * (hw / target) ** 2) - n);
};
process.stdout.write(`per group (mean cost per repetition over the run: ${msPerRep.toFixed(0)} ms):\n`);
let allNeed = 0;
let unknown = 0;
for (const [g, cs] of [...byGroup].sort()) {
  const ws = cs.map((c) => c.precision!.halfWidth ?? Infinity);
  const more = cs.map(need);
  const finite = more.filter(Number.isFinite);
  allNeed += finite.reduce((a, b) => a + b, 0);
  unknown += more.length - finite.length;
  process.stdout.write(
    `  ${g.padEnd(w - 2)}  ${ws.filter((x) => x <= target).length}/${ws.length} within, median ${pct(median(ws))}, repetitions median ${median(cs.map((c) => c.repetitions.length))}; ` +
      `the others need ~${finite.reduce((a, b) => a + b, 0)} more repetitions${more.length - finite.length ? ` (+${more.length - finite.length} marked cases with < 3 repetitions: not projected)` : ''}\n`,
  );
}
process.stdout.write(
  `every case within ${pct(target)} would need ~${allNeed} more repetitions ≈ ${((allNeed * msPerRep) / 60000).toFixed(1)} min more at ${msPerRep.toFixed(0)} ms each${unknown ? ` (${unknown} marked cases with fewer than 3 repetitions not counted)` : ''}\n`,
);
// machine-wide round effects: repetition i of every case ran in the same stretch of the run
const effects: string[] = [];
for (let i = 0; ; i++) {
  const dev = measured.flatMap((c) => {
    const r = c.repetitions.find((x) => x.index === i);
    if (!r || c.repetitions.length < 3) return [];
    return [Math.log(r.latency.p50) - Math.log(median(c.repetitions.map((x) => x.latency.p50)))];
  });
  if (dev.length < 10) break;
  effects.push(`${i + 1}: ${median(dev) >= 0 ? '+' : ''}${((Math.exp(median(dev)) - 1) * 100).toFixed(1)}% (${dev.length})`);
}
process.stdout.write(
  `round effects (repetition i of the cases with >= 3, median p50 vs the case's median; cases):\n  ${effects.join(', ') || 'too few cases with 3 repetitions'}\n`,
);
const speed = machineSpeedLines(doc, 10);
if (speed) process.stdout.write(`machine speed over the run (the speed probe before each repetition): ${speed.join('\n')}\n`);
