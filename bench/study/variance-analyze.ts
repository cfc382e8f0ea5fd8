// SPDX-License-Identifier: MIT
// The variance study's analysing half (bench/study/variance.ts is the command): reads the saved documents and
// prints, per case, the between-repetition CV of the p50 vs the within-repetition sampling error of one p50 (from
// its histogram), the first repetition vs the rest, lag-1 autocorrelation, and the precision one second of
// repetitions buys; for one configuration also how the median, Harrell-Davis and trimmed-mean estimators fare.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { caseLabel, type CaseResult, type ResultDocument } from '../result.js';
import {
  distributionFromHdr,
  harrellDavis,
  hierarchicalBootstrapCI,
  bootstrapCI,
  mad,
  mean,
  median,
  mulberry32,
  randomIndex,
  relativeHalfWidth,
  resampledQuantile,
  stdev,
  trimmedMean,
} from '../statistics/index.js';

function lag1(x: readonly number[]): number {
  const m = mean(x);
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    den += (x[i]! - m) ** 2;
    if (i) num += (x[i]! - m) * (x[i - 1]! - m);
  }
  return den ? num / den : NaN;
}

/** Within-repetition relative SE of the p50: the sd of the p50 of a resample of the repetition's operations. */
function withinSe(c: CaseResult): number {
  const rand = mulberry32(7);
  const ses: number[] = [];
  for (const r of c.repetitions) {
    if (!r.latency.histogram) continue;
    const d = distributionFromHdr(r.latency.histogram);
    const draws = Array.from({ length: 200 }, () => resampledQuantile(d, 0.5, rand));
    ses.push(stdev(draws) / r.latency.p50);
  }
  return median(ses);
}

/**
 * Subsample n of the case's repetitions many times and build the 95% CI with each estimator; report the median
 * relative half-width and the coverage of the full-sample median (how often the interval contains it).
 */
function estimatorTrial(values: readonly number[], n: number, seed: number) {
  const truth = median(values);
  const rand = mulberry32(seed);
  const est = {
    median,
    'harrell-davis': (v: readonly number[]) => harrellDavis(v, 0.5),
    'trimmed-20': (v: readonly number[]) => trimmedMean(v, 0.2),
  };
  const out: Record<string, { hw: number[]; covered: number; trials: number }> = {};
  for (const k of Object.keys(est)) out[k] = { hw: [], covered: 0, trials: 0 };
  for (let t = 0; t < 60; t++) {
    const pick = Array.from({ length: n }, () => values[randomIndex(rand, values.length)]!);
    for (const [k, f] of Object.entries(est)) {
      const ci = bootstrapCI(pick, f, { resamples: 400, seed: t + 1 });
      out[k]!.hw.push(relativeHalfWidth(ci));
      out[k]!.trials++;
      if (ci.low <= truth && truth <= ci.high) out[k]!.covered++;
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { hw: median(v.hw), coverage: v.covered / v.trials }]));
}

export async function analyze(dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const f of files) {
    const doc = JSON.parse(await readFile(join(dir, f), 'utf8')) as ResultDocument;
    const o = doc.options as Record<string, number>;
    const repsTotal = doc.cases.reduce((a, c) => a + c.repetitions.length, 0);
    const repMs = (o as unknown as { studyRepMs?: number[] }).studyRepMs;
    const perRep = repMs ? median(repMs) : (o.studyWallMs as number) / repsTotal;
    process.stdout.write(
      `\n## ${doc.runId}: duration ${o.durationMs} ms, warm-up ${o.warmupMs} ms; ${repsTotal} repetitions in ${((o.studyWallMs as number) / 1000).toFixed(1)} s = ${perRep.toFixed(0)} ms per repetition (${repMs ? 'median of the timed repetitions' : 'wall / repetitions'}); load ${doc.host.loadAverage[0]} before\n`,
    );
    process.stdout.write(
      'case | n | between CV | robust CV | within SE | first/rest | lag-1 | CI± median (flat) | CI± hierarchical | CI± for 1 s of repetitions\n',
    );
    const perSecond: number[] = [];
    for (const c of doc.cases) {
      if (c.state !== 'ok' || c.repetitions.length < 4) {
        process.stdout.write(`${caseLabel(c.key)} | ${c.state} ${c.reason ?? ''}\n`);
        continue;
      }
      const v = c.repetitions.map((r) => r.latency.p50);
      const cv = stdev(v) / mean(v);
      const first = v[0]! / median(v.slice(1));
      const flat = relativeHalfWidth(bootstrapCI(v, median, { resamples: 1000 }));
      const reps = c.repetitions.map((r) => ({
        value: r.latency.p50,
        distribution: r.latency.histogram ? distributionFromHdr(r.latency.histogram) : undefined,
      }));
      const hier = relativeHalfWidth(hierarchicalBootstrapCI(reps, median, { resamples: 1000 }));
      const rcv = mad(v) / median(v);
      // the half-width one second of this configuration's repetitions would give (1/√n scaling of the measured one)
      const pps = hier * Math.sqrt((v.length * perRep) / 1000);
      perSecond.push(pps);
      process.stdout.write(
        `${caseLabel(c.key)} | ${v.length} | ${pct(cv)} | ${pct(rcv)} | ${pct(withinSe(c))} | ${first.toFixed(3)} | ${lag1(v).toFixed(2)} | ${pct(flat)} | ${pct(hier)} | ${pct(pps)}\n`,
      );
    }
    process.stdout.write(`median over cases of the CI± one second of repetitions buys: ${pct(median(perSecond))}\n`);
    if (doc.runId.endsWith('-d60-w20')) {
      process.stdout.write('\nestimators on subsamples of n repetitions (median CI± / coverage of the full-sample median):\n');
      for (const n of [5, 8, 12]) {
        const agg: Record<string, { hw: number[]; cov: number[] }> = {};
        for (const c of doc.cases) {
          if (c.state !== 'ok' || c.repetitions.length < 10) continue;
          const r = estimatorTrial(
            c.repetitions.map((x) => x.latency.p50),
            n,
            n,
          );
          for (const [k, x] of Object.entries(r)) {
            agg[k] ??= { hw: [], cov: [] };
            agg[k]!.hw.push(x.hw);
            agg[k]!.cov.push(x.coverage);
          }
        }
        process.stdout.write(
          `n=${n}: ${Object.entries(agg)
            .map(([k, x]) => `${k} ±${pct(median(x.hw))} cov ${pct(mean(x.cov))}`)
            .join('; ')}\n`,
        );
      }
    }
  }
}
