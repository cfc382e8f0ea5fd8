// Round effects in a result (docs/statistics.md, "Where the width comes from"): repetition i of every case runs in
// the same stretch of a run, so a machine-wide slowdown shows as every case's i-th repetition being slower. This
// prints, for one result document, what dividing such a round effect out of every repetition (a block design:
// log p50[case, round] = case + round + e) would do to the cases' 95% CIs (flat percentile bootstrap of the
// median of the repetition p50s), with the round effect estimated over no cases, all cases, or the cases of the
// same workload and size — and how often each interval covers the median of the repetitions of the unaffected
// rounds (those whose all-case effect is within ±3%; a rough "truth", itself drawn from the same repetitions, so
// the coverage it shows is an upper bound). A study, not a test: it reads a result file, nothing is run.
//
// usage: node dist/bench/study/round-effects.js <result.json>
import type { CaseResult } from '../result.js';
import { resultFileArgument } from './result-input.js';
import { median, pairedRatioCI } from '../statistics/index.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist/bench/study/round-effects.js <result.json>\n');
  process.exit(2);
}
const doc = await resultFileArgument(file);
const cases = doc.cases.filter((c) => c.state === 'ok' && c.repetitions.length >= 3);
const logDev = (c: CaseResult) => {
  const m = Math.log(median(c.repetitions.map((r) => r.latency.p50)));
  return new Map(c.repetitions.map((r) => [r.index, Math.log(r.latency.p50) - m]));
};
const devs = new Map(cases.map((c) => [c, logDev(c)]));
function effects(groupOf: (c: CaseResult) => string): (c: CaseResult, i: number) => number {
  const by = new Map<string, number[]>();
  for (const c of cases) for (const [i, d] of devs.get(c)!) by.set(`${groupOf(c)}|${i}`, [...(by.get(`${groupOf(c)}|${i}`) ?? []), d]);
  return (c, i) => {
    const v = by.get(`${groupOf(c)}|${i}`) ?? [];
    return v.length >= 5 ? median(v) : 0;
  };
}
const all = effects(() => 'all');
const maxIndex = Math.max(...cases.flatMap((c) => c.repetitions.map((r) => r.index)));
const roundEffect = Array.from({ length: maxIndex + 1 }, (_, i) => all(cases[0]!, i));
const quiet = new Set(roundEffect.flatMap((e, i) => (Math.abs(Math.exp(e) - 1) <= 0.03 ? [i] : [])));
process.stdout.write(
  `${file}: ${cases.length} cases with >= 3 repetitions; round effects (all cases) ${roundEffect.map((e) => `${e >= 0 ? '+' : ''}${((Math.exp(e) - 1) * 100).toFixed(1)}%`).join(', ')}; unaffected rounds (within ±3%): ${[...quiet].map((i) => i + 1).join(', ')}\n`,
);
const variants: [string, (c: CaseResult, i: number) => number][] = [
  ['nothing (as the harness does)', () => 0],
  ['all cases of the round', all],
  ['the cases of the same workload and size', effects((c) => `${c.key.workload} ${c.key.size} ${c.key.subscribers ?? ''}`)],
  ['the cases of the same transport', effects((c) => c.key.transport)],
];
for (const [name, eff] of variants) {
  let within = 0;
  let covered = 0;
  let judged = 0;
  const widths: number[] = [];
  for (const c of cases) {
    const adj = c.repetitions.map((r) => r.latency.p50 / Math.exp(eff(c, r.index)));
    const ci = pairedRatioCI(adj);
    const hw = (ci.high - ci.low) / 2 / ci.ratio;
    widths.push(hw);
    if (hw <= 0.02) within++;
    const truth = c.repetitions.filter((r) => quiet.has(r.index)).map((r) => r.latency.p50);
    if (truth.length >= 3) {
      judged++;
      const t = median(truth);
      if (ci.low <= t && t <= ci.high) covered++;
    }
  }
  process.stdout.write(
    `round effect over ${name.padEnd(42)} within ±2%: ${within}/${cases.length}, median ±${(100 * median(widths)).toFixed(1)}%, CI covers the unaffected rounds' median in ${covered}/${judged}\n`,
  );
}
