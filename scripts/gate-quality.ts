// Gate quality (issue: CI gating that does not cry wolf). A measurement script, not a test. It builds the spin
// test plug-in (native/test-plugins/spin.c) twice — two files of identical code, like a main and a PR build — and
// runs, interleaved, K rounds of:
//   - one A/A gate: `ipcbench gate --baseline A.so --candidate B.so` on the docs/ci.md case list
//     (RPC, 64 B and 4 KiB, same-core and cross-core): a failure is a false alarm;
//   - one detection gate per size (64 B, 4 KiB, same-core): the candidate spins 5% of the baseline's p50 per call
//     (IPCBENCH_SPIN_NS, measured first), an exact injected regression: a pass is a miss.
// and prints the false-alarm rate, the detection rate and the gate wall times, plus the A/A false-alarm rate of
// `compare` between separate runs with the calibrated noise model (calibrated on the first half of the A/A
// gates' baseline runs, tested on the second half), beside it. A running tally is printed after every round.
//
// usage: scripts/gate-quality [--rounds 30] [--pairs 8] [--out DIR]
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../common/addon.js';
import { parseResultDocument, type ResultDocument } from '../bench/result.js';
import { median } from '../bench/statistics/index.js';
import { compareResults } from '../reports/compare.js';
import { calibrateFromPairs } from '../reports/noise-model.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, pairs: { type: 'string', default: '8' }, out: { type: 'string' } } });
const rounds = Number(values.rounds);
const pairs = values.pairs!;
const CLI = join(REPO_ROOT, 'dist', 'bench', 'cli.js');
const work = await mkdtemp(join(os.tmpdir(), 'ipcbench-gate-quality-'));
const out = values.out ?? join(work, 'results');

async function cc(file: string): Promise<void> {
  await execa('cc', [
    '-O2',
    '-Wall',
    '-Wextra',
    '-fPIC',
    '-shared',
    '-I',
    join(REPO_ROOT, 'native', 'include'),
    '-o',
    file,
    join(REPO_ROOT, 'native', 'test-plugins', 'spin.c'),
  ]);
}

async function gate(args: string[]): Promise<{ code: number; seconds: number; dir: string }> {
  const t0 = performance.now();
  const r = await execa(process.execPath, [CLI, 'gate', '--no-progress', '--out', out, '--pairs', pairs, '--max-pairs', pairs, ...args], { reject: false });
  const seconds = (performance.now() - t0) / 1000;
  const m = /results in (\S+) /.exec(String(r.stderr));
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`gate exited ${r.exitCode}: ${String(r.stderr).split('\n').slice(-3).join(' ')}`);
  return { code: r.exitCode ?? -1, seconds, dir: m?.[1] ?? '' };
}

async function readDoc(file: string): Promise<ResultDocument> {
  return parseResultDocument(JSON.parse(await readFile(file, 'utf8')), file);
}

try {
  const A = join(work, 'libspin-main.so');
  const B = join(work, 'libspin-pr.so');
  await cc(A);
  await cc(B);
  process.stdout.write(
    `gate quality: ${rounds} rounds, ${pairs} pairs per case; host ${os.hostname()}, ${os.availableParallelism()} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );

  // the size of a 5% regression: 5% of the baseline's same-core p50 at each size
  const cal = await execa(
    process.execPath,
    [
      CLI,
      'run',
      '--plugin',
      `${A}=spin`,
      '--workloads',
      'rpc',
      '--sizes',
      '64,4K',
      '--placement',
      'same-core',
      '--budget',
      '40s',
      '--no-progress',
      '--out',
      join(work, 'cal'),
    ],
    { reject: false },
  );
  if (cal.exitCode !== 0) throw new Error(`calibration run failed: ${String(cal.stderr).slice(-300)}`);
  const calDoc = await readDoc(
    join(
      work,
      'cal',
      (await readdir(join(work, 'cal'))).find((f) => f.endsWith('.json'))!,
    ),
  );
  const spin: Record<string, number> = {};
  for (const c of calDoc.cases) spin[c.key.size === 64 ? '64' : '4K'] = Math.round(0.05 * median(c.repetitions.map((r) => r.latency.p50)));
  process.stdout.write(`injected regression: spin ${spin['64']} ns per call at 64 B, ${spin['4K']} ns at 4 KiB (5% of the baseline p50)\n\n`);

  let falseAlarms = 0;
  let aa = 0;
  const detect = { '64': { caught: 0, n: 0 }, '4K': { caught: 0, n: 0 } };
  const aaSeconds: number[] = [];
  const detSeconds: number[] = [];
  const aaDirs: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const g = await gate(['--baseline', A, '--candidate', B, '--sizes', '64,4K', '--placement', 'same-core,cross-core']);
    aa++;
    if (g.code === 1) falseAlarms++;
    aaSeconds.push(g.seconds);
    aaDirs.push(g.dir);
    for (const size of ['64', '4K'] as const) {
      const d = await gate([
        '--baseline',
        A,
        '--candidate',
        `${B},IPCBENCH_SPIN_NS=${spin[size]}`,
        '--sizes',
        size,
        '--placement',
        'same-core',
        '--metrics',
        'p50',
      ]);
      detect[size].n++;
      if (d.code === 1) detect[size].caught++;
      detSeconds.push(d.seconds);
    }
    process.stdout.write(
      `round ${i + 1}: A/A ${g.code === 1 ? 'FALSE ALARM' : 'pass'} (${g.seconds.toFixed(0)} s); so far false alarms ${falseAlarms}/${aa}, ` +
        `detected 64 B ${detect['64'].caught}/${detect['64'].n}, 4 KiB ${detect['4K'].caught}/${detect['4K'].n}; load ${os.loadavg()[0]!.toFixed(1)}\n`,
    );
  }

  // compare between separate runs (the baseline runs of consecutive A/A gates), with the calibrated noise model
  const docs: ResultDocument[] = [];
  for (const d of aaDirs) if (d) docs.push(await readDoc(join(d, 'baseline.json')));
  const half = Math.floor(docs.length / 2);
  const calPairs: [ResultDocument, ResultDocument][] = [];
  for (let i = 0; i + 1 < half; i += 2) calPairs.push([docs[i]!, docs[i + 1]!]);
  let cmpAlarms = 0;
  let cmpAlarmsRaw = 0;
  let cmpN = 0;
  if (calPairs.length >= 2) {
    const noise = calibrateFromPairs(calPairs);
    for (let i = half; i + 1 < docs.length; i += 2) {
      cmpN++;
      const files = { baseline: 'a', current: 'b' };
      if (compareResults(docs[i]!, docs[i + 1]!, files, { noise }).regressions > 0) cmpAlarms++;
      if (compareResults(docs[i]!, docs[i + 1]!, files).regressions > 0) cmpAlarmsRaw++;
    }
  }
  const pct = (a: number, b: number) => `${a}/${b} = ${b ? ((100 * a) / b).toFixed(1) : '-'}%`;
  process.stdout.write('\n');
  process.stdout.write(`false alarms (A/A gates, 64 B + 4 KiB x same-core + cross-core): ${pct(falseAlarms, aa)}   (target 0/30)\n`);
  process.stdout.write(`detection, 5% same-core regression at 64 B:  ${pct(detect['64'].caught, detect['64'].n)}   (target >= 95%)\n`);
  process.stdout.write(`detection, 5% same-core regression at 4 KiB: ${pct(detect['4K'].caught, detect['4K'].n)}   (target >= 95%)\n`);
  process.stdout.write(
    `gate wall time (docs/ci.md case list, ${pairs} pairs): median ${median(aaSeconds).toFixed(1)} s, max ${Math.max(...aaSeconds).toFixed(1)} s   (target <= 180 s)\n`,
  );
  process.stdout.write(`detection gate wall time (one case): median ${median(detSeconds).toFixed(1)} s\n`);
  process.stdout.write(
    cmpN
      ? `compare between separate A/A runs: with the calibrated noise model ${pct(cmpAlarms, cmpN)} false alarms, without ${pct(cmpAlarmsRaw, cmpN)} (noise calibrated on ${calPairs.length} pairs)\n`
      : 'compare between separate A/A runs: too few rounds to calibrate and test (need >= 8)\n',
  );
  process.stdout.write(
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
} finally {
  if (!values.out) await rm(work, { recursive: true, force: true });
}
