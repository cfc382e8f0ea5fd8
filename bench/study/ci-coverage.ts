// Coverage of the precision interval (docs/statistics.md, "What a case's number is"): simulated repetitions with a
// between-repetition SD σb, each of m operations whose p50 has a sampling SE of σw; the hierarchical bootstrap
// (repetitions, then operations) against the flat one (repetition p50s only). Prints coverage of the true centre
// and the mean half-width. Seeded, a few seconds.
//
// usage: node dist/bench/study/ci-coverage.js [sigmaB sigmaW n trials] ...   (default: the docs' table)
import { bootstrapCI, distributionFromSamples, hierarchicalBootstrapCI, median, mulberry32, normalDeviate } from '../statistics/index.js';

function study(sb: number, sw: number, n: number, trials: number): string {
  const rand = mulberry32(7);
  const m = 400;
  const sop = (sw * Math.sqrt(m)) / 1.2533; // the SE of a median of m normal values is 1.2533·σ/√m
  let ch = 0;
  let cf = 0;
  let wh = 0;
  let wf = 0;
  for (let t = 0; t < trials; t++) {
    const reps = [];
    for (let i = 0; i < n; i++) {
      const c = 1 + sb * normalDeviate(rand);
      const ops = Array.from({ length: m }, () => c + sop * normalDeviate(rand));
      reps.push({ value: median(ops), distribution: distributionFromSamples(ops) });
    }
    const h = hierarchicalBootstrapCI(reps, median, { resamples: 500, seed: t + 1 });
    const f = bootstrapCI(
      reps.map((r) => r.value),
      median,
      { resamples: 500, seed: t + 1 },
    );
    if (h.low <= 1 && 1 <= h.high) ch++;
    if (f.low <= 1 && 1 <= f.high) cf++;
    wh += (h.high - h.low) / 2;
    wf += (f.high - f.low) / 2;
  }
  const p = (x: number) => `${((100 * x) / trials).toFixed(1)}%`;
  const hw = (x: number) => `±${((100 * x) / trials).toFixed(2)}%`;
  return `σb ${sb * 100}%, σw ${sw * 100}%, n ${n}: hierarchical coverage ${p(ch)}, mean ${hw(wh)}; flat coverage ${p(cf)}, mean ${hw(wf)}`;
}

const args = process.argv.slice(2).map(Number);
const runs: number[][] = [];
for (let i = 0; i + 3 < args.length; i += 4) runs.push(args.slice(i, i + 4));
if (!runs.length) runs.push([0.02, 0.02, 5, 300], [0.02, 0.02, 10, 300], [0.02, 0.02, 20, 300], [0.01, 0.002, 5, 300], [0.02, 0.005, 10, 300]);
for (const [sb, sw, n, trials] of runs) process.stdout.write(`${study(sb!, sw!, n!, trials!)}\n`);
